"""Geometry of the dashboard's two charts, drawn by templates as inline SVG (no library, no
script: the page's CSP allows neither inline scripts nor styles, and SVG attributes suffice).

The forecast chart runs along working days, so a steady pace is a straight line: the backlog's
course over the pace window, then from today one dashed line to zero at the recent pace (if
nothing new arrived) and one dotted line at the pace net of arrivals; markers show the
forecast clearing day and the cycle's closing day, so "will we make it?" is read at a glance.
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from center.services import calendar

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 28, 46
HORIZON_CAP = 60  # working days drawn ahead at most


@dataclass
class Marker:
    kind: str  # "clears" (the forecast) or "closes" (the cycle's window)
    x: float
    label: str  # the day, as month/day
    tone: str  # "ok" (before the window closes), "warn" (after it) or "muted"
    anchor: str = "middle"  # of its label: kept inside the plot near either edge

    def __post_init__(self):
        if self.x > WIDTH - RIGHT - 70:
            self.anchor = "end"
        elif self.x < LEFT + 70:
            self.anchor = "start"


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class ForecastChart:
    history: str  # SVG polyline points
    pace_line: str | None
    net_line: str | None
    today_x: float
    today_y: float
    markers: list[Marker] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    beyond_cap: bool = False
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def axis(value: float) -> tuple[int, int]:
    """A round top and whole-number tick step for an axis from 0 to value (about four steps):
    100 gives (150, 50), 37 gives (40, 10), 3 gives (3, 1)."""
    value = max(value, 1)
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next((f * magnitude for f in (1, 2, 2.5, 5, 10)
                 if f * magnitude >= raw and float(f * magnitude).is_integer()), 1)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def future_workdays(session, today: date, n: int) -> list[date]:
    """The next n working days after today (one calendar read)."""
    days = calendar.days_between(session, today + timedelta(1), today + timedelta(n * 2 + 21))
    return [d.day for d in days if d.is_workday][:n]


def _horizon(fc) -> int:
    wanted = [5]
    for days in (fc.days_to_clear, _net_days(fc)):
        if days is not None:
            wanted.append(days)
    return max(1, min(HORIZON_CAP, max(wanted)))


def _net_days(fc) -> int | None:
    net = fc.pace - fc.arrivals
    return math.ceil(fc.open_now / net) if net > 0 and fc.open_now else None


def build_forecast_chart(session, fc, today: date) -> ForecastChart:
    """Coordinates for the forecast chart of a dashboard Forecast (see the module docstring)."""
    past = [day for day, _n in fc.history[:-1]]
    horizon = _horizon(fc)
    ahead = future_workdays(session, today, horizon)
    days = past + [today] + ahead  # x positions: one per working day
    top, step = axis(max([n for _d, n in fc.history] + [fc.open_now, 1]) * 1.05)
    span = (WIDTH - RIGHT - LEFT) / max(1, len(days) - 1)

    def sx(i: float) -> float:
        return LEFT + i * span

    def sy(n: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * n / top

    t = len(past)
    history = " ".join(f"{sx(i):.1f},{sy(n):.1f}" for i, (_d, n) in enumerate(fc.history))

    def line(rate: float) -> str | None:
        if rate <= 0 or not fc.open_now:
            return None
        end = min(fc.open_now / rate, horizon)
        return (f"{sx(t):.1f},{sy(fc.open_now):.1f} "
                f"{sx(t + end):.1f},{sy(max(0.0, fc.open_now - rate * end)):.1f}")

    chart = ForecastChart(history=history, pace_line=line(fc.pace),
                          net_line=line(fc.pace - fc.arrivals), today_x=sx(t),
                          today_y=sy(fc.open_now),
                          beyond_cap=fc.days_to_clear is None or fc.days_to_clear > horizon)
    chart.y_ticks = [Tick(sy(v), str(v)) for v in range(0, top + 1, step)]
    chart.x_ticks = _x_ticks(days, t, sx)
    chart.markers = _markers(fc, days, sx)
    return chart


def _x_ticks(days: list[date], today_index: int, sx) -> list[Tick]:
    every = max(1, math.ceil(len(days) / 10))
    return [Tick(sx(i), f"{day.month}/{day.day}") for i, day in enumerate(days)
            if (i - today_index) % every == 0 and i != today_index]


def _markers(fc, days: list[date], sx) -> list[Marker]:
    position = {day: i for i, day in enumerate(days)}
    markers = []
    late = fc.clears_on is None or (fc.closes_on is not None and fc.clears_on > fc.closes_on)
    if fc.clears_on in position and fc.open_now:
        markers.append(Marker("clears", sx(position[fc.clears_on]),
                              f"{fc.clears_on.month}/{fc.clears_on.day}", "warn" if late else "ok"))
    if fc.closes_on in position:
        markers.append(Marker("closes", sx(position[fc.closes_on]),
                              f"{fc.closes_on.month}/{fc.closes_on.day}", "muted"))
    return markers


@dataclass
class Bar:
    x: float
    y: float
    height: float
    value: int


@dataclass
class EnquiryChart:
    calls: list[Bar]
    lookups: list[Bar]
    labels: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = 200
    baseline: float = 200 - 36
    bar_width: float = 0.0


def build_enquiry_chart(days) -> EnquiryChart:
    """Side-by-side bars per day: calls and visits, then public lookups."""
    height, bottom, top_pad = 200, 36, 16
    top, step = axis(max([max(d.calls, d.lookup) for d in days] + [1]))
    slot = (WIDTH - RIGHT - LEFT) / max(1, len(days))
    bar = slot * 0.36
    base = height - bottom

    def bar_at(i: int, offset: float, value: int) -> Bar:
        h = (base - top_pad) * value / top
        return Bar(LEFT + i * slot + offset, base - h, h, value)

    return EnquiryChart(
        calls=[bar_at(i, slot * 0.12, d.calls) for i, d in enumerate(days)],
        lookups=[bar_at(i, slot * 0.12 + bar, d.lookup) for i, d in enumerate(days)],
        labels=[Tick(LEFT + (i + 0.5) * slot, f"{d.day.month}/{d.day.day}")
                for i, d in enumerate(days)],
        y_ticks=[Tick(base - (base - top_pad) * v / top, str(v)) for v in range(0, top + 1, step)],
        bar_width=bar)
