"""Audits of many sites: a list of sites, one report per site and a summary.

* ``jobs``: what one site's audit is (``SiteJob``, plain values that travel to a worker) and how
  it runs in a browser already started (``audit_site``);
* ``local``: the sites on a bounded pool in one browser, in this process;
* ``tasks``: the same work as Celery tasks; each worker process keeps one browser;
* ``distributed``: the client that sends the sites to the workers and gathers the reports;
* ``summary``: one line per site, written as JSON, CSV and HTML.

The core of an audit is the same as ``cookiecharter scan URL``'s: ``runner.scan_in`` and
``report.build_report``; only where the browser lives changes.
"""
