"""The scanner: audit a live site against its charter in a real browser (extra ``scan``).

Usable without Django. Importing this package imports neither Playwright nor rich: the browser
driver is loaded by ``cookiecharter.scan.runner`` only when a scan actually runs.

    from cookiecharter.scan.command import ScanRequest, execute
    status, report = execute(ScanRequest("http://127.0.0.1:8000/", charter="charter.toml"))
"""

from .model import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION"]
