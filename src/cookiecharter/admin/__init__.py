"""The back office in the Django admin: the evidence (``records``) and the compliance overview
(``overview``). Importing this package registers both with ``admin.site``."""

from . import overview, records

__all__ = ["overview", "records"]
