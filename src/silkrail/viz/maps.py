"""A standalone HTML map of routes: country outlines and routes drawn as inline SVG.

Nothing is fetched when the page opens (no tile server, no script from the web): the file
works offline. Rail legs are coloured by gauge, sea legs dashed, crossings and gauge changes
marked, with a tooltip for each; the mouse wheel zooms and dragging pans.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from silkrail.network.model import ATTRIBUTION

if TYPE_CHECKING:
    from silkrail.routing.results import Route

GAUGE_COLOURS = {
    1000: "#e67e22",
    1067: "#d35400",
    1435: "#2e86de",
    1520: "#c0392b",
    1668: "#8e44ad",
    1676: "#16a085",
}
SEA_COLOUR = "#138d90"
OPTION_STYLES = ["", "stroke-opacity:0.75", "stroke-opacity:0.6"]
TERMINAL_COLOUR = "#7f8c8d"  # terminals and any other stop
EVENT_COLOURS = {
    "border_crossing": "#222",
    "gauge_change": "#f1c40f",
    "port_transfer": "#1abc9c",
    "ferry": "#8e44ad",
}


def project(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator in degrees-like units (x = lon, y = mercator lat)."""
    lat = max(min(lat, 85.0), -85.0)
    return lon, -math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def land_paths(outlines: Any, x0: float, x1: float) -> list[str]:
    """SVG paths of the country outlines that reach into the longitudes from ``x0`` to ``x1``,
    each titled with its country code."""
    land = []
    for c in outlines:
        for ring in c["rings"]:
            rx = [p[0] for p in ring]
            if max(rx) < x0 - 5 or min(rx) > x1 + 5:
                continue
            land.append(f'<path d="{path_d(ring)}Z"><title>{html.escape(c["code"])}</title></path>')
    return land


def path_d(coords: list[tuple[float, float]] | list[list[float]]) -> str:
    """SVG path data; a step of more than 180 degrees of longitude crosses the antimeridian
    and starts a new sub-path instead of a line across the whole map."""
    parts: list[str] = []
    prev_x: float | None = None
    for lon, lat in coords:
        x, y = project(lon, lat)
        cmd = "M" if prev_x is None or abs(x - prev_x) > 180 else "L"
        parts.append(f"{cmd}{x:.3f},{y:.3f}")
        prev_x = x
    return " ".join(parts)


def routes_to_html(routes: list[Route], outlines: list[dict[str, Any]], *, title: str) -> str:
    xs, ys = [], []
    for r in routes:
        for leg in r.legs:
            for x, y in leg.coordinates:
                px, py = project(x, y)
                xs.append(px)
                ys.append(py)
    if not xs:
        raise ValueError("nothing to draw: the routes have no geometry")
    pad = max(max(xs) - min(xs), max(ys) - min(ys)) * 0.08 + 1
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    width = x1 - x0
    stroke = width / 400
    land = land_paths(outlines, x0, x1)
    layers = []
    legend_rows = []
    for i, r in enumerate(routes):
        style = OPTION_STYLES[min(i, len(OPTION_STYLES) - 1)]
        label = r.label or ("best" if i == 0 else f"alternative {i}")
        group = [f'<g class="route" data-label="{html.escape(label)}">']
        for leg in r.legs:
            colour = SEA_COLOUR if leg.mode == "sea" else GAUGE_COLOURS.get(leg.gauge_mm or 0, "#555")
            afloat = leg.mode in ("sea", "ferry")  # a rail ferry keeps its gauge colour, dashed
            dash = f' stroke-dasharray="{stroke * 4:.3f},{stroke * 3:.3f}"' if afloat else ""
            tip = (
                f"{label}: {leg.mode} {f'{leg.gauge_mm} mm ' if leg.gauge_mm else ''}"
                f"{leg.from_} → {leg.to}, {leg.distance_km:,.0f} km, {leg.duration_h:,.0f} h"
            )
            group.append(
                f'<path d="{path_d(leg.coordinates)}" fill="none" stroke="{colour}" '
                f'stroke-width="{stroke * (2.2 if i == 0 else 1.4):.3f}" style="{style}"{dash}>'
                f"<title>{html.escape(tip)}</title></path>"
            )
        for e in r.events:
            x, y = project(e.lon, e.lat)
            gauges = f", {e.from_gauge_mm}→{e.to_gauge_mm} mm" if e.kind == "gauge_change" else ""
            tip = (
                f"{e.kind.replace('_', ' ')} at {e.at} ({e.from_country}→{e.to_country}{gauges}): "
                f"{e.duration_h:.1f} h, ${e.cost_usd:,.0f}"
            )
            fill = EVENT_COLOURS.get(e.kind, TERMINAL_COLOUR)
            group.append(
                f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{stroke * 3.2:.3f}" fill="{fill}" '
                f'stroke="#fff" stroke-width="{stroke * 0.6:.3f}"><title>{html.escape(tip)}</title></circle>'
            )
        group.append("</g>")
        layers.append("".join(group))
        legend_rows.append(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{r.distance_km:,.0f} km</td>"
            f"<td>{r.duration_h / 24:,.1f} days</td><td>${r.cost_usd:,.0f}</td>"
            f"<td>{r.co2_kg / 1000:,.2f} t CO2</td>"
            f"<td>{html.escape(' → '.join(r.countries))}</td></tr>"
        )
    for r in routes[:1]:
        for p in (r.origin, r.destination):
            x, y = project(p.lon, p.lat)
            layers.append(
                f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{stroke * 4:.3f}" fill="#fff" stroke="#000" '
                f'stroke-width="{stroke:.3f}"><title>{html.escape(p.name)}</title></circle>'
                f'<text x="{x + stroke * 6:.3f}" y="{y:.3f}" '
                f'font-size="{stroke * 7:.3f}">{html.escape(p.name)}</text>'
            )
    swatches = "".join(
        f'<span><i style="background:{c}"></i>{g:,} mm rail</span>'
        for g, c in GAUGE_COLOURS.items()
        if g in {leg.gauge_mm for r in routes for leg in r.legs}
    )
    swatches += f'<span><i style="background:{SEA_COLOUR}"></i>sea</span>'
    swatches += "".join(
        f'<span><i class="dot" style="background:{c}"></i>{k.replace("_", " ")}</span>'
        for k, c in EVENT_COLOURS.items()
    )
    view = f"{x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{margin:0;font:14px system-ui,sans-serif;background:#f4f6f8;color:#222}}
header{{padding:8px 14px;background:#1f2d3a;color:#fff}} header h1{{font-size:17px;margin:0}}
#map{{width:100%;height:70vh;background:#cfe3ef;cursor:grab;display:block}}
#map .land path{{fill:#fbfaf5;stroke:#9aa5ad;stroke-width:{stroke * 0.5:.3f}}}
.legend{{padding:6px 14px}} .legend span{{margin-right:14px;white-space:nowrap}}
.legend i{{display:inline-block;width:22px;height:5px;margin-right:5px;vertical-align:middle}}
.legend i.dot{{width:10px;height:10px;border-radius:50%}}
table{{border-collapse:collapse;margin:6px 14px}} td{{padding:3px 10px;border-bottom:1px solid #ddd}}
footer{{padding:6px 14px;color:#666;font-size:12px}}
</style></head><body>
<header><h1>{html.escape(title)}</h1></header>
<svg id="map" viewBox="{view}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">
<g class="land">{"".join(land)}</g>{"".join(layers)}</svg>
<div class="legend">{swatches}</div>
<table>{"".join(legend_rows)}</table>
<footer>{html.escape(ATTRIBUTION)}. Hover a line or a dot for details; wheel to zoom, drag to pan.</footer>
<script>
(function(){{var s=document.getElementById('map'),v=s.viewBox.baseVal,drag=null;
s.addEventListener('wheel',function(e){{e.preventDefault();var r=s.getBoundingClientRect(),
k=e.deltaY<0?0.8:1.25,px=v.x+(e.clientX-r.left)/r.width*v.width,py=v.y+(e.clientY-r.top)/r.height*v.height;
v.x=px-(px-v.x)*k;v.y=py-(py-v.y)*k;v.width*=k;v.height*=k;}},{{passive:false}});
s.addEventListener('mousedown',function(e){{drag=[e.clientX,e.clientY];}});
window.addEventListener('mouseup',function(){{drag=null;}});
s.addEventListener('mousemove',function(e){{if(!drag)return;var r=s.getBoundingClientRect();
v.x-=(e.clientX-drag[0])/r.width*v.width;v.y-=(e.clientY-drag[1])/r.height*v.height;drag=[e.clientX,e.clientY];}});}})();
</script></body></html>
"""


def write_route_map(
    routes: list[Route], path: Path, *, title: str, outlines: list[dict[str, Any]] | None = None
) -> Path:
    from silkrail.viz.outlines import simplified_outlines

    Path(path).write_text(
        routes_to_html(routes, outlines if outlines is not None else simplified_outlines(), title=title),
        encoding="utf-8",
    )
    return Path(path)
