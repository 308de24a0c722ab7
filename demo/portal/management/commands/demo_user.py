"""Create (or reset) the demo's back-office user, whose credentials are printed by ``make demo``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "demo"
PASSWORD = "demo-portail"


class Command(BaseCommand):
    help = "Create or reset the demo superuser (demo / demo-portail)."

    def handle(self, *args, **options) -> None:
        user, created = get_user_model().objects.get_or_create(username=USERNAME)
        user.first_name, user.last_name = "Camille", "Martin"
        user.email = "camille.martin@example.org"
        user.is_staff = user.is_superuser = True
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write(f"{'Created' if created else 'Reset'} demo user {USERNAME} / {PASSWORD}")
