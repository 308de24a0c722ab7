"""System checks (ids ``cookiecharter.E0xx`` / ``W0xx``), registered from ``apps.ready``."""


# The enforcement checks (E1xx / W1xx) live beside the middleware; importing registers them.
from . import enforcement_checks  # noqa: E402,F401
