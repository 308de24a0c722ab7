"""The overview's charts of choices over time, drawn on the server as inline SVG.

No chart library and no script: a chart is a handful of rectangles and labels in a ``viewBox``, so
it scales to any width (a 390 px phone included) and its colours are the admin's own CSS variables
(``admin-charts.css``), which follow the admin's light and dark themes. Colour never carries the
meaning: each chart shows one series and says which in its title, and each comes with its data
as a real table (``overview_charts.html``). Also the date range the charts cover, read from the
query string.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..compliance import LONGEST_RANGE, ChoiceTrend, PurposeShare

#: The range shown when none is asked for: today and the 29 days before.
DEFAULT_DAYS = 30

# The drawing area of a day chart, in viewBox units (the SVG scales as a whole).
WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 312, 10, 112
#: The acceptance chart is narrower, so its labels stay large on a phone.
SHARE_WIDTH = 240


@dataclass
class ChartRange:
    first: date
    last: date
    #: What the form fields show: the dates as typed (even when wrong), else the range's.
    typed_from: str = ""
    typed_until: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def is_default(self) -> bool:
        return not (self.typed_from or self.typed_until)


def chart_range(query: QueryDict, today: date) -> ChartRange:
    """``?from=YYYY-MM-DD&until=YYYY-MM-DD`` (either may be left out). A wrong date, a range upside
    down, in the future or longer than ``LONGEST_RANGE`` days gives a message and the default range."""
    typed_from = (query.get("from") or "").strip()
    typed_until = (query.get("until") or "").strip()
    default = ChartRange(today - timedelta(days=DEFAULT_DAYS - 1), today, typed_from, typed_until)
    parsed: dict[str, date | None] = {}
    for name, typed in (("from", typed_from), ("until", typed_until)):
        try:
            parsed[name] = forms.DateField(required=False).clean(typed[:32])
        except ValidationError:
            default.errors.append(_("“%(value)s” is not a date: use the form YYYY-MM-DD.") % {"value": typed[:32]})
    if default.errors:
        return default
    last = min(parsed["until"] or today, today)
    first = parsed["from"] or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > today:
        default.errors.append(_("The start of the range is in the future."))
    elif first > last:
        default.errors.append(_("The start of the range is after its end."))
    elif (last - first).days + 1 > LONGEST_RANGE:
        default.errors.append(_("The range is too long: at most %(days)s days.") % {"days": LONGEST_RANGE})
    if default.errors:
        return default
    return ChartRange(first, last, typed_from, typed_until)


def percent(value: float) -> str:
    return _("%(percent)s%%") % {"percent": round(100 * value)}


def _n(value: float) -> str:
    """A coordinate, rounded enough for the eye and short in the page."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _short(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _svg(label: str, body: SafeString, height: int = HEIGHT, width: int = WIDTH) -> SafeString:
    return format_html(
        '<svg class="cc-chart-svg" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        width,
        height,
        label,
        label,
        body,
    )


def _frame(first: date, last: date, ticks: list[tuple[float, str]], y_label: str) -> SafeString:
    """Grid lines with their values, the first and last day under the axis, and both axis labels."""
    grid = format_html_join(
        "",
        '<line class="cc-chart-grid" x1="{0}" x2="{1}" y1="{2}" y2="{2}"/>'
        '<text class="cc-chart-tick" x="{3}" y="{4}" text-anchor="end">{5}</text>',
        (
            (
                LEFT,
                RIGHT,
                _n(BOTTOM - share * (BOTTOM - TOP)),
                LEFT - 4,
                _n(BOTTOM - share * (BOTTOM - TOP) + 3.5),
                text,
            )
            for share, text in ticks
        ),
    )
    return format_html(
        '{}<line class="cc-chart-axis" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="cc-chart-tick" x="{}" y="{}" text-anchor="start">{}</text>'
        '<text class="cc-chart-tick" x="{}" y="{}" text-anchor="end">{}</text>'
        '<text class="cc-chart-label" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="cc-chart-label" x="0" y="0" text-anchor="middle" transform="translate(9 {}) rotate(-90)">{}</text>',
        grid,
        LEFT,
        RIGHT,
        BOTTOM,
        BOTTOM,
        LEFT,
        BOTTOM + 13,
        _short(first),
        RIGHT,
        BOTTOM + 13,
        _short(last),
        (LEFT + RIGHT) / 2,
        HEIGHT - 4,
        _("Day"),
        (TOP + BOTTOM) / 2,
        y_label,
    )


def _bars(values: Sequence[tuple[date, float | None, str]]) -> SafeString:
    """One bar per day (height 0..1 of the plot); a day without data gets no bar."""
    slot = (RIGHT - LEFT) / max(len(values), 1)
    width = max(slot * 0.8, 0.6)
    bars = []
    for index, (_day, height, tip) in enumerate(values):
        if height is None:
            continue
        top = BOTTOM - height * (BOTTOM - TOP)
        bars.append((_n(LEFT + index * slot + (slot - width) / 2), _n(top), _n(width), _n(max(BOTTOM - top, 0)), tip))
    return format_html_join(
        "",
        '<rect class="cc-chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )


def volume_chart(trend: ChoiceTrend) -> SafeString:
    """How many choices were made each day."""
    top = _nice_ceiling(max((d.total for d in trend.days), default=0))
    values = [
        (d.day, d.total / top, _("%(day)s: %(count)s choices") % {"day": _short(d.day), "count": d.total})
        for d in trend.days
    ]
    ticks = [(0.0, "0"), (0.5, f"{top / 2:g}"), (1.0, str(top))]
    label = _("Choices per day, from %(first)s to %(last)s") % {
        "first": _short(trend.first),
        "last": _short(trend.last),
    }
    return _svg(label, format_html("{}{}", _frame(trend.first, trend.last, ticks, _("Choices")), _bars(values)))


def rate_chart(trend: ChoiceTrend, method: str, title: str) -> SafeString:
    """The share of each day's choices made with ``method``."""
    values: list[tuple[date, float | None, str]] = []
    for d in trend.days:
        rate = d.rate(method)
        tip = (
            _("%(day)s: %(percent)s (%(count)s of %(total)s)")
            % {"day": _short(d.day), "percent": percent(rate), "count": d.counts.get(method, 0), "total": d.total}
            if rate is not None
            else _("%(day)s: no choice") % {"day": _short(d.day)}
        )
        values.append((d.day, rate, tip))
    ticks = [(0.0, percent(0)), (0.5, percent(0.5)), (1.0, percent(1))]
    label = _("%(method)s: share of each day's choices, from %(first)s to %(last)s") % {
        "method": title,
        "first": _short(trend.first),
        "last": _short(trend.last),
    }
    return _svg(label, format_html("{}{}", _frame(trend.first, trend.last, ticks, _("Share")), _bars(values)))


def share_chart(shares: list[PurposeShare], titles: dict[str, str]) -> SafeString:
    """Per purpose, the share of the choices that answered it which granted it: one bar each."""
    row = 36
    height = 12 + row * len(shares) + 30
    plot = SHARE_WIDTH - 48
    parts = []
    for index, share in enumerate(shares):
        y = 8 + index * row
        title = titles.get(share.key, share.key)
        value = share.granted / share.decided if share.decided else None
        text = (
            _("%(percent)s (%(granted)s of %(answered)s)")
            % {"percent": percent(value), "granted": share.granted, "answered": share.decided}
            if value is not None
            else _("no answer")
        )
        width = (value or 0) * plot
        parts.append(
            format_html(
                '<text class="cc-chart-label" x="0" y="{}">{}</text>'
                '<rect class="cc-chart-track" x="0" y="{}" width="{}" height="12"/>'
                '<rect class="cc-chart-bar" x="0" y="{}" width="{}" height="12"><title>{}: {}</title></rect>'
                '<text class="cc-chart-tick" x="{}" y="{}" text-anchor="start">{}</text>',
                y + 10,
                title,
                y + 15,
                plot,
                y + 15,
                _n(width),
                title,
                text,
                min(width, plot) + 4 if value is not None and value < 0.75 else plot + 4,
                y + 25,
                percent(value) if value is not None else "-",
            )
        )
    axis_y = 12 + row * len(shares)
    axis = format_html(
        '<line class="cc-chart-axis" x1="0" x2="{}" y1="{}" y2="{}"/>'
        '<text class="cc-chart-tick" x="0" y="{}" text-anchor="start">{}</text>'
        '<text class="cc-chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="cc-chart-tick" x="{}" y="{}" text-anchor="end">{}</text>'
        '<text class="cc-chart-label" x="0" y="{}" text-anchor="start">{}</text>',
        plot,
        axis_y,
        axis_y,
        axis_y + 12,
        percent(0),
        plot / 2,
        axis_y + 12,
        percent(0.5),
        plot,
        axis_y + 12,
        percent(1),
        axis_y + 26,
        _("Share of the choices that answered the purpose"),
    )
    label = _("Acceptance rate per purpose")
    return _svg(
        label, format_html("{}{}", format_html_join("", "{}", ((p,) for p in parts)), axis), height, SHARE_WIDTH
    )


@dataclass
class MethodChart:
    method: str
    title: str
    svg: SafeString


@dataclass
class Charts:
    """What ``overview_charts.html`` draws."""

    range: ChartRange
    trend: ChoiceTrend
    volume: SafeString
    rates: list[MethodChart]
    shares: SafeString | None
    #: purpose key -> its title in the page's language
    titles: dict[str, str]
    #: Per day: [(count, rate text)] in the order of ``trend.methods``.
    rows: list[tuple[date, int, list[tuple[int, str]]]]


def charts(chosen: ChartRange, trend: ChoiceTrend, titles: dict[str, str]) -> Charts:
    rows = [
        (
            d.day,
            d.total,
            [(d.counts.get(m, 0), percent(r) if (r := d.rate(m)) is not None else "-") for m, _label in trend.methods],
        )
        for d in trend.days
    ]
    return Charts(
        range=chosen,
        trend=trend,
        volume=volume_chart(trend),
        rates=[MethodChart(m, label, rate_chart(trend, m, label)) for m, label in trend.methods],
        shares=share_chart(trend.shares, titles) if trend.shares else None,
        titles=titles,
        rows=rows,
    )
