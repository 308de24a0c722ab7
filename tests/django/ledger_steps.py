"""Steps the ledger's tamper tests share: a ledger kept with its files outside the database (the
witness, the verification checkpoint), choices made through the endpoint, sealing, raw SQL."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection
from django.test import Client

from cookiecharter.models import ConsentRecord


def keep_files_in(settings, folder) -> None:
    """``LEDGER_DIRECTORY`` in ``folder``, sealing at once and only when told."""
    settings.COOKIECHARTER = {
        **settings.COOKIECHARTER,
        "LEDGER_DIRECTORY": str(folder),
        "LEDGER_SEAL_GRACE": 0,
        "LEDGER_SEAL_INTERVAL": 3600,
    }


def choose(n: int) -> list[int]:
    """``n`` choices posted to the endpoint, accept and refuse in turn; the ids of all records."""
    for i in range(n):
        Client().post("/fr/cookies/consent/", {"choice": ("accept-all", "refuse-all")[i % 2]})
    return list(ConsentRecord.objects.order_by("id").values_list("id", flat=True))


def seal(batch: int = 3) -> None:
    call_command("cookiecharter_seal", "--batch", str(batch), "--full-batches-only", stdout=io.StringIO())


def sql(statement: str, params=()) -> None:
    """What someone with access to the database does, around the application."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
