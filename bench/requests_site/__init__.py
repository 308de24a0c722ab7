"""A typical small Django site, three ways (bench/bench_requests.py): bare, cookiecharter, django-cookie-consent.

``BENCH_VARIANT`` (bare | cookiecharter-mw | cookiecharter | cookie-consent) picks the apps, the middleware and the
template; everything else (the page, the session, CSRF, i18n) is the same for all.
"""
