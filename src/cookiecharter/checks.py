"""System checks (ids ``cookiecharter.E0xx`` / ``W0xx``), registered from ``apps.ready``."""
