"""Create (or reset) the demo's back-office user, whose credentials are printed by ``make demo``.

The user is not a superuser: they hold two roles (Django groups), as a city's staff would. One edits
the portal's content; the other is the data protection officer's, with every permission of the
compliance back office (view the overview, export and verify the ledger, run an audit) and read
access to the proof records, so a first look shows each of them at work.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

USERNAME = "demo"
PASSWORD = "demo-portail"

ROLES = {
    "Délégué·e à la protection des données": Permission.objects.filter(content_type__app_label="cookiecharter"),
    "Éditeur·rice du portail": Permission.objects.filter(content_type__app_label="portal"),
}


class Command(BaseCommand):
    help = "Create or reset the demo's back-office user (demo / demo-portail) and their two roles."

    def handle(self, *args, **options) -> None:
        user, created = get_user_model().objects.get_or_create(username=USERNAME)
        user.first_name, user.last_name = "Camille", "Martin"
        user.email = "camille.martin@example.org"
        user.is_staff = True
        user.is_superuser = False
        user.set_password(PASSWORD)
        user.save()
        for name, permissions in ROLES.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.set(permissions.all())
            user.groups.add(group)
        self.stdout.write(f"{'Created' if created else 'Reset'} demo user {USERNAME} / {PASSWORD}")
