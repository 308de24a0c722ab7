"""The baseline: a POST view behind the same middleware (CSRF included) that inserts one row."""

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import BareRow


@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    row = BareRow.objects.create(created_at=timezone.now(), payload=request.POST.get("choice", ""))
    return JsonResponse({"id": row.pk})
