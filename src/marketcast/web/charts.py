"""Charts of the console: Vega-Lite specifications (built with Altair) rendered to SVG on the server by
vl-convert. The page gets plain SVG with axes, ticks, a legend and labels: no script runs in the browser and
nothing is fetched from elsewhere. Altair and vl-convert are imported on the first chart, not with the app:
API workers that never draw one do not pay for them at start."""

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from markupsafe import Markup

INK, ACCENT, MUTED = "#1d1d1f", "#fe2c55", "#6e6e73"
WIDTH, HEIGHT = 640, 180


def _day_axis(alt):
    return alt.X("yearmonthdate(day):T", title="Day (UTC)", axis=alt.Axis(format="%b %d", labelAngle=0, tickCount=8))


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def daily_money(rows: Sequence, *, start: date, end: date, currency: str, title: str,
                series: Sequence[tuple[str, str]] = (("gmv", "GMV"), ("refunds", "Refunds"))) -> Markup:
    """Bars per day for each named amount of `rows` (objects with `key` = day and the amounts in minor units);
    days without a row are zero, so the axis covers the whole range."""
    import altair as alt

    by_day = {r.key: r for r in rows}
    values = [{"day": day.isoformat(), "series": label,
               "amount": (getattr(by_day[day], name) if day in by_day else 0) / 100}
              for day in _days(start, end) for name, label in series]
    # Overlaid, not stacked: a day's refunds are drawn in front of its GMV, which they never exceed.
    chart = alt.Chart(alt.Data(values=values), title=title).mark_bar(width={"band": 0.8}).encode(
        x=_day_axis(alt),
        y=alt.Y("amount:Q", title=f"Amount ({currency})", axis=alt.Axis(format=",.2f"), stack=None),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=[label for _, label in series],
                                                                range=[ACCENT, INK, MUTED][:len(series)]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("series:N", title="What"),
                 alt.Tooltip("amount:Q", title=currency, format=",.2f")])
    return _svg(chart)


def daily_count(rows: Sequence, *, start: date, end: date, field: str, title: str, label: str) -> Markup:
    import altair as alt

    by_day = {r.key: getattr(r, field) for r in rows}
    values = [{"day": day.isoformat(), "count": by_day.get(day, 0)} for day in _days(start, end)]
    chart = alt.Chart(alt.Data(values=values), title=title).mark_bar(color=INK, width={"band": 0.8}).encode(
        x=_day_axis(alt),
        y=alt.Y("count:Q", title=label, axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("count:Q", title=label)])
    return _svg(chart)


def _svg(chart) -> Markup:
    spec = chart.properties(width=WIDTH, height=HEIGHT).configure_view(stroke=None) \
        .configure(font="system-ui, sans-serif").to_json()
    return Markup(_render(spec))


@lru_cache(maxsize=256)
def _render(spec_json: str) -> str:
    # Same data, same picture: a page reloaded draws from the cache instead of running the renderer again.
    import vl_convert

    return vl_convert.vegalite_to_svg(spec_json)


def warm_up() -> None:
    """Load the chart libraries and start the renderer (a second or more the first time), e.g. before timing
    the first page that draws a chart."""
    daily_count([], start=date(2024, 1, 1), end=date(2024, 1, 1), field="orders", title="warm-up", label="n")
