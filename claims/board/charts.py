"""Small charts drawn on the server as SVG: no script, the same picture on the page and in the PDF.

Each function takes labels (already translated) and numbers and returns safe
markup; the caller gives the chart a title.
"""

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crm.formatting import percent, short_date
from crm.models import Grade

from .counting import OVERDUE_BANDS, week_key
from .services import compliance_level

FONT = "Noto Sans CJK SC, Noto Sans, sans-serif"
TEXT = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
LABEL_WIDTH = 118
ROW = 24
LEGEND_ROW = 20


def _width(label) -> float:
    """Roughly how wide `label` is at 12 px: Chinese characters are square, Latin ones about half."""
    return sum(12 if ord(ch) >= 0x2E80 else 6.8 for ch in str(label))


def _short(label, room=LABEL_WIDTH - 6) -> str:
    """`label`, cut with an ellipsis to fit `room` pixels."""
    label = str(label)
    while _width(label) > room and len(label) > 1:
        label = label[:-2] + "…"
    return label


def _svg(width: int, height: int, body: list[str], *, title: str) -> str:
    """The chart: scales with its box (viewBox), titled for screen readers, fonts that have Chinese."""
    return mark_safe(  # noqa: S308 - every piece is built with format_html
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
            'aria-label="{t}" font-family="{f}" font-size="12" class="chart">',
            w=width,
            h=height,
            t=title,
            f=FONT,
        )
        + format_html("<title>{}</title>", title)
        + "".join(body)
        + "</svg>"
    )


def _legend(items, y: int) -> list[str]:
    """Coloured squares with labels, in one row from the left."""
    parts, x = [], 0
    for label, colour in items:
        parts.append(format_html('<rect x="{}" y="{}" width="12" height="12" fill="{}"/>', x, y, colour))
        parts.append(format_html('<text x="{}" y="{}" fill="{}">{}</text>', x + 16, y + 11, TEXT, label))
        x = round(x + 28 + _width(label), 1)
    return parts


def _text(x, y, value, *, anchor="start", fill=TEXT, size=12) -> str:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" fill="{}" font-size="{}">{}</text>',
        round(x, 1),
        y,
        anchor,
        fill,
        size,
        value,
    )


HEAT = {"none": "#e9ecef", "low": "#f1aeb5", "mid": "#ffe69c", "high": "#a3cfbb"}  # as .compliance-* in board.css


def heatmap(rows, columns, *, title: str) -> str:
    """One row per person (label, [percent or None per column]), one column per week label."""
    cell_w, cell_h = 46, 22
    width = LABEL_WIDTH + cell_w * max(len(columns), 1)
    height = ROW + cell_h * max(len(rows), 1) + 4
    body = [
        _text(LABEL_WIDTH + cell_w * n + cell_w / 2, 15, column, anchor="middle", fill=MUTED, size=11)
        for n, column in enumerate(columns)
    ]
    for r, (label, values) in enumerate(rows):
        y = ROW + cell_h * r
        body.append(_text(0, y + 15, _short(label)))
        for c, value in enumerate(values):
            x = LABEL_WIDTH + cell_w * c
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff"/>',
                    x,
                    y,
                    cell_w,
                    cell_h,
                    HEAT[compliance_level(value)],
                )
            )
            body.append(_text(x + cell_w / 2, y + 15, percent(value) or "—", anchor="middle", size=11))
    return _svg(width, height, body, title=title)


def stacked_bars(rows, series, *, title: str, width: int = 420, legend: bool = True) -> str:
    """Horizontal bars, one per row (label, [value per series]), split by series [(label, colour)]."""
    bar_area = width - LABEL_WIDTH - 40
    biggest = max((sum(values) for _, values in rows), default=0) or 1
    body = []
    for r, (label, values) in enumerate(rows):
        y = r * ROW
        body.append(_text(0, y + 16, _short(label)))
        x = LABEL_WIDTH
        for value, (_label, colour) in zip(values, series, strict=True):
            w = bar_area * value / biggest
            if value:
                body.append(
                    format_html('<rect x="{}" y="{}" width="{}" height="16" fill="{}"/>', x, y + 4, round(w, 1), colour)
                )
            x += w
        body.append(_text(x + 4, y + 16, str(sum(values)), fill=MUTED))
    height = len(rows) * ROW + 6
    if legend:
        body += _legend(series, height)
        height += LEGEND_ROW
    return _svg(width, height, body, title=title)


def bars(items, *, title: str, colour: str = "#0d6efd", width: int = 420) -> str:
    """Horizontal bars, one per (label, value)."""
    rows = [(label, [value]) for label, value in items]
    return stacked_bars(rows, [("", colour)], title=title, width=width, legend=False)


def grouped_columns(groups, series, *, title: str, width: int = 520, height: int = 150) -> str:
    """Vertical bars in groups (label, [value per series]), e.g. one group per week."""
    top, axis = 12, height - 18
    biggest = max((max(values, default=0) for _label, values in groups), default=0)
    group_w = (width - 24) / max(len(groups), 1)
    bar_w = min(12, (group_w - 6) / max(len(series), 1))
    body = [format_html('<line x1="24" y1="{}" x2="{}" y2="{}" stroke="{}"/>', axis, width, axis, GRID)]
    if biggest:
        body.append(_text(20, top + 4, str(biggest), anchor="end", fill=MUTED, size=10))
    body.append(_text(20, axis, "0", anchor="end", fill=MUTED, size=10))
    for g, (label, values) in enumerate(groups):
        x0 = 24 + g * group_w + (group_w - bar_w * len(values)) / 2
        for s, (value, (_label, colour)) in enumerate(zip(values, series, strict=True)):
            h = (axis - top) * value / (biggest or 1)
            if value:
                body.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                        round(x0 + s * bar_w, 1),
                        round(axis - h, 1),
                        round(bar_w - 1, 1),
                        round(h, 1),
                        colour,
                    )
                )
        body.append(_text(24 + g * group_w + group_w / 2, axis + 14, label, anchor="middle", fill=MUTED, size=10))
    body += _legend(series, height + 4)
    return _svg(width, height + 4 + LEGEND_ROW, body, title=title)


# --- the board's four charts -------------------------------------------------------------------------


def board_charts(figures) -> list[dict]:
    """The board's charts for `figures` (services.TeamFigures); compliance has the strip's rows."""
    week_labels = [short_date(monday) for monday in figures.weeks]
    keys = [week_key(monday) for monday in figures.weeks]
    compliance_rows = [
        (row.label, [row.compliance[key].percent for key in keys]) for row in figures.rows if row.total_held
    ]
    band_labels = [
        _("%(first)s–%(last)s days") % {"first": first, "last": last}
        if last
        else _("over %(days)s days") % {"days": first - 1}
        for first, last in OVERDUE_BANDS
    ]
    return [
        {
            "key": "compliance",
            "title": _("Follow-up compliance by week"),
            "note": _("Each week: the 30 days up to its last day."),
            "svg": heatmap(compliance_rows, week_labels, title=_("Follow-up compliance by week")),
        },
        {
            "key": "overdue",
            "title": _("Overdue customers by grade"),
            "note": _("Days past the next follow-up."),
            "svg": stacked_bars(
                [(Grade(grade).label, counts) for grade, counts in figures.overdue_bands.items()],
                list(zip(band_labels, ["#ffc107", "#fd7e14", "#b02a37"], strict=True)),
                title=_("Overdue customers by grade"),
            ),
        },
        {
            "key": "methods",
            "title": _("Visits by method, last 30 days"),
            "note": _("Visits logged by the people on this board."),
            "svg": bars(figures.visits_by_method, title=_("Visits by method, last 30 days")),
        },
        {
            "key": "pool",
            "title": _("Pool: in and out per week"),
            "note": "",
            "svg": grouped_columns(
                [
                    (label, list(counts))
                    for label, (_monday, *counts) in zip(week_labels, figures.pool_flow, strict=True)
                ],
                [
                    (_("Into the pool"), "#b02a37"),
                    (_("Claimed from the pool"), "#198754"),
                    (_("Registered"), "#0d6efd"),
                ],
                title=_("Pool: in and out per week"),
            ),
        },
    ]
