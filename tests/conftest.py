"""Fixtures shared by every test folder."""

from __future__ import annotations

import os

import pytest

POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": os.environ.get("COOKIECHARTER_PG_HOST", "127.0.0.1"),
    "PORT": os.environ.get("COOKIECHARTER_PG_PORT", "5432"),
    "USER": os.environ.get("COOKIECHARTER_PG_USER", "postgres"),
    "NAME": os.environ.get("COOKIECHARTER_PG_NAME", "test"),
}


def postgres_reachable() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(
            host=POSTGRES["HOST"],
            port=POSTGRES["PORT"],
            user=POSTGRES["USER"],
            dbname=POSTGRES["NAME"],
            connect_timeout=3,
        ):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at {POSTGRES['HOST']}:{POSTGRES['PORT']} is not reachable: {exc}"


def postgres_admin(*statements: str) -> None:
    """Run ``statements`` (CREATE or DROP DATABASE, say) on the server, outside any transaction."""
    import psycopg

    with psycopg.connect(
        host=POSTGRES["HOST"], port=POSTGRES["PORT"], user=POSTGRES["USER"], dbname=POSTGRES["NAME"], autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def require_postgres() -> dict:
    """Skip (or, under CI=true, fail) when no PostgreSQL server answers."""
    reason = postgres_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    return dict(POSTGRES)
