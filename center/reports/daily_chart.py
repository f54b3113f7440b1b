"""Geometry of the daily statistics chart, drawn by the template as inline SVG (no library, no
script: the CSP allows neither inline scripts nor styles, and SVG attributes suffice).

One line per count series that shares a unit of "things" (consultations, venue uses, reports
received, review decisions), along the days of the period; minutes and hours stay in the table,
where their own scale does not flatten the others.
"""
import math
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
# (label, colour, [(line, key) added up]) — colours tell apart on screen and in grey print.
SERIES = (
    (_l("咨询"), "#2563eb", [("consultations", "consultations")]),
    (_l("场地使用"), "#16a34a", [("venues", "bookings")]),
    (_l("接收年报"), "#d97706", [("reviews", "received")]),
    (_l("预审决定（通过与退回）"), "#7c3aed", [("reviews", "passed"), ("reviews", "returned")]),
)


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class Series:
    label: str
    colour: str
    points: str  # SVG polyline points
    dots: list[tuple[float, float, date, int]]  # drawn for short periods (each with a tooltip)
    total: int


@dataclass
class DailyChart:
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    top: int
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def axis(value: float) -> tuple[int, int]:
    """A round top and a whole tick step for an axis from 0 to value (about four steps)."""
    value = max(value, 1)
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw)
    return int(step * math.ceil(value / step)), int(step)


def build(stats) -> DailyChart:
    """The chart of a DailyStats (center.reports.daily_stats)."""
    present = {(c.line, c.key) for c in stats.columns}
    counts = [(str(label), colour, [sum(stats.values[k][i] for k in keys)
                                    for i in range(len(stats.days))])
              for label, colour, keys in SERIES if all(k in present for k in keys)]
    top, step = axis(max([max(v, default=0) for _l, _c, v in counts] + [1]))
    n = len(stats.days)
    span = (WIDTH - RIGHT - LEFT) / max(1, n - 1)

    def sx(i: int) -> float:
        return LEFT + (i * span if n > 1 else (WIDTH - RIGHT - LEFT) / 2)

    def sy(value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * value / top

    series = [Series(label, colour, " ".join(f"{sx(i):.1f},{sy(v):.1f}" for i, v in
                                             enumerate(values)),
                     [(sx(i), sy(v), stats.days[i], v) for i, v in enumerate(values)]
                     if n <= 62 else [], sum(values))
              for label, colour, values in counts]
    every = max(1, math.ceil(n / 10))
    x_ticks = [Tick(sx(i), f"{day.month}/{day.day}") for i, day in enumerate(stats.days)
               if i % every == 0]
    y_ticks = [Tick(sy(v), str(v)) for v in range(0, top + 1, step)]
    return DailyChart(series, x_ticks, y_ticks, top)
