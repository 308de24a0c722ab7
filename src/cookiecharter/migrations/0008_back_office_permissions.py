"""The back office's four permissions on the ``ComplianceOverview`` proxy.

Until now the overview asked for ``view_consentrecord``. So that nobody loses the page on upgrade,
every group and user who holds ``view_consentrecord`` is given ``view_overview`` here; the other
three (export, verify, audit) are new powers and are given to no one.
"""

from django.conf import settings
from django.db import migrations

PERMISSIONS = {
    "view_overview": "Can view the compliance overview",
    "export_ledger": "Can export the consent ledger",
    "verify_ledger": "Can verify the consent ledger",
    "run_audit": "Can run an audit of the site",
}


def keep_overview_readers(apps, schema_editor):
    # No dependency on auth or contenttypes, so the app still migrates in a project without them:
    # if they are absent or not migrated yet, no one can hold a permission, and there is nothing to keep.
    connection = schema_editor.connection
    alias = connection.alias
    try:
        ContentType = apps.get_model("contenttypes", "ContentType")
        Permission = apps.get_model("auth", "Permission")
        Group = apps.get_model("auth", "Group")
    except LookupError:
        return
    tables = set(connection.introspection.table_names())
    if not {ContentType._meta.db_table, Permission._meta.db_table} <= tables:
        return
    record_type = ContentType.objects.using(alias).filter(app_label="cookiecharter", model="consentrecord").first()
    if record_type is None:  # a fresh database: no one holds anything yet
        return
    reader = Permission.objects.using(alias).filter(content_type=record_type, codename="view_consentrecord").first()
    if reader is None:
        return
    overview_type, _ = ContentType.objects.using(alias).get_or_create(
        app_label="cookiecharter", model="complianceoverview"
    )
    created = {
        codename: Permission.objects.using(alias).get_or_create(
            content_type=overview_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    }
    view = created["view_overview"]
    for group in Group.objects.using(alias).filter(permissions=reader):
        group.permissions.add(view)
    try:
        User = apps.get_model(settings.AUTH_USER_MODEL)
    except LookupError:
        return
    if any(f.name == "user_permissions" for f in User._meta.get_fields()):
        for user in User.objects.using(alias).filter(user_permissions=reader):
            user.user_permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [
        ("cookiecharter", "0007_account_choice"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="complianceoverview",
            options={
                "default_permissions": (),
                "permissions": [
                    ("view_overview", "Can view the compliance overview"),
                    ("export_ledger", "Can export the consent ledger"),
                    ("verify_ledger", "Can verify the consent ledger"),
                    ("run_audit", "Can run an audit of the site"),
                ],
                "verbose_name": "compliance overview",
                "verbose_name_plural": "compliance overview",
            },
        ),
        migrations.RunPython(keep_overview_readers, migrations.RunPython.noop),
    ]
