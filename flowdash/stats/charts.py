"""Server-side SVG charts. Each chart carries the exact numbers it draws, for its table.

A chart is a plain dict the template ``components/line_chart.html`` (or ``bar_chart.html``)
renders; colours come from CSS classes, so it reads well in light and dark mode.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

WIDTH, HEIGHT = 720, 240
PAD_TOP, PAD_BOTTOM = 22, 28
MAX_POINTS = 60
# Up to this many readings a series draws each one as a point that shows its value on hover or
# keyboard focus; beyond, the line alone (the table below the chart holds every number).
MAX_MARKED_POINTS = 60
PALETTE_SIZE = 8


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if value <= step:
            return float(step)
    magnitude = 10 ** (len(str(int(value))) - 1)
    return float((int(value / magnitude) + 1) * magnitude)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def bucket_points(
    samples: Iterable[tuple[datetime, str, float | None]],
    since: datetime,
    until: datetime,
    max_points: int = MAX_POINTS,
) -> tuple[list[datetime], dict[str, list[float | None]]]:
    """Times and per-series values. Each sample time is its own point while there are at most
    ``max_points`` of them; beyond that, equal time buckets hold the mean of their samples."""
    samples = [s for s in samples if since <= s[0] <= until]
    times = sorted({s[0] for s in samples})
    names = sorted({s[1] for s in samples})
    if len(times) <= max_points:
        index = {t: i for i, t in enumerate(times)}
        values: dict[str, list[float | None]] = {n: [None] * len(times) for n in names}
        for at, name, value in samples:
            values[name][index[at]] = value
        return times, values
    span = (until - since) / max_points
    sums: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for at, name, value in samples:
        if value is None:
            continue
        slot = min(int((at - since) / span), max_points - 1)
        sums[name][slot].append(value)
    used = sorted({slot for per in sums.values() for slot in per})
    bucket_times = [since + span * slot for slot in used]
    values = {
        name: [
            round(sum(per[slot]) / len(per[slot]), 2) if per.get(slot) else None for slot in used
        ]
        for name, per in ((n, sums[n]) for n in names)
    }
    return bucket_times, values


def averaging(span: timedelta, raw_up_to: timedelta = timedelta(hours=1)) -> str:
    """How samples_from treats a range: "" (every sample), "minute" or "hour" averages."""
    if span <= raw_up_to:
        return ""
    return "minute" if span <= timedelta(hours=6) else "hour"


AVERAGING_NOTE = {"": "", "minute": " (per-minute averages)", "hour": " (hourly averages)"}


def samples_from(
    queryset,
    time_field: str,
    name_field: str,
    value_field: str,
    since,
    until,
    raw_up_to: timedelta = timedelta(hours=1),
):
    """(time, series, value) triples for a chart. Up to ``raw_up_to`` every stored sample is
    used as it is; over longer ranges the database averages them per minute or hour first."""
    from django.db.models import Avg
    from django.db.models.functions import TruncHour, TruncMinute

    qs = queryset.filter(**{f"{time_field}__gte": since, f"{time_field}__lte": until})
    mode = averaging(until - since, raw_up_to)
    if not mode:
        return list(qs.values_list(time_field, name_field, value_field))
    trunc = TruncMinute if mode == "minute" else TruncHour
    rows = (
        qs.annotate(bucket=trunc(time_field))
        .values("bucket", name_field)
        .annotate(value=Avg(value_field))
        .order_by("bucket")
    )
    return [(r["bucket"], r[name_field], r["value"]) for r in rows]


def _pct(fraction: float) -> float:
    """Where a fraction of the time axis sits, in % of the chart's width (1% kept each side so
    the first and last points are whole)."""
    return round(1 + 98 * fraction, 2)


def samples_chart(
    samples: Iterable[tuple[datetime, str, float | None]],
    since: datetime,
    until: datetime,
    *,
    max_points: int = MAX_POINTS,
    **options: Any,
) -> dict:
    """The :func:`line_chart` of (time, series, value) samples from ``since`` to ``until``,
    put in points as :func:`bucket_points` does; ``options`` as line_chart takes them."""
    times, values = bucket_points(samples, since, until, max_points)
    return line_chart(times, values, since=since, until=until, **options)


def line_chart(
    times: list[datetime],
    values: dict[str, list[float | None]],
    *,
    title: str,
    unit: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    y_max: float | None = None,
    daily: bool = False,
) -> dict:
    """A line chart (one line per series) plus the table of the same numbers.

    The chart fills its card at any width: horizontal positions are percentages of the width
    and the lines are drawn in a stretched inner box whose strokes do not stretch, so the text
    keeps its real size (readable on a phone) instead of shrinking with a scaled drawing.
    Every reading is a point with its value (hover or keyboard focus shows it); a series with
    a single reading is drawn as a marked point labelled with its value.

    ``daily``: one point per day, labelled with dates only.
    """
    names = list(values)
    chart = {
        "title": title,
        "unit": unit,
        "unit_suffix": _unit_suffix(unit),
        "width": WIDTH,
        "height": HEIGHT,
        "series": [],
        "x_ticks": [],
        "y_ticks": [],
        "rows": [],
        "names": names,
        "empty": not times,
    }
    if not times:
        return chart
    since = since or times[0]
    until = until or times[-1]
    if until <= since:
        until = since + timedelta(seconds=1)
    top = y_max or _nice_max(
        max((v for vs in values.values() for v in vs if v is not None), default=0)
    )
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def fraction(at: datetime) -> float:
        return min(1.0, max(0.0, (at - since) / (until - since)))

    def y_of(value: float) -> float:
        return round(PAD_TOP + plot_h * (1 - min(value, top) / top), 1)

    long_range = (until - since) > timedelta(days=1)
    point_fmt = "%Y-%m-%d" if daily else ("%b %d %H:%M" if long_range else "%H:%M:%S")
    suffix = chart["unit_suffix"]
    for i, name in enumerate(names):
        points = []
        for t, v in zip(times, values[name], strict=True):
            if v is None:
                continue
            f = fraction(t)
            when = (t if daily else timezone.localtime(t)).strftime(point_fmt)
            points.append(
                {
                    "x": _pct(f),
                    "px": round(10 * _pct(f), 1),  # the same place in the 0-1000 line box
                    "y": y_of(v),
                    "value": f"{_fmt(v)}{suffix}",
                    "when": when,
                    "anchor": "start" if f < 0.2 else "end" if f > 0.8 else "middle",
                }
            )
        d = " ".join(
            f"{'M' if j == 0 else 'L'}{p['px']},{round(p['y'] - PAD_TOP, 1)}"
            for j, p in enumerate(points)
        )
        chart["series"].append(
            {
                "name": name,
                "color": i % PALETTE_SIZE,
                "d": d if len(points) > 1 else "",
                "points": points if len(points) <= MAX_MARKED_POINTS else [],
                "single": points[0] if len(points) == 1 else None,
                "last": next((v for v in reversed(values[name]) if v is not None), None),
            }
        )
    chart["y_ticks"] = [
        {"y": y_of(top * f), "label": f"{_fmt(top * f)}{suffix}"} for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    local_since, local_until = timezone.localtime(since), timezone.localtime(until)
    fmt = (
        "%b %d %H:%M"
        if long_range
        else "%H:%M:%S"
        if until - since < timedelta(minutes=10)
        else "%H:%M"
    )
    if daily:
        fmt = "%b %d"
    chart["x_ticks"] = [
        {
            "x": _pct(f),
            "label": timezone.localtime(since + (until - since) * f).strftime(fmt),
            "anchor": "start" if f == 0 else "end" if f == 1 else "middle",
            "minor": f in (0.25, 0.75),
        }
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    chart["range_label"] = f"{local_since:%Y-%m-%d %H:%M:%S} – {local_until:%Y-%m-%d %H:%M:%S}"
    if daily:
        chart["range_label"] = f"{since:%Y-%m-%d} – {until:%Y-%m-%d} (UTC days)"
    chart["rows"] = [
        {
            "time": t if daily else timezone.localtime(t),
            "label": t.strftime("%Y-%m-%d")
            if daily
            else timezone.localtime(t).strftime("%Y-%m-%d %H:%M:%S"),
            "values": [_fmt(values[n][k]) for n in names],
        }
        for k, t in enumerate(times)
    ]
    chart["plot"] = {
        "top": PAD_TOP,
        "bottom": HEIGHT - PAD_BOTTOM,
        "height": plot_h,
        "x_label_y": HEIGHT - 8,
    }
    return chart


def _unit_suffix(unit: str) -> str:
    """How a value shows its unit: "92%" but "3 jobs"."""
    if not unit:
        return ""
    return unit if unit == "%" else f" {unit}"


def bar_chart(
    items: list[tuple[str, float | None]], *, title: str, unit: str = "", x_max: float | None = None
) -> dict:
    """Horizontal bars, one per item, each under its name and value, plus the table of the
    same numbers. Bar lengths are percentages of the card's width, so the chart reflows on a
    phone with its text at full size."""
    row_h = 40
    top = x_max or _nice_max(max((v for _, v in items if v is not None), default=0))
    suffix = _unit_suffix(unit)
    bars = []
    for i, (name, value) in enumerate(items):
        length = 0 if value is None else round(100 * min(value, top) / top, 2)
        bars.append(
            {
                "name": name,
                "value": _fmt(value),
                "shown": f"{_fmt(value)}{suffix}" if value is not None else "no figure",
                "y": 4 + i * row_h + 18,
                "w": length,
                "color": i % PALETTE_SIZE,
                "text_y": 4 + i * row_h + 13,
            }
        )
    return {
        "title": title,
        "unit": unit,
        "width": WIDTH,
        "height": 8 + row_h * len(items),
        "bars": bars,
        "empty": not items,
    }
