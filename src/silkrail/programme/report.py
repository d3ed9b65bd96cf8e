"""The programme's offline HTML report: the network by opening phase (a year slider over the
country, Hanoi and Ho Chi Minh City, and small multiples by phase), km in service, trainsets in
service and bought, investment against the published total, rolling-stock demand with its
comparison and sensitivity, the border links with the routes they change, and every source.

Nothing is fetched when the page opens: maps are inline SVG over the country outlines, charts
matplotlib PNGs embedded in the page, the slider a few lines of inline script."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from silkrail.network.model import ATTRIBUTION

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from silkrail.programme.model import Programme
    from silkrail.programme.schema import KmPlan, ProgrammeLine

PHASES: tuple[tuple[int, int, str, str], ...] = (
    (0, 2025, "open by 2025", "#2c3e50"),
    (2026, 2030, "opens 2026–2030", "#2e86de"),
    (2031, 2035, "opens 2031–2035", "#e67e22"),
    (2036, 2045, "opens 2036–2045", "#8e44ad"),
    (2046, 2100, "opens after 2045", "#95a5a6"),
)
"""The opening phases the maps colour the lines by (the cities' published phases)."""

KIND_WIDTH = {"high_speed": 2.2, "standard_gauge": 1.6, "urban_metro": 1.2}
TYPE_COLOURS = {
    "locomotive": "#c0392b",
    "coach": "#e67e22",
    "wagon": "#7f8c8d",
    "hsr_car": "#2e86de",
    "metro_car": "#8e44ad",
}
KIND_COLOURS = {"urban_metro": "#8e44ad", "high_speed": "#c0392b", "standard_gauge": "#2e86de"}
VIEWS = (
    ("Vietnam and its neighbours", (101.5, 8.3, 110.0, 23.6)),
    ("Hanoi", (105.45, 20.85, 106.0, 21.25)),
    ("Ho Chi Minh City", (106.45, 10.6, 106.9, 11.0)),
)
"""The map panels: title and (lon0, lat0, lon1, lat1)."""
SMALL_MULTIPLE_YEARS = (2025, 2030, 2035, 2045)

_CSS = """
body{margin:0;font:14px system-ui,sans-serif;background:#f4f6f8;color:#222}
header{padding:10px 16px;background:#1f2d3a;color:#fff} header h1{font-size:18px;margin:0}
header p{margin:4px 0 0;color:#cfd8df;font-size:13px}
main{padding:4px 16px 16px} h2{font-size:16px;margin:20px 0 6px} h3{font-size:14px;margin:10px 0 4px}
.maps{display:grid;grid-template-columns:1fr 1fr 1fr;gap:8px;align-items:start}
.maps figure,.multiples figure{margin:0;background:#fff;border:1px solid #ccd;padding:4px}
figcaption{font-size:12px;color:#444;margin:2px 4px}
svg.map{width:100%;height:auto;background:#cfe3ef;display:block}
svg.map .land path{fill:#fbfaf5;stroke:#9aa5ad}
.multiples{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;align-items:start}
nav{font-size:13px;margin:8px 0} nav a{margin-right:12px}
.slider{display:flex;align-items:center;gap:12px;margin:6px 0} .slider input{width:420px}
.slider output{font-weight:bold;font-size:16px;min-width:3em}
table{border-collapse:collapse;margin:6px 0;background:#fff} th,td{padding:3px 8px;border:1px solid #dde;
vertical-align:top} th{background:#eef1f4;text-align:left} td.n{text-align:right}
.legend span{margin-right:14px;white-space:nowrap} .legend i{display:inline-block;width:22px;height:6px;
margin-right:5px;vertical-align:middle}
.figures{display:flex;flex-wrap:wrap;gap:10px} .figures div{background:#fff;border:1px solid #dde;
padding:6px 10px} .figures b{display:block;font-size:18px}
img{max-width:100%;background:#fff;border:1px solid #dde} .note{color:#555;font-size:13px;max-width:1100px}
.bad{color:#b03a2e} .good{color:#1e8449} sup{font-size:10px}
footer{padding:8px 16px;color:#666;font-size:12px}
ol.sources{font-size:12px;color:#333}
"""

_SCRIPT = """
(function(){var s=document.getElementById('year'),o=document.getElementById('year-out'),
k=document.getElementById('year-km'),km=JSON.parse(document.getElementById('km-data').textContent);
function show(){var y=+s.value;o.textContent=y;k.textContent=(km[y]||0).toLocaleString()+' km';
document.querySelectorAll('[data-opens]').forEach(function(e){var a=+e.getAttribute('data-opens'),
f=+e.getAttribute('data-full');e.style.display=a<=y?'':'none';
e.style.strokeDasharray=(a<=y&&f>y)?(e.getAttribute('data-dash')||''):'';});}
s.addEventListener('input',show);show();})();
"""


def phase_of(year: int) -> tuple[str, str]:
    """The label and colour of the opening phase of ``year``."""
    for lo, hi, label, colour in PHASES:
        if lo <= year <= hi:
            return label, colour
    return PHASES[-1][2], PHASES[-1][3]


class _Sources:
    """Numbered footnotes: each distinct source once, cited as [n]."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def ref(self, sources: Sequence[str], as_of: str | None = None) -> str:
        marks = []
        for s in sources:
            key = f"{s} (as of {as_of})" if as_of else s
            if key not in self.items:
                self.items.append(key)
            marks.append(str(self.items.index(key) + 1))
        return f"<sup>[{','.join(marks)}]</sup>" if marks else ""

    def html(self) -> str:
        rows = "".join(f'<li id="src-{i + 1}">{html.escape(s)}</li>' for i, s in enumerate(self.items))
        return f'<h2 id="sources">Sources</h2><ol class="sources">{rows}</ol>'


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


def _pyplot() -> ModuleType:
    from silkrail.extras import needs_extra

    with needs_extra("the programme report's charts"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    return plt


def _png(fig: Figure, alt: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


# --- maps -------------------------------------------------------------------------------------


def _full_year(line: ProgrammeLine) -> int:
    return max((s.opens for s in line.sections), default=line.opens)


def _svg(
    programme: Programme,
    bbox: tuple[float, float, float, float],
    outlines: Sequence[Mapping[str, object]],
    *,
    year: int | None,
    points: dict[str, tuple[float, float]],
    routes: Sequence[tuple[Sequence[Sequence[tuple[float, float]]], str, str]] = (),
    css_class: str = "map",
    labels: bool = False,
) -> str:
    """An SVG of the programme in ``bbox``: every drawn line coloured by its opening phase (all
    of them, with data-opens for the slider, when ``year`` is None; else those open by then),
    border links marked with their year, and ``routes`` (legs, colour, tooltip) on top."""
    from silkrail.viz.maps import land_paths, path_d, project

    lon0, lat0, lon1, lat1 = bbox
    x0, y1 = project(lon0, lat0)
    x1, y0 = project(lon1, lat1)
    stroke = (x1 - x0) / 220
    land = land_paths(outlines, x0, x1)
    shapes = []
    for line in sorted(programme.data.lines, key=lambda ln: -ln.opens):
        if line.geometry == "none" or len(line.stations) < 2:
            continue
        if year is not None and line.opens > year:
            continue
        _, colour = phase_of(line.opens)
        full = _full_year(line)
        partly = year is not None and full > year
        coords = [(s.lon, s.lat) for s in line.stations]
        tip = (
            f"{line.name}: {line.km:,.1f} km, {line.gauge_mm} mm, {line.design_speed_kmh:g} km/h, opens "
            f"{line.opens}{f' (whole line {full})' if full != line.opens else ''}; {line.geometry} geometry"
        )
        pattern = f"{stroke * 3:.4f} {stroke * 2:.4f}"
        attrs = f' data-opens="{line.opens}" data-full="{full}" data-dash="{pattern}"' if year is None else ""
        dash = f' stroke-dasharray="{pattern}"' if partly else ""
        shapes.append(
            f'<path d="{path_d(coords)}" fill="none" stroke="{colour}" stroke-linecap="round" '
            f'stroke-width="{stroke * KIND_WIDTH[line.kind]:.4f}"{dash}{attrs}>'
            f"<title>{html.escape(tip)}</title></path>"
        )
    if labels:  # the termini of the lines drawn, each once, shown from the year its first line opens
        termini: dict[str, tuple[int, float, float]] = {}
        for line in programme.data.lines:
            if line.geometry == "none" or len(line.stations) < 2 or (year is not None and line.opens > year):
                continue
            for st in (line.stations[0], line.stations[-1]):
                if lon0 <= st.lon <= lon1 and lat0 <= st.lat <= lat1:
                    seen = termini.get(st.name)
                    if seen is None or line.opens < seen[0]:
                        termini[st.name] = (line.opens, st.lon, st.lat)
        for name, (opens, lon, lat) in sorted(termini.items()):
            x, y = project(lon, lat)
            attrs = f' data-opens="{opens}" data-full="{opens}"' if year is None else ""
            shapes.append(
                f'<g{attrs}><circle cx="{x:.4f}" cy="{y:.4f}" r="{stroke * 1.3:.4f}" fill="#fff" '
                f'stroke="#333" '
                f'stroke-width="{stroke * 0.4:.4f}"/><text x="{x + stroke * 2:.4f}" y="{y - stroke:.4f}" '
                f'font-size="{stroke * 5.5:.4f}" fill="#333">{html.escape(name)}</text></g>'
            )
    for legs, colour, tip in routes:
        for leg in legs:
            if len(leg) >= 2:
                shapes.append(
                    f'<path d="{path_d(list(leg))}" fill="none" stroke="{colour}" stroke-opacity="0.8" '
                    f'stroke-width="{stroke * 1.4:.4f}"><title>{html.escape(tip)}</title></path>'
                )
    for link in programme.links:
        if link.id not in points:
            continue
        lon, lat = points[link.id]
        if not (lon0 <= lon <= lon1 and lat0 <= lat <= lat1):
            continue
        opens = link.opens or 0
        if year is not None and opens > year:
            continue
        x, y = project(lon, lat)
        attrs = f' data-opens="{opens}" data-full="{opens}"' if year is None else ""
        tip = f"{link.name}: {'open' if link.opens is None else f'opens {link.opens}'}"
        shapes.append(
            f'<g{attrs}><circle cx="{x:.3f}" cy="{y:.3f}" r="{stroke * 2.4:.3f}" fill="#fff" stroke="#222" '
            f'stroke-width="{stroke * 0.6:.3f}"><title>{html.escape(tip)}</title></circle>'
            f'<text x="{x + stroke * 3:.3f}" y="{y - stroke * 2:.3f}" font-size="{stroke * 7:.3f}">'
            f"{html.escape(str(link.opens or ''))}</text></g>"
        )
    return (
        f'<svg class="{css_class}" viewBox="{x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f}" '
        f'width="{(x1 - x0) * 100:.0f}" height="{(y1 - y0) * 100:.0f}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<g class="land" stroke-width="{stroke * 0.4:.3f}">{"".join(land)}</g>{"".join(shapes)}</svg>'
    )


def crossing_points(data_dir: Path | None = None) -> dict[str, tuple[float, float]]:
    """(lon, lat) of every curated crossing, midway between its sides."""
    from silkrail.network.curated import load_file
    from silkrail.settings import get_settings

    borders = load_file(Path(data_dir or get_settings().data_dir) / "borders.yaml")
    return {
        c.id: (sum(s.lon for s in c.sides) / 2, sum(s.lat for s in c.sides) / 2) for c in borders.crossings
    }


def _maps(
    programme: Programme, outlines: Sequence[Mapping[str, object]], points: dict[str, tuple[float, float]]
) -> str:
    km = {y.year: round(y.km) for y in programme.years}
    first, last = programme.year_from, programme.year_to
    figures = "".join(
        f"<figure>{_svg(programme, bbox, outlines, year=None, points=points, labels=bbox != VIEWS[0][1])}"
        f"<figcaption>{html.escape(title)}</figcaption></figure>"
        for title, bbox in VIEWS
    )
    legend = (
        '<p class="legend">'
        + "".join(
            f'<span><i style="background:{c}"></i>{html.escape(label)}</span>' for _, _, label, c in PHASES
        )
        + (
            "<span>dashed: partly open in the year</span>"
            "<span>width: high-speed &gt; standard gauge &gt; metro</span>"
            "<span>○ border link (year it opens)</span></p>"
        )
    )
    slider = (
        f'<div class="slider"><label for="year">year</label><input type="range" id="year" min="{first}" '
        f'max="{last}" value="{last}" step="1"><output id="year-out">{last}</output>'
        f'<span id="year-km"></span> of programme lines in service</div>'
        f'<script type="application/json" id="km-data">{json.dumps(km)}</script>'
    )
    multiples = []
    for title, bbox in VIEWS:
        for y in SMALL_MULTIPLE_YEARS:
            multiples.append(
                f"<figure>{_svg(programme, bbox, outlines, year=y, points=points)}"
                f"<figcaption>{html.escape(title)}, {y}</figcaption></figure>"
            )
    return (
        '<h2 id="map">The network by opening phase</h2>'
        '<p class="note">Drag the slider: each line appears in the year it opens (dashed while only part '
        "of it is open). Lines whose alignment is not published are drawn through their towns "
        "(approximate); lines with no published termini are not drawn but counted in the km.</p>"
        f'{slider}{legend}<div class="maps">{figures}</div>'
        f'<h3>By phase</h3><div class="multiples">{"".join(multiples)}</div>'
    )


# --- charts -----------------------------------------------------------------------------------


def _km_chart(programme: Programme) -> str:
    plt = _pyplot()
    years = [y.year for y in programme.years]
    kinds = ("urban_metro", "high_speed", "standard_gauge")
    series = [[y.km_by_kind.get(k, 0.0) for y in programme.years] for k in kinds]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.stackplot(
        years,
        series,
        labels=[k.replace("_", " ") for k in kinds],
        colors=[KIND_COLOURS[k] for k in kinds],
        alpha=0.85,
    )
    ax.set_ylabel("km in service")
    ax.set_title("Programme km in service by year")
    ax.legend(loc="upper left", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig, "km in service by year")


def _fleet_chart(programme: Programme) -> str:
    plt = _pyplot()
    years = [f.year for f in programme.fleet]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.bar(
        years,
        [f.added for f in programme.fleet],
        color="#e67e22",
        label="trainsets added that year (bought the year before)",
    )
    ax.set_ylim(0, max([f.added for f in programme.fleet] + [1]) * 1.35)
    ax2 = ax.twinx()
    ax2.plot(
        years,
        [f.trainsets for f in programme.fleet],
        color="#2c3e50",
        marker="o",
        ms=3,
        label="trainsets in service",
    )
    ax.set_ylabel("added")
    ax2.set_ylabel("in service")
    ax.set_title("Trainsets (freight: trains) of the programme's lines")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    ax.spines[["top"]].set_visible(False)
    return _png(fig, "trainsets in service and added per year")


def _investment_chart(programme: Programme) -> str:
    plt = _pyplot()
    years = [y.year for y in programme.years]
    systems = sorted({s for y in programme.years for s in y.investment_usd_by_system})
    colours = {"Hanoi urban rail": "#8e44ad", "Ho Chi Minh City metro": "#16a085", "national": "#2e86de"}
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1.4, 1]})
    bottom = [0.0] * len(years)
    for s in systems:
        vals = [y.investment_usd_by_system.get(s, 0.0) / 1e9 for y in programme.years]
        ax.bar(years, vals, bottom=bottom, label=s, color=colours.get(s, "#7f8c8d"))
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("US$ bn a year")
    ax.set_title("Investment per year (spread over construction years)")
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    target = programme.target("hanoi-urban-2045")
    from silkrail.programme.timeline import investment_by_year

    spend = investment_by_year(programme.data)
    hanoi = [line.id for line in programme.data.lines if line.system == "Hanoi urban rail"]
    start = min(
        (p.from_year for p in programme.data.phase_totals if p.system == "Hanoi urban rail"), default=2024
    )
    end = max(
        (p.to_year for p in programme.data.phase_totals if p.system == "Hanoi urban rail"), default=2045
    )
    span = list(range(start, end + 1))
    cum, total = [], 0.0
    for y in span:
        total += sum(spend[i].get(y, 0.0) for i in hanoi)
        cum.append(total / 1e9)
    ax2.plot(span, cum, color="#8e44ad", lw=2, label="Hanoi lines modelled, cumulative")
    pub, acc = [], 0.0
    for y in span:
        for p in programme.data.phase_totals:
            if p.system == "Hanoi urban rail" and p.from_year <= y <= p.to_year:
                acc += p.cost_usd / (p.to_year - p.from_year + 1)
        pub.append(acc / 1e9)
    ax2.plot(span, pub, color="#555", ls="--", label="published phases, cumulative")
    if target is not None and target.cost_usd:
        ax2.axhline(
            target.cost_usd / 1e9,
            color="#c0392b",
            ls=":",
            label=f"US${target.cost_usd / 1e9:g} bn by {target.year}",
        )
    ax2.set_title(f"Hanoi urban rail {start}–{end} against the published total")
    ax2.set_ylabel("US$ bn")
    ax2.legend(fontsize=8)
    ax2.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig, "investment per year and Hanoi's cumulative investment")


def _demand_chart(programme: Programme) -> str:
    plt = _pyplot()
    d = programme.demand
    years = [y.year for y in d.years]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.5, 1]})
    bottom = [0] * len(years)
    for t, colour in TYPE_COLOURS.items():
        vals = [y.bought.get(t, 0) for y in d.years]
        ax.bar(years, vals, bottom=bottom, color=colour, label=t.replace("_", " "))
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("units bought")
    ax.set_title("Rolling stock bought per year, by type")
    ax.legend(fontsize=8, ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    variants = programme.variants
    published = programme.target("vnr-rolling-stock-2050")
    labels = [v.label for v in variants]
    ax2.barh(labels, [v.units for v in variants], color=["#2c3e50"] + ["#95a5a6"] * (len(variants) - 1))
    if published is not None and published.units:
        ax2.axvline(published.units, color="#c0392b", ls="--", label=f"published {published.units:,}")
        ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax2.invert_yaxis()
    ax2.set_xlabel(f"units {d.years[0].year}–{d.years[-1].year}")
    ax2.set_title("Sensitivity: one assumption at a time")
    ax2.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return _png(fig, "rolling stock bought per year and sensitivity")


# --- sections -----------------------------------------------------------------------------------


def _summary(programme: Programme) -> str:
    comp = programme.fleet_comparison()
    last = programme.years[-1]
    hanoi = next((y for y in programme.years if y.year == 2045), last)
    items = [
        (f"{last.km:,.0f} km", f"programme lines in service in {last.year}"),
        (
            f"{hanoi.km_by_system.get('Hanoi urban rail', 0):,.0f} km",
            f"of Hanoi urban rail in {hanoi.year} (published 616.9)",
        ),
        (
            f"{programme.fleet[-1].trainsets:,}",
            f"trainsets and trains in service in {programme.fleet[-1].year}",
        ),
        (
            f"{comp.modelled_units_2050:,}",
            f"units bought {comp.years[0]}–{comp.years[1]} (published {comp.published_units_2050:,})",
        ),
        (
            f"VND {comp.modelled_cost_vnd / 1e12:,.0f} tn",
            f"their cost (published VND {(comp.published_cost_vnd or 0) / 1e12:,.0f} tn)",
        ),
    ]
    changes = [r for r in programme.route_changes if r.saved_h is not None]
    for r in changes[:1]:
        items.append(
            (
                f"{r.saved_h:+,.1f} h",
                f"{r.origin} → {r.destination} by rail, {r.before_year} → {r.after_year}",
            )
        )
    return (
        '<div class="figures">'
        + "".join(f"<div><b>{html.escape(a)}</b>{html.escape(b)}</div>" for a, b in items)
        + "</div>"
    )


def _lines_table(programme: Programme, sources: _Sources) -> str:
    from silkrail.programme.timeline import line_cost

    rows = []
    for line in sorted(programme.data.lines, key=lambda ln: (ln.opens, ln.system, ln.id)):
        cost = line_cost(programme.data, line)
        _, colour = phase_of(line.opens)
        sections = "; ".join(
            f"{html.escape(s.name)} {s.km:g} km {s.opens}{sources.ref(s.sources, s.as_of)}"
            for s in line.sections
        )
        rows.append(
            [
                f'<span style="color:{colour}">■</span> {line.opens}',
                html.escape(line.name) + (f"<br><small>{sections}</small>" if sections else ""),
                html.escape(" – ".join(line.termini)),
                f"{line.km:,.1f}",
                str(line.gauge_mm),
                f"{line.design_speed_kmh:g}",
                f"{cost.usd / 1e9:,.2f}"
                + (
                    f' <small title="{html.escape(cost.note)}">'
                    f"({html.escape(cost.basis.replace('_', ' '))})</small>"
                    if cost.basis != "published"
                    else ""
                ),
                html.escape(line.status.replace("_", " "))
                + ("" if not line.network_line else "<br><small>on the network</small>"),
                html.escape(line.geometry),
                sources.ref(line.sources, line.as_of)
                + (f"<br><small>{html.escape(line.note)}</small>" if line.note else ""),
            ]
        )
    return '<h2 id="lines">Lines</h2>' + _table(
        [
            "opens",
            "line",
            "termini",
            "km",
            "gauge mm",
            "design km/h",
            "cost US$ bn",
            "status",
            "geometry",
            "source, note",
        ],
        rows,
        numeric=(3, 4, 5, 6),
    )


def _investment_text(programme: Programme, sources: _Sources) -> str:
    """Hanoi's modelled investment against the published total, in words."""
    target = programme.target("hanoi-urban-2045")
    hanoi = [p for p in programme.phases if p.system == "Hanoi urban rail"]
    if target is None or not target.cost_usd or not hanoi:
        return ""
    modelled = sum(p.modelled_usd for p in hanoi)
    named = sum(p.named_usd for p in hanoi)
    return (
        f'<p class="note">Hanoi urban rail {hanoi[0].from_year}–{hanoi[-1].to_year}: the lines modelled cost '
        f"US${modelled / 1e9:,.1f} bn against the published US${target.cost_usd / 1e9:g} bn"
        f"{sources.ref(target.sources, target.as_of)}; the named lines with their own published costs "
        f"account for US${named / 1e9:,.1f} bn of it, the rest is priced at each phase's published "
        "average per km.</p>"
    )


def _phases_table(programme: Programme, sources: _Sources) -> str:
    rows = []
    for p in programme.phases:
        src = next(
            (x for x in programme.data.phase_totals if x.system == p.system and x.from_year == p.from_year),
            None,
        )
        rows.append(
            [
                html.escape(p.system),
                f"{p.from_year}–{p.to_year}",
                f"{p.published_km:,.1f}",
                f"{p.modelled_km:,.1f}",
                f"{p.named_km:,.1f}",
                f"{p.published_usd / 1e9:,.2f}",
                f"{p.modelled_usd / 1e9:,.2f}",
                f"{p.named_usd / 1e9:,.2f}",
                sources.ref(src.sources, src.as_of) if src else "",
            ]
        )
    return (
        '<h2 id="phases">Published phases against the lines</h2>'
        '<p class="note">Each city phase as published (km, US$) against the parts of lines opening in it; '
        "'named' counts only lines named in the sources, the rest of each phase being an unnamed remainder "
        "priced at the phase average.</p>"
        + _table(
            [
                "system",
                "years",
                "published km",
                "modelled km",
                "named lines km",
                "published US$ bn",
                "modelled US$ bn",
                "named lines US$ bn",
                "source",
            ],
            rows,
            numeric=(2, 3, 4, 5, 6, 7),
        )
        + "".join(_km_plan_note(programme, k, sources) for k in programme.data.km_plans)
    )


def _km_plan_note(programme: Programme, plan: KmPlan, sources: _Sources) -> str:
    from silkrail.programme.service import km_open

    lines = [ln for ln in programme.data.lines if ln.system == plan.system]
    points = ", ".join(
        f"{km:,.0f} km by {y} (the lines here: {sum(km_open(ln, y) for ln in lines):,.0f})"
        for y, km in sorted(plan.km_by_year.items())
    )
    return (
        f'<p class="note">{html.escape(plan.system)}, a later plan: {points}'
        f"{sources.ref(plan.sources, plan.as_of)}. Its lines' lengths are not published; the lines here "
        "follow the earlier per-line plan, and the later one is a sensitivity of the rolling-stock "
        "demand.</p>"
    )


def _service_tables(programme: Programme, sources: _Sources) -> str:
    checks = [
        [
            html.escape(c.name),
            str(c.year),
            f"{c.km:g}",
            str(c.modelled),
            str(c.published),
            '<span class="good">yes</span>' if c.within_one else ('<span class="bad">no</span>'),
            "–" if c.implied_headway_min is None else f"{c.implied_headway_min:.1f} min",
            html.escape(c.basis),
        ]
        for c in programme.checks
    ]
    rows = []
    for line in programme.data.lines:
        for lf in programme.plans.get(line.id, ()):
            phase = next(ph for ph in line.service if ph.from_year == lf.from_year)
            pats = "<br>".join(
                f"{html.escape(p.name)}: {p.km:,.0f} km, {p.run_h * 60:,.0f} min, "
                f"every {p.headway_min:,.1f} min"
                + (f" at peak, {p.offpeak_headway_min:g} off-peak" if p.offpeak_headway_min else "")
                + f" ({p.trains_per_day:,.0f} a day each way), trains of {html.escape(p.train)}"
                + f" → {p.trainsets}"
                for p in lf.patterns
            )
            rows.append(
                [
                    html.escape(line.name),
                    str(lf.from_year),
                    html.escape(lf.basis),
                    pats,
                    str(lf.trainsets),
                    html.escape(", ".join(f"{n} {t.replace('_', ' ')}" for t, n in lf.vehicles.items())),
                    html.escape(lf.assumed or "") + sources.ref(phase.sources, phase.as_of),
                ]
            )
    rec = ""
    r = programme.reconciliation
    if r is not None:
        target = next((t for t in programme.data.targets if t.trainsets == r.published), None)
        rec = (
            f"<h3>The North–South high-speed line's {r.published} EMUs</h3>"
            f'<p class="note">{html.escape(r.note)}'
            f"{sources.ref(target.sources, target.as_of) if target else ''}</p>"
        )
    return (
        '<h2 id="fleet">Service plans and fleets</h2>'
        '<p class="note">A line\'s trainsets follow from its plan as in <code>silkrail fleet</code>: '
        "per pattern "
        "ceil((2 run + 2 turnaround) / peak headway) under way, plus the reserve share "
        "(fleet.yaml). Each plan says whether it is published or how it was assumed.</p>"
        "<h3>Published fleets against the model</h3>"
        + _table(
            [
                "line",
                "year",
                "km open",
                "modelled",
                "published",
                "within one",
                "published fleet runs every",
                "plan basis",
            ],
            checks,
            numeric=(1, 2, 3, 4),
        )
        + rec
        + "<h3>Every plan</h3>"
        + _table(
            ["line", "from", "basis", "patterns", "trainsets", "vehicles", "assumed, source"],
            rows,
            numeric=(1, 4),
        )
    )


def _demand_section(programme: Programme, sources: _Sources) -> str:
    comp = programme.fleet_comparison()
    d = programme.demand
    types = ("locomotive", "coach", "wagon", "hsr_car", "metro_car")
    rows = [
        [str(y.year), *(str(y.bought.get(t, 0)) for t in types), str(y.units), f"{y.cost_usd / 1e6:,.0f}"]
        for y in d.years
    ]
    total = d.by_type()
    rows.append(
        [
            "<b>total</b>",
            *(f"<b>{total[t]:,}</b>" for t in types),
            f"<b>{d.units:,}</b>",
            f"<b>{d.cost_usd / 1e6:,.0f}</b>",
        ]
    )
    published = programme.target("vnr-rolling-stock-2050")
    by_type = programme.target("vnr-demand-2030-2050")
    cmp_rows = []
    if published is not None:
        cmp_rows.append(
            [
                "all units by 2050" + sources.ref(published.sources, published.as_of),
                f"{published.units:,}" if published.units else "–",
                f"{comp.modelled_units_2050:,}",
                f"VND {(published.cost_vnd or 0) / 1e12:,.0f} tn",
                f"VND {comp.modelled_cost_vnd / 1e12:,.0f} tn",
            ]
        )
    if by_type is not None:
        modelled = comp.modelled_by_type_2030_2050 or {}
        published_by_type: dict[str, int] = {str(k): v for k, v in by_type.by_type.items()}
        for t in types:
            cmp_rows.append(
                [
                    f"{t.replace('_', ' ')}, 2030–2050" + sources.ref(by_type.sources, by_type.as_of),
                    f"{published_by_type.get(t, 0):,}",
                    f"{modelled.get(t, 0):,}",
                    "",
                    "",
                ]
            )
    sens = [
        [
            html.escape(v.label),
            f"{v.units:,}",
            f"{v.change_units(comp.base_units):+,}",
            html.escape(v.effect_on_gap(comp.base_units, comp.published_units_2050) or ""),
            f"{round(v.cost_usd) / 1e9:,.1f}",
        ]
        for v in comp.variants
    ]
    fleet_refs = "".join(sources.ref(f.sources, f.as_of) for f in programme.data.fleet)
    price_refs = "".join(sources.ref(p.sources, p.as_of) for p in programme.data.prices)
    retire_refs = "".join(sources.ref(r.sources, r.as_of) for r in programme.data.retirement)
    traffic_refs = "".join(sources.ref(t.sources, t.as_of) for t in programme.data.traffic)
    checks = _table(
        ["type", "check", "published", "modelled"],
        [[html.escape(c.type), html.escape(c.what), str(c.published), str(c.modelled)] for c in comp.checks],
        numeric=(2, 3),
    )
    assumptions = "".join(f"<li>{html.escape(a)}</li>" for a in comp.assumptions)
    return (
        '<h2 id="demand">Rolling-stock demand</h2>'
        + _demand_chart(programme)
        + "<h3>Against the published totals</h3>"
        + _table(
            ["figure", "published", "modelled", "published cost", "modelled cost"], cmp_rows, numeric=(1, 2)
        )
        + "<h3>Sensitivity</h3>"
        + _table(
            ["variant", "units", "change", "gap to the published units", "US$ bn"], sens, numeric=(1, 2, 4)
        )
        + f"<h3>Assumptions</h3><ul class='note'>{assumptions}</ul>"
        + f'<p class="note">Present fleet{fleet_refs}; unit prices{price_refs}; '
        + f"retirement ages{retire_refs}; traffic{traffic_refs}.</p>"
        + "<h3>The present fleet's ages against the operator's count</h3>"
        + checks
        + "<h3>Units bought per year</h3>"
        + _table(
            ["year", *(t.replace("_", " ") for t in types), "all", "US$ M"], rows, numeric=tuple(range(0, 8))
        )
    )


def _links_section(
    programme: Programme,
    sources: _Sources,
    outlines: Sequence[Mapping[str, object]],
    points: dict[str, tuple[float, float]],
) -> str:
    rows = [
        [
            html.escape(link.name),
            html.escape(" – ".join(link.countries)),
            html.escape(" / ".join(f"{g:,}" for g in link.gauges_mm)),
            html.escape(link.method.replace("_", " ")),
            "open" if link.opens is None else str(link.opens),
            html.escape(", ".join(link.lines)),
            sources.ref(link.sources),
        ]
        for link in programme.links
    ]
    parts = [
        '<h2 id="links">Border links by year</h2>',
        _table(["crossing", "countries", "gauges mm", "gauge change", "opens", "lines", "source"], rows),
    ]
    for rc in programme.route_changes:
        title = f"{rc.origin} → {rc.destination} by rail, {rc.before_year} and {rc.after_year} ({rc.link})"
        cells = []
        drawn = []
        for year, f, error, colour in (
            (rc.before_year, rc.before, rc.before_error, "#c0392b"),
            (rc.after_year, rc.after, rc.after_error, "#16a085"),
        ):
            if f is None:
                cells.append(
                    [
                        str(year),
                        f'<span class="bad">{html.escape(error or "no route")}</span>',
                        "",
                        "",
                        "",
                        "",
                        "",
                    ]
                )
                continue
            drawn.append((f.coordinates, colour, f"{year}: {f.duration_h:,.1f} h"))
            cells.append(
                [
                    str(year),
                    f"{f.duration_h:,.1f} h ({f.duration_h / 24:,.1f} days)",
                    f"{f.distance_km:,.0f}",
                    html.escape(" → ".join(f"{g:,}" for g in f.gauges_mm)),
                    html.escape(", ".join(f.gauge_changes) or "none"),
                    html.escape(", ".join(f.crossings) or "none"),
                    html.escape(
                        " | ".join(f"{a} → {b} ({g or '–'} mm, {km:,.0f} km)" for a, b, g, km in f.legs)
                    ),
                ]
            )
        lon = [x for coords, _, _ in drawn for leg in coords for x, _ in leg]
        lat = [y for coords, _, _ in drawn for leg in coords for _, y in leg]
        pad = 0.6
        bbox = (min(lon) - pad, min(lat) - pad, max(lon) + pad, max(lat) + pad) if lon else VIEWS[0][1]
        svg = _svg(programme, bbox, outlines, year=rc.after_year, points=points, routes=drawn)
        if (
            rc.saved_h is not None
            and rc.before is not None
            and rc.after is not None
            and abs(rc.saved_h) < 0.05
            and rc.before.legs == rc.after.legs
        ):
            verdict = (
                "<b>No change</b>: the route is the same in both years (the new line offers no faster "
                "path here, or the route must end on the gauge the place is served on today)."
            )
        elif rc.saved_h is not None and rc.before is not None and rc.after is not None:
            verdict = (
                f"<b>{rc.saved_h:+,.1f} h</b> ({rc.saved_h / 24:+,.2f} days) saved; gauge changes "
                f"{len(rc.before.gauge_changes)} → {len(rc.after.gauge_changes)}."
            )
        elif rc.before is None and rc.after is not None:
            verdict = f"<b>No rail route in {rc.before_year}</b>: the link opens the first."
        else:
            verdict = "No rail route found after the link opens (see the table)."
        parts.append(
            f"<h3>{html.escape(title)}</h3>"
            f'<p class="note">{verdict} Red: {rc.before_year}, green: {rc.after_year}.</p>'
            f'<div style="display:grid;grid-template-columns:1fr 1.4fr;gap:8px;align-items:start">'
            f"<figure style='margin:0;background:#fff;border:1px solid #ccd'>{svg}</figure>"
            + _table(
                ["year", "time", "km", "gauges", "gauge changes", "border crossings", "legs"],
                cells,
                numeric=(2,),
            )
            + "</div>"
        )
    return "".join(parts)


def programme_html(programme: Programme, *, outlines: Sequence[Mapping[str, object]] | None = None) -> str:
    """The whole report as one HTML page."""
    if outlines is None:
        from silkrail.viz.outlines import simplified_outlines

        outlines = simplified_outlines()
    sources = _Sources()
    points = crossing_points()
    title = f"{programme.data.name}, {programme.year_from}–{programme.year_to}"
    nav = (
        "<nav>"
        + "".join(
            f'<a href="#{i}">{html.escape(t)}</a>'
            for i, t in (
                ("map", "map"),
                ("growth", "km, trainsets, investment"),
                ("lines", "lines"),
                ("fleet", "service plans and fleets"),
                ("demand", "rolling-stock demand"),
                ("links", "border links"),
                ("sources", "sources"),
            )
        )
        + "</nav>"
    )
    parts = [
        _summary(programme),
        nav,
        _maps(programme, outlines, points),
        '<h2 id="growth">Km in service, trainsets and investment</h2>',
        _km_chart(programme),
        _fleet_chart(programme),
        _investment_chart(programme),
        _investment_text(programme, sources),
        _phases_table(programme, sources),
        _lines_table(programme, sources),
        _service_tables(programme, sources),
        _demand_section(programme, sources),
        _links_section(programme, sources, outlines, points),
        '<h2 id="notes">Notes</h2><ul class="note">'
        + "".join(f"<li>{html.escape(n)}</li>" for n in programme.notes)
        + "</ul>",
    ]
    settings_src = sources.ref(programme.data.settings.sources, programme.data.settings.as_of)
    rate_src = sources.ref(programme.data.exchange_rate.sources, programme.data.exchange_rate.as_of)
    parts.append(f'<p class="note">Planning settings{settings_src}; exchange rate{rate_src}.</p>')
    parts.append(sources.html())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><header><h1>{html.escape(title)}</h1>"
        "<p>Planned lines by opening phase, their fleets by year, rolling-stock demand against the "
        "published totals, and the border links with what they change. Every figure's source is listed "
        "at the end.</p></header><main>"
        + "".join(parts)
        + f"</main><footer>{html.escape(ATTRIBUTION)}. Generated by silkrail.</footer>"
        f"<script>{_SCRIPT}</script></body></html>"
    )


def write_report(
    programme: Programme, path: Path, *, outlines: Sequence[Mapping[str, object]] | None = None
) -> Path:
    """Write the report to ``path``, whole or not at all."""
    from silkrail.cache import atomic_write

    text = programme_html(programme, outlines=outlines)
    path = Path(path)
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))
    return path
