"""Offline HTML reports of the corridor analyses: one page each, with a map (inline SVG over the
country outlines), the tables and the charts (matplotlib PNGs embedded in the page). Nothing is
fetched when the page opens; every figure is shown with its basis, every source is listed."""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from silkrail.analysis.dependency import MEASURES
from silkrail.network.model import ATTRIBUTION

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from silkrail.analysis.dependency import Dependency, OperatorShare
    from silkrail.analysis.flows import Flow
    from silkrail.analysis.resilience import ElementImpact, Resilience
    from silkrail.analysis.sections import ChangePoint, Corridor, Section
    from silkrail.routing.results import Route

logger = logging.getLogger("silkrail.analysis.report")

POWER_COLOURS = {
    "none": "#7f8c8d",
    "ac-25kv-50hz": "#c0392b",
    "dc-3kv": "#2e86de",
    "mixed-dc-3kv-ac-25kv": "#8e44ad",
    "electrified-system-unknown": "#e67e22",
    None: "#bbbbbb",
}
CHANGE_COLOURS = {
    "gauge": "#f1c40f",
    "power": "#c0392b",
    "train_control": "#2e86de",
    "length_limit": "#16a085",
}
PALETTE = ["#c0392b", "#2e86de", "#16a085", "#8e44ad", "#e67e22", "#2c3e50", "#d35400", "#27ae60", "#7f8c8d"]

_CSS = """
body{margin:0;font:14px system-ui,sans-serif;background:#f4f6f8;color:#222}
header{padding:10px 16px;background:#1f2d3a;color:#fff} header h1{font-size:18px;margin:0}
main{padding:4px 16px 16px} h2{font-size:16px;margin:18px 0 6px}
svg.map{width:100%;height:60vh;background:#cfe3ef;display:block;border:1px solid #ccd}
svg.map .land path{fill:#fbfaf5;stroke:#9aa5ad}
table{border-collapse:collapse;margin:6px 0;background:#fff} th,td{padding:3px 8px;border:1px solid #dde;
vertical-align:top} th{background:#eef1f4;text-align:left} td.n{text-align:right}
.unknown{color:#999;font-style:italic} .default{color:#555} .weak{color:#b9770e}
.legend span{margin-right:14px;white-space:nowrap} .legend i{display:inline-block;width:22px;height:6px;
margin-right:5px;vertical-align:middle} img{max-width:100%;background:#fff;border:1px solid #dde}
footer{padding:8px 16px;color:#666;font-size:12px} sup{font-size:10px}
"""


def _page(title: str, parts: Sequence[str], *, note: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><header><h1>{html.escape(title)}</h1></header><main>"
        + "".join(parts)
        + f"</main><footer>{html.escape(note)} {html.escape(ATTRIBUTION)}.</footer></body></html>"
    )


def _write(path: Path, text: str) -> Path:
    """Written whole or not at all: a half-written report is never left behind."""
    from silkrail.cache import atomic_write

    path = Path(path)
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))
    return path


def _png(fig: Figure) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _pyplot() -> ModuleType:
    try:
        import matplotlib
    except ImportError:
        from silkrail.errors import DataError

        raise DataError(
            "the report's charts need matplotlib (pip install 'silkrail[viz]')", field="report"
        ) from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg_map(
    lines: Sequence[tuple[Sequence[tuple[float, float]], str, str, float]],
    points: Sequence[tuple[float, float, str, str, float]],
    *,
    outlines: Sequence[Mapping[str, object]] | None = None,
) -> str:
    """An SVG map: ``lines`` are (lon/lat coordinates, colour, tooltip, width factor), ``points``
    (lon, lat, colour, tooltip, radius factor), drawn over the country outlines."""
    from silkrail.viz.maps import land_paths, path_d, project

    xs, ys = [], []
    for coords, *_ in lines:
        for lon, lat in coords:
            x, y = project(lon, lat)
            xs.append(x)
            ys.append(y)
    for lon, lat, *_ in points:
        x, y = project(lon, lat)
        xs.append(x)
        ys.append(y)
    if not xs:
        return "<p class='unknown'>nothing to draw</p>"
    pad = max(max(xs) - min(xs), max(ys) - min(ys)) * 0.08 + 1
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    stroke = (x1 - x0) / 400
    if outlines is None:
        from silkrail.viz.outlines import simplified_outlines

        outlines = simplified_outlines()
    land = land_paths(outlines, x0, x1)
    shapes = []
    for coords, colour, tip, width in lines:
        if len(coords) < 2:
            continue
        shapes.append(
            f'<path d="{path_d(list(coords))}" fill="none" stroke="{colour}" '
            f'stroke-width="{stroke * 2 * width:.3f}" stroke-linecap="round">'
            f"<title>{html.escape(tip)}</title></path>"
        )
    for lon, lat, colour, tip, radius in points:
        x, y = project(lon, lat)
        shapes.append(
            f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{stroke * 3 * radius:.3f}" fill="{colour}" stroke="#fff" '
            f'stroke-width="{stroke * 0.5:.3f}"><title>{html.escape(tip)}</title></circle>'
        )
    return (
        f'<svg class="map" viewBox="{x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<g class="land" stroke-width="{stroke * 0.5:.3f}">{"".join(land)}</g>{"".join(shapes)}</svg>'
    )


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return (
        '<p class="legend">'
        + "".join(f'<span><i style="background:{c}"></i>{html.escape(t)}</span>' for t, c in items)
        + "</p>"
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """A table of already escaped cells."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


class _Sources:
    """Numbered footnotes: each distinct source once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def ref(self, sources: Sequence[str], as_of: str | None) -> str:
        marks = []
        for s in sources:
            key = f"{s} (as of {as_of})" if as_of else s
            if key not in self.items:
                self.items.append(key)
            marks.append(str(self.items.index(key) + 1))
        return f"<sup>[{','.join(marks)}]</sup>" if marks else ""

    def html(self) -> str:
        if not self.items:
            return ""
        rows = "".join(f"<li>{html.escape(s)}</li>" for s in self.items)
        return f"<h2>Sources</h2><ol>{rows}</ol>"


# --- corridor ----------------------------------------------------------------------------


def corridor_html(
    corridor: Corridor, *, title: str, outlines: Sequence[Mapping[str, object]] | None = None
) -> str:
    from silkrail.analysis.sections import CURATED, UNKNOWN, describe_power

    sources = _Sources()

    def cell(s: Section, name: str, text: str | None = None) -> str:
        v = s.attributes.get(name)
        if v is None or v.basis == UNKNOWN:
            return '<span class="unknown">unknown</span>'
        shown = html.escape(text if text is not None else str(v.value))
        cls = "weak" if v.weak else ("" if v.basis == CURATED else "default")
        basis = "" if v.basis == CURATED else f" ({v.basis})"
        note = f' title="{html.escape(v.note)}"' if v.note else ""
        return f'<span class="{cls}"{note}>{shown}{basis}{" (weak source)" if v.weak else ""}</span>' + (
            sources.ref(v.source, v.as_of)
        )

    rows = []
    lines = []
    for s in corridor.sections:
        if s.mode != "rail":
            rows.append(
                [html.escape(s.from_), html.escape(s.to), f"{s.km:,.0f}", s.mode, "", "", "", "", "", ""]
            )
            lines.append((s.coordinates, "#138d90", f"{s.mode}: {s.from_} → {s.to}", 1.0))
            continue
        train = s.value("max_train") or {}
        train_text = ", ".join(f"{v:g} {'m' if k == 'metres' else 'wagons'}" for k, v in train.items())
        gauge = f"{s.gauge_mm:,} mm" + (
            f" ({s.attributes['gauge'].note})" if s.attributes["gauge"].note else ""
        )
        rows.append(
            [
                html.escape(s.from_),
                html.escape(s.to),
                f"{s.km:,.0f}",
                html.escape(s.country),
                html.escape(gauge),
                cell(s, "electrification", s.electrification),
                cell(s, "train_control"),
                cell(s, "axle_load_t"),
                cell(s, "max_train", train_text),
                cell(s, "tracks"),
                cell(s, "speed_kmh"),
            ]
        )
        power = s.value("electrification")
        tip = f"{s.from_} → {s.to} ({s.country}, {s.km:,.0f} km): {s.electrification or 'power unknown'}"
        lines.append((s.coordinates, POWER_COLOURS.get(power, "#555"), tip, 1.0))
    route = corridor.route
    at_place: dict[tuple[float, float], list[ChangePoint]] = {}
    for ch in corridor.changes:
        where = _change_place(route, ch)
        if where is not None:
            at_place.setdefault(where, []).append(ch)
    points = []
    for (lon, lat), chs in at_place.items():
        tip = f"{chs[0].at}: " + "; ".join(
            f"{c.kind.replace('_', ' ')} {c.from_} → {c.to} ({c.consequence})" for c in chs
        )
        colour = CHANGE_COLOURS.get(chs[0].kind, "#222")
        points.append((lon, lat, colour, tip, 1.0 + 0.3 * len(chs)))
    changes = _table(
        ["km", "at", "change", "from", "to", "what it means for the train", "basis"],
        [
            [
                f"{c.km:,.0f}",
                html.escape(c.at),
                c.kind.replace("_", " "),
                html.escape(c.from_),
                html.escape(c.to),
                html.escape(c.consequence) + (f"<br><i>{html.escape(c.note)}</i>" if c.note else ""),
                c.basis,
            ]
            for c in corridor.changes
        ],
        numeric=[0],
    )
    known = corridor.known_km_share
    chart = _known_chart(known) if known else ""
    head = ""
    if route is not None:
        head = (
            f"<p>{html.escape(route.origin.name)} → {html.escape(route.destination.name)}: "
            f"{route.distance_km:,.0f} km through {html.escape(' → '.join(route.countries))}; "
            f"{len(corridor.changes)} change points.</p>"
        )
    legend = _legend(
        [(describe_power(k), c) for k, c in POWER_COLOURS.items() if k is not None]
        + [("power unknown", POWER_COLOURS[None])]
        + [(f"change: {k.replace('_', ' ')}", c) for k, c in CHANGE_COLOURS.items()]
    )
    parts = [
        head,
        _svg_map(lines, points, outlines=outlines),
        legend,
        "<h2>Change points</h2>",
        changes,
        "<h2>Sections</h2>",
        _table(
            [
                "from",
                "to",
                "km",
                "country",
                "gauge",
                "power",
                "train control",
                "axle load t",
                "max train",
                "tracks",
                "speed km/h",
            ],
            rows,
            numeric=[2],
        ),
        "<p>Plain: curated for the line or section; grey: the country's default; amber: weak or "
        "conflicting source; <span class='unknown'>unknown</span>: no source was found (never guessed).</p>",
        "<h2>How much of the route is known</h2>",
        chart,
        sources.html(),
    ]
    return _page(title, parts)


def _change_place(route: Route | None, ch: ChangePoint) -> tuple[float, float] | None:
    """A change point's position: the route event at that place, else the section start."""
    if route is None:
        return None
    for e in route.events:
        if e.at == ch.at:
            return (e.lon, e.lat)
    return None


def _known_chart(known: dict[str, float]) -> str:
    plt = _pyplot()
    names = list(known)
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.barh(names, [known[n] * 100 for n in names], color="#2e86de")
    ax.barh(names, [100 - known[n] * 100 for n in names], left=[known[n] * 100 for n in names], color="#ddd")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the rail km with a sourced value (grey: unknown)")
    ax.invert_yaxis()
    return _png(fig)


def write_corridor_report(corridor: Corridor, path: Path, *, title: str) -> Path:
    return _write(path, corridor_html(corridor, title=title))


# --- dependency --------------------------------------------------------------------------


def dependency_html(
    deps: Sequence[Dependency], *, title: str, outlines: Sequence[Mapping[str, object]] | None = None
) -> str:
    lines = []
    for i, d in enumerate(deps):
        if d.route is None:
            continue
        colour = PALETTE[i % len(PALETTE)]
        for leg in d.route.legs:
            lines.append(
                (leg.coordinates, colour, f"{d.label}: {leg.from_} → {leg.to}", 1.6 if i == 0 else 1.0)
            )
    summary = _table(
        ["corridor", "route", "km", "days", "USD", "HHI distance", "HHI time", "HHI cost", "largest share"],
        [
            [
                html.escape(d.label),
                html.escape(" → ".join(d.countries)),
                f"{d.distance_km:,.0f}" if d.distance_km else "–",
                f"{d.duration_h / 24:,.1f}" if d.distance_km else "–",
                f"{d.cost_usd:,.0f}" if d.distance_km else "–",
                *(f"{d.hhi[m]:,.0f}" for m in MEASURES),
                _largest(d),
            ]
            for d in deps
            if not d.note
        ]
        + [
            [html.escape(d.label), f'<span class="unknown">{html.escape(d.note)}</span>'] + [""] * 7
            for d in deps
            if d.note
        ],
        numeric=[2, 3, 4, 5, 6, 7],
    )
    deps = [d for d in deps if not d.note]
    countries = list(dict.fromkeys(s.country for d in deps for s in d.shares))
    rows = []
    for cc in countries:
        row = [html.escape(cc)]
        for d in deps:
            s = next((x for x in d.shares if x.country == cc), None)
            row.append("–" if s is None else " / ".join(f"{v:.0%}" for v in s.shares.values()))
        rows.append(row)
    shares = _table(["country", *[d.label for d in deps]], rows, numeric=list(range(1, len(deps) + 1)))
    parts = [
        _svg_map(lines, [], outlines=outlines),
        _legend([(d.label, PALETTE[i % len(PALETTE)]) for i, d in enumerate(deps)]),
        "<h2>Corridors</h2>",
        summary,
        "<p>HHI: sum of the squared percentage shares of the countries (open sea left out); 10,000 when "
        "one country holds all of it, 2,500 for four equal shares. Time and money at borders are split "
        "half and half between the two countries; the rail tariff by rail km; sea freight by sea km.</p>",
        "<h2>Share of distance / time / cost per country</h2>",
        shares,
        _shares_chart(deps),
        "<h2>Share of distance / time / cost per operator</h2>",
        _operator_table(deps),
        "<p>The operator of a line, section or ferry where a sourced record names one, else the "
        "country's national railway where one is sourced; border events half to each side's railway. "
        '<span class="unknown">unknown</span>: the sea, ports and track whose operator no source gives; '
        "it is left out of the operators' HHI like open sea is of the countries'.</p>",
        _operator_sources(deps),
    ]
    return _page(title, parts)


def _largest(d: Dependency) -> str:
    """The country with the largest share of the distance, and that share."""
    top = d.top()
    return "–" if top is None else f"{top.country} {top.shares.distance:.0%}"


def _operator_table(deps: Sequence[Dependency]) -> str:
    """Per operator, its shares in each corridor; the first row is the operators' HHI."""
    measures = MEASURES
    rows = [
        ["<i>HHI distance / time / cost</i>"]
        + [
            " / ".join(f"{d.operator_hhi[m]:,.0f}" if m in d.operator_hhi else "–" for m in measures)
            for d in deps
        ]
    ]
    for op in dict.fromkeys(s.operator for d in deps for s in d.operators):
        row = [html.escape(op)]
        for d in deps:
            o = next((x for x in d.operators if x.operator == op), None)
            row.append("–" if o is None else " / ".join(f"{o.shares[m]:.0%}" for m in measures))
        rows.append(row)
    return _table(["operator", *[d.label for d in deps]], rows, numeric=list(range(1, len(deps) + 1)))


def _operator_sources(deps: Sequence[Dependency]) -> str:
    """Each named operator with its full name and the sources it rests on."""
    seen: dict[str, OperatorShare] = {}
    for d in deps:
        for o in d.operators:
            if o.sources and o.operator not in seen:
                seen[o.operator] = o
    if not seen:
        return ""
    weak = ' <span class="weak">weak source</span>'
    items = "".join(
        f"<li><b>{html.escape(o.operator)}</b>{' (' + html.escape(o.name) + ')' if o.name else ''}"
        f"{weak if o.weak else ''}: {html.escape('; '.join(o.sources))}</li>"
        for o in seen.values()
    )
    return f"<h3>Operators' sources</h3><ul>{items}</ul>"


def _shares_chart(deps: Sequence[Dependency]) -> str:
    plt = _pyplot()
    countries = list(dict.fromkeys(s.country for d in deps for s in d.shares))
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(countries)}
    fig, axes = plt.subplots(1, 3, figsize=(12, 0.6 * len(deps) + 1.8), sharey=True)
    labels = [d.label for d in deps]
    for ax, measure in zip(axes, MEASURES, strict=True):
        left = [0.0] * len(deps)
        for c in countries:
            vals = [next((s.shares[measure] for s in d.shares if s.country == c), 0.0) * 100 for d in deps]
            ax.barh(labels, vals, left=left, color=colours[c], label=c)
            left = [a + b for a, b in zip(left, vals, strict=True)]
        ax.set_title(f"share of {measure} (%)")
        ax.set_xlim(0, 100)
    axes[0].invert_yaxis()
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    return _png(fig)


def write_dependency_report(deps: Sequence[Dependency], path: Path, *, title: str) -> Path:
    return _write(path, dependency_html(deps, title=title))


# --- resilience --------------------------------------------------------------------------


def resilience_html(
    result: Resilience,
    *,
    title: str,
    positions: dict[str, tuple[float, float]] | None = None,
    top: int = 25,
    outlines: Sequence[Mapping[str, object]] | None = None,
) -> str:
    positions = positions or {}
    lines = []
    for f, b in zip(result.flows, result.baselines, strict=True):
        if b is not None and b.coordinates:
            lines.append((b.coordinates, "#2e86de", f"{f.name}: {_volume(f)}, {b.summary}", 0.8))
    ranked = result.impacts[:top]
    worst = max((i.extra_time_h for i in ranked), default=0.0) or 1.0
    points = []
    for i in reversed(ranked):
        for key in sorted(i.element.parts):
            if key in positions:
                lon, lat = positions[key]
                colour = "#c0392b" if i.stranded_teu > 0 else "#e67e22"
                size = (
                    1.0 + 2.0 * min(1.0, max(i.extra_time_h, 0.0) / worst) + (1.5 if i.stranded_teu else 0.0)
                )
                tip = (
                    f"#{i.rank} {i.element.name}: {i.stranded_teu:,.0f} TEU stranded, "
                    f"{i.extra_time_h / 24:,.0f} extra TEU-days, ${i.extra_cost_usd:,.0f}"
                )
                points.append((lon, lat, colour, tip, size))
    rows = []
    for i in ranked:
        instead = "<br>".join(
            html.escape(
                f"{d.flow} ({d.teu_per_year:,.0f} {'passenger trains' if d.unit == 'trains' else 'TEU'}): "
                + (
                    "stranded"
                    if d.route is None
                    else f"{d.extra_h / 24:+.1f} d per train via {d.route}"
                    if d.unit == "trains"
                    else f"{d.extra_h / 24:+.1f} d, ${d.extra_usd:+,.0f}/TEU via {d.route}"
                )
                + (f" ({d.pinned})" if d.pinned else "")
            )
            for d in i.detours
        )
        rows.append(
            [
                str(i.rank),
                html.escape(i.element.name) + f"<br><small>{html.escape(i.element.key)}</small>",
                i.element.kind,
                f"{i.stranded_teu:,.0f}",
                f"{i.extra_time_h / 24:,.0f}",
                f"{i.extra_cost_usd:,.0f}",
                f"{i.extra_co2_t:,.0f}",
                instead or '<span class="unknown">no flow uses it</span>',
            ]
        )
    period = f"{result.days:g} days of closure" if result.days else "a year"
    flows = _table(
        ["flow", "origin", "destination", "a year", "mode", "baseline route", "days"],
        [
            [
                html.escape(f.name),
                html.escape(f.origin),
                html.escape(f.destination),
                _volume(f),
                f.mode,
                html.escape(b.summary) if b else '<span class="unknown">no route</span>',
                f"{b.duration_h / 24:,.1f}" if b else "–",
            ]
            for f, b in zip(result.flows, result.baselines, strict=True)
        ],
        numeric=[3, 6],
    )
    parts = [
        f"<p>{len(result.flows)} flows; {len(result.impacts)} elements removed one at a time (and the named "
        f"combinations); {result.reroutes} re-routings (only the flows whose route uses the element). "
        f"Impact over {period}: TEU-weighted sums.</p>",
        _svg_map(lines, points, outlines=outlines),
        _legend(
            [
                ("flow routes", "#2e86de"),
                ("critical: strands flows", "#c0392b"),
                ("critical: detours", "#e67e22"),
            ]
        ),
        "<h2>Elements ranked</h2>",
        _table(
            [
                "#",
                "element",
                "kind",
                "stranded TEU",
                "extra TEU-days",
                "extra USD",
                "extra t CO2",
                "flows instead",
            ],
            rows,
            numeric=[0, 3, 4, 5, 6],
        ),
        _impact_chart(ranked[:15]),
        "<h2>Flows</h2>",
        flows,
        "<p>Extra time, cost and CO2 are the routes' modelled values (the routing cost model: calibrated "
        "running times, border dwell, tariffs and emission factors) against each flow's baseline route; a "
        "flow that loses every route is stranded. A negative extra cost means the detour is slower but "
        "cheaper; a negative extra time, that the model finds the detour faster than the corridor the flow "
        "is held to (its via crossings), which a closure frees it from.</p>",
    ]
    return _page(title, parts)


def _impact_chart(impacts: Sequence[ElementImpact]) -> str:
    if not impacts:
        return ""
    plt = _pyplot()
    names = [i.element.name for i in impacts]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.35 * len(impacts) + 1.5), sharey=True)
    axes[0].barh(names, [i.extra_time_h / 24 for i in impacts], color="#e67e22")
    axes[0].set_title("extra TEU-days")
    axes[1].barh(names, [i.stranded_teu for i in impacts], color="#c0392b")
    axes[1].set_title("stranded TEU")
    axes[0].invert_yaxis()
    return _png(fig)


def write_resilience_report(
    result: Resilience, path: Path, *, title: str, positions: dict[str, tuple[float, float]] | None = None
) -> Path:
    return _write(path, resilience_html(result, title=title, positions=positions))


def _volume(f: Flow) -> str:
    """A flow's yearly volume: TEU, or trains for a passenger service (which carries no TEU)."""
    return f"{f.trains_per_year:,.0f} passenger trains" if f.passenger else f"{f.teu_per_year:,.0f} TEU"
