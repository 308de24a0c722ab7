"""cookiecharter: one declared cookie charter, and everything derived from it or checked against it."""

__version__ = "0.1.0"
