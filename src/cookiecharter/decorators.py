"""Per-view control of the enforcement."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction

V = TypeVar("V", bound=Callable[..., Any])


def cookiecharter_exempt(view_func: V) -> V:
    """Let every cookie this view's responses set through the filter untouched.

    For the rare view that must set a cookie the charter cannot describe (a single sign-on
    hand-off that names its cookie at run time, say). Like ``csrf_exempt``, it marks the view;
    the middleware reads the mark from ``request.resolver_match.func``. Wrap a class-based view's
    ``as_view()`` result. Sync and async views alike.
    """
    if iscoroutinefunction(view_func):

        async def _view_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            return await view_func(request, *args, **kwargs)

    else:

        def _view_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return view_func(request, *args, **kwargs)

    _view_wrapper.cookiecharter_exempt = True  # type: ignore[attr-defined]
    return wraps(view_func)(_view_wrapper)  # type: ignore[return-value]
