"""The back office in the Django admin: the evidence (``records``, ``audits``) and the compliance
overview (``overview``). Importing this package registers them with ``admin.site``."""

from . import audits, overview, records

__all__ = ["audits", "overview", "records"]
