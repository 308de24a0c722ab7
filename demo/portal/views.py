"""Front office of the demo portal: catalogue, dataset pages, the JSON API and the audience counter."""

from __future__ import annotations

import json

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from .models import DailyHit, Dataset, Favourite

#: How many rows of a CSV file the dataset page shows.
PREVIEW_ROWS = 8


def _favourite_slugs(request: HttpRequest) -> set[str]:
    if not request.user.is_authenticated:
        return set()
    return set(Favourite.objects.filter(user=request.user).values_list("dataset__slug", flat=True))


# Every page carries the favourite button's script, which reads the CSRF token from the cookie;
# ensure_csrf_cookie makes sure the cookie is there even on a page without a form.
@ensure_csrf_cookie
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    datasets = list(Dataset.objects.all())
    favourites = _favourite_slugs(request)
    for dataset in datasets:
        dataset.is_favourite = dataset.slug in favourites
    figures = {
        "records": sum(len(d.table.rows) for d in datasets),
        "themes": len({d.theme for d in datasets}),
    }
    return render(request, "portal/home.html", {"datasets": datasets, "figures": figures})


@ensure_csrf_cookie
@require_GET
def dataset(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Dataset, slug=slug)
    table = item.table
    return render(
        request,
        "portal/dataset.html",
        {
            "dataset": item,
            "header": table.header,
            "preview": table.rows[:PREVIEW_ROWS],
            "row_count": len(table.rows),
            "is_favourite": item.slug in _favourite_slugs(request),
        },
    )


@require_GET
def download(request: HttpRequest, slug: str) -> FileResponse:
    item = get_object_or_404(Dataset, slug=slug)
    return FileResponse(
        item.path.open("rb"), as_attachment=True, filename=f"{item.slug}.csv", content_type="text/csv; charset=utf-8"
    )


def _describe(request: HttpRequest, item: Dataset, favourites: set[str]) -> dict:
    return {
        "slug": item.slug,
        "title": item.title,
        "description": item.description,
        "theme": item.theme,
        "theme_label": item.get_theme_display(),
        "publisher": item.publisher,
        "licence": item.licence,
        "updated": item.updated.isoformat(),
        "records": len(item.table.rows),
        "url": request.build_absolute_uri(item.get_absolute_url()),
        "download": request.build_absolute_uri(f"/datasets/{item.slug}.csv"),
        "favourite": item.slug in favourites,
    }


@require_GET
def api_datasets(request: HttpRequest) -> JsonResponse:
    favourites = _favourite_slugs(request)
    return JsonResponse(
        {"datasets": [_describe(request, d, favourites) for d in Dataset.objects.all()]},
        json_dumps_params={"ensure_ascii": False, "indent": 2},  # read by people too
    )


# CSRF is enforced (Django's default for a POST view): the page's script sends the token from the
# csrftoken cookie in X-CSRFToken, which is why the portal sets that cookie at all.
@require_POST
def api_favourite(request: HttpRequest, slug: str) -> JsonResponse:
    """Toggle (or, with ``{"favourite": true|false}``, set) the signed-in user's favourite."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in to keep favourites.")}, status=401)
    item = Dataset.objects.filter(slug=slug).first()
    if item is None:
        return JsonResponse({"error": _("No dataset with this name.")}, status=404)
    wanted = None
    if request.body:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"error": _("The request body is not valid JSON.")}, status=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("favourite", None), (bool, type(None))):
            return JsonResponse({"error": _('Expected {"favourite": true} or {"favourite": false}.')}, status=400)
        wanted = payload.get("favourite")
    existing = Favourite.objects.filter(user=request.user, dataset=item)
    if wanted is None:
        wanted = not existing.exists()
    if wanted:
        try:
            with transaction.atomic():
                Favourite.objects.get_or_create(user=request.user, dataset=item)
        except IntegrityError:  # a double click raced us to it: it is a favourite either way
            pass
    else:
        existing.delete()
    return JsonResponse({"slug": item.slug, "favourite": wanted})


@require_POST
def stats_hit(request: HttpRequest) -> HttpResponse:
    """Count one page view of a path for today. Only the path is received and kept."""
    try:
        path = json.loads(request.body).get("path")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return JsonResponse({"error": 'expected a JSON body {"path": "/..."}'}, status=400)
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 200 or "?" in path:
        return JsonResponse(
            {"error": "path must be a site path starting with / (no query), 200 characters at most"}, status=400
        )
    day = timezone.localdate()
    with transaction.atomic():
        counter, created = DailyHit.objects.get_or_create(day=day, path=path, defaults={"count": 1})
        if not created:
            DailyHit.objects.filter(pk=counter.pk).update(count=F("count") + 1)
    return HttpResponse(status=204)


# -- the enforcement, shown: a view that tries to set the audience cookie from the server -------
#: Values the server writes start with this, so the page can tell them from the audience script's.
SERVER_AUDIENCE_PREFIX = "srv-"


def enforcement_demo(request: HttpRequest) -> HttpResponse:
    """GET: what the browser holds and what the filter would do. POST: try to set the cookie.

    The POST answers with a redirect that sets ``portal_audience``; cookiecharter's middleware
    removes that header unless the visitor consented to audience measurement, so the GET that
    follows shows honestly whether the browser received it.
    """
    import secrets

    from django.shortcuts import redirect

    from cookiecharter.core.filter import CookieToSet
    from cookiecharter.sites import site_for

    name = "portal_audience"
    if request.method == "POST":
        response = redirect(f"{request.path}?tried=1")
        response.status_code = 303  # see other: the browser follows with a GET
        response.set_cookie(name, SERVER_AUDIENCE_PREFIX + secrets.token_hex(8), max_age=13 * 2_629_800, samesite="Lax")
        return response
    held = request.COOKIES.get(name)
    verdict = site_for(request).enforcer.filter.decide(
        [CookieToSet(name, 13 * 2_629_800)], request.COOKIES, request.consent
    )
    return render(
        request,
        "portal/enforcement.html",
        {
            "cookie_name": name,
            "consented": request.consent.allows("statistics"),
            "held": held,
            "held_by_server": bool(held and held.startswith(SERVER_AUDIENCE_PREFIX)),
            "blocked": bool(verdict.blocked),
            "tried": request.GET.get("tried") == "1",
        },
    )
