"""The offline HTML report of a comparison of the exits to the sea: one map of every exit, the
comparison table, the charts, the before/after by year, the country and operator shares, the
security and sanctions statements and every source. Nothing is fetched when the page opens."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from silkrail.analysis.report import (
    PALETTE,
    _legend,
    _page,
    _png,
    _pyplot,
    _Sources,
    _svg_map,
    _table,
    _write,
)

if TYPE_CHECKING:
    from silkrail.analysis.dependency import OperatorShare
    from silkrail.analysis.risks import RiskNote
    from silkrail.analysis.sea import ExitRoute, SeaComparison

GAUGE_CHANGE_COLOUR = "#f1c40f"
BORDER_COLOUR = "#222"
PORT_COLOUR = "#138d90"
ORIGIN_COLOUR = "#e84393"


def _colours(c: SeaComparison) -> dict[str, str]:
    """One colour per exit, the same on the map and in the charts."""
    return {x.exit.id: PALETTE[i % len(PALETTE)] for i, x in enumerate(c.exits)}


def _days(h: float) -> str:
    return f"{h / 24:,.1f}"


def _range(lo: float, hi: float, scale: float = 1.0, digits: int = 1) -> str:
    return f"{lo / scale:,.{digits}f}–{hi / scale:,.{digits}f}"


def sea_html(c: SeaComparison, *, title: str, outlines: Sequence[Mapping[str, object]] | None = None) -> str:
    sources = _Sources()
    colours = _colours(c)
    lines, points = [], []
    last = c.years[-1]
    changed = False
    for x in c.exits:
        colour = colours[x.exit.id]
        if x.route is not None:
            for leg in x.route.legs:
                tip = (
                    f"{x.exit.name} ({c.year}): {leg.mode} {leg.from_} → {leg.to}, {leg.distance_km:,.0f} km"
                )
                lines.append((leg.coordinates, colour, tip, 1.4))
            for e in x.route.events:
                if e.kind == "gauge_change":
                    points.append(
                        (
                            e.lon,
                            e.lat,
                            GAUGE_CHANGE_COLOUR,
                            f"gauge change at {e.at}: {e.from_gauge_mm}→{e.to_gauge_mm} mm",
                            1.0,
                        )
                    )
                elif e.kind == "border_crossing":
                    points.append((e.lon, e.lat, BORDER_COLOUR, f"border: {e.at}", 0.7))
            d = x.route.destination
            points.append((d.lon, d.lat, PORT_COLOUR, f"{x.exit.name}: {x.port}", 1.6))
        later = c.exit_route(x.exit.id, last)
        if later.route is not None and not later.same_route(x):
            changed = True
            for leg in later.route.legs:
                tip = f"{x.exit.name} ({last}, with the planned links): {leg.from_} → {leg.to}"
                lines.append((leg.coordinates, colour, tip, 0.6))
    o = c.origin
    points.append((o.lon, o.lat, ORIGIN_COLOUR, f"origin: {o.name}", 2.2))
    legend = _legend(
        [(x.exit.name, colours[x.exit.id]) for x in c.exits]
        + [
            ("origin", ORIGIN_COLOUR),
            ("gauge change", GAUGE_CHANGE_COLOUR),
            ("border", BORDER_COLOUR),
            ("port", PORT_COLOUR),
        ]
    )
    parts = [
        f"<p>The best rail route (rail ferries included) from <b>{html.escape(o.name)}</b> to each exit "
        f"to the sea in the network of <b>{c.year}</b> (the reference year is {c.reference_year}), "
        f"by {html.escape(c.objective)}"
        + (f"; thin lines: the route of {last}, where the planned links change it" if changed else "")
        + ".</p>",
        _svg_map(lines, points, outlines=outlines),
        legend,
        "<h2>The exits compared</h2>",
        _main_table(c, sources),
        "<p>Figures per TEU; ranges are the 10th–90th percentiles. HHI: the sum of the squared "
        "percentage shares of the distance (0–10,000; 10,000 when one country or operator holds all of "
        "it); operators whose records no source gives are left out of the operators' HHI. Security "
        "and sanctions: what a source states about a country the route crosses; nothing is scored, "
        "and a country without a statement is not thereby safe.</p>",
        _chart(c),
        "<h2>Security and sanctions statements</h2>",
        _risks_list(c, sources),
        "<h2>Before and after, by year</h2>",
        _timeline_table(c),
        _changes_list(c, sources),
        "<h2>Share of the distance per country</h2>",
        _shares_table(c),
        "<h2>Share of the distance per operator</h2>",
        _operators_table(c, sources),
        sources.html(),
    ]
    return _page(title, parts)


def _main_table(c: SeaComparison, sources: _Sources) -> str:
    head = [
        "exit",
        "port",
        "km",
        "days (range)",
        "US$/TEU (range)",
        "t CO2e/TEU (range)",
        "breaks of gauge",
        "borders",
        "countries",
        "HHI countries",
        "HHI operators",
        "planned links it needs",
        "security / sanctions",
    ]
    numeric = {2, 3, 4, 5, 9, 10}
    body = []
    for x in c.exits:
        name = f"<b>{html.escape(x.exit.name)}</b><br><i>{html.escape(x.exit.corridor)}</i>"
        r = x.route
        if r is None:
            note = f'<span class="unknown">{html.escape(x.note or "no route")}</span>'
            body.append(f'<tr><td>{name}</td><td colspan="{len(head) - 1}">{note}</td></tr>')
            continue
        dep = x.dependency
        gauges = (
            "<br>".join(f"{html.escape(e.at)}: {e.from_gauge_mm}→{e.to_gauge_mm}" for e in r.gauge_changes)
            or "none"
        )
        borders = f"{len(r.border_crossings)}: " + ", ".join(html.escape(e.at) for e in r.border_crossings)
        planned = (
            "<br>".join(
                f"{html.escape(p.name)} ({p.status.replace('_', ' ')}, {p.opens}"
                + (f", US${p.cost_usd / 1e9:,.2f} bn" if p.cost_usd and p.cost_usd >= 1e8 else "")
                + ")"
                + sources.ref(list(p.sources), None)
                for p in x.planned
            )
            or "none"
        )
        risks = (
            "<br>".join(f"{n.country}: {n.kind}" + sources.ref(list(n.sources), n.as_of) for n in x.risks)
            or '<span class="unknown">no statement</span>'
        )
        op_hhi = dep.operator_hhi.get("distance") if dep else None
        cells = [
            name,
            html.escape(x.port or ""),
            f"{r.distance_km:,.0f}",
            f"{_days(r.duration_h)} ({_range(*r.duration_h_range, scale=24)})",
            f"{r.cost_usd:,.0f} ({_range(*r.cost_usd_range, digits=0)})",
            f"{r.co2_kg / 1000:,.2f} ({_range(*r.co2_kg_range, scale=1000, digits=2)})",
            gauges,
            borders,
            html.escape(" → ".join(r.countries)),
            f"{dep.hhi['distance']:,.0f}" if dep else "–",
            f"{op_hhi:,.0f}" if op_hhi is not None else '<span class="unknown">unknown</span>',
            planned,
            risks,
        ]
        body.append(
            "<tr>"
            + "".join(f"<td{' class=n' if i in numeric else ''}>{v}</td>" for i, v in enumerate(cells))
            + "</tr>"
        )
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><tr>{th}</tr>{''.join(body)}</table>"


def _risks_list(c: SeaComparison, sources: _Sources) -> str:
    """Each statement once, with the exits whose routes cross its country."""
    by_note: dict[RiskNote, list[str]] = {}
    for x in c.exits:
        for n in x.risks:
            by_note.setdefault(n, []).append(x.exit.name)
    if not by_note:
        return (
            "<p>No source read states a security or sanctions risk for the countries these routes cross.</p>"
        )
    items = [
        f"<li><b>{n.country}</b> ({n.kind}; routes to {html.escape(', '.join(names))}): "
        f"{html.escape(n.statement)}{sources.ref(list(n.sources), n.as_of)}</li>"
        for n, names in by_note.items()
    ]
    return "<ul>" + "".join(items) + "</ul>"


def _chart(c: SeaComparison) -> str:
    """Days and US$ per TEU of each exit with their ranges, side by side."""
    ok = [(x.exit.name, x.route) for x in c.exits if x.route is not None]
    if not ok:
        return ""
    plt = _pyplot()
    names = [name for name, _ in ok]
    by_id = _colours(c)
    colours = [by_id[x.exit.id] for x in c.exits if x.route is not None]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(ok) + 1.4), sharey=True)
    panels = [
        ("days", [r.duration_h / 24 for _, r in ok], [r.duration_h_range for _, r in ok], 24.0),
        ("US$ per TEU", [r.cost_usd for _, r in ok], [r.cost_usd_range for _, r in ok], 1.0),
    ]
    for ax, (label, vals, ranges, scale) in zip(axes, panels, strict=True):
        lo = [v - r[0] / scale for v, r in zip(vals, ranges, strict=True)]
        hi = [r[1] / scale - v for v, r in zip(vals, ranges, strict=True)]
        ax.barh(names, vals, xerr=[lo, hi], color=colours, capsize=3)
        ax.set_xlabel(f"{label} (bar: expected; whisker: 10th–90th percentile)")
    axes[0].invert_yaxis()
    fig.suptitle(f"From {c.origin.name}, network of {c.year}")
    return _png(fig)


def _timeline_table(c: SeaComparison) -> str:
    head = ["exit", *[str(y) for y in c.years]]
    rows = []
    for x in c.exits:
        row = [html.escape(x.exit.name)]
        prev: ExitRoute | None = None
        for y in c.years:
            e = c.exit_route(x.exit.id, y)
            if e.route is None:
                row.append('<span class="unknown">no route</span>')
            else:
                r = e.route
                text = f"{_days(r.duration_h)} d, ${r.cost_usd:,.0f}, {r.distance_km:,.0f} km"
                changed = prev is not None and not prev.same_route(e)
                row.append(f"<b>{text}</b>" if changed else text)
            prev = e
        rows.append(row)
    return _table(head, rows) + "<p>Per TEU; bold: the route changes that year as planned links open.</p>"


def _changes_list(c: SeaComparison, sources: _Sources) -> str:
    if not c.changes:
        return "<p>No planned link changes any exit's route.</p>"
    items = []
    for ch in c.changes:
        links = (
            ", ".join(
                f"{html.escape(p.name)} ({p.opens})" + sources.ref(list(p.sources), None) for p in ch.links
            )
            or "links opening that year"
        )
        a, b = ch.was, ch.becomes
        if b is None:
            what = "loses its route"
        elif a is None:
            what = (
                f"becomes reachable: {_days(b.duration_h)} days, US${b.cost_usd:,.0f} per TEU, "
                f"{b.distance_km:,.0f} km through {' → '.join(b.countries)}"
            )
        else:
            what = (
                f"{_days(a.duration_h)} → {_days(b.duration_h)} days, US${a.cost_usd:,.0f} → "
                f"{b.cost_usd:,.0f} per TEU, {a.distance_km:,.0f} → {b.distance_km:,.0f} km; "
                f"through {' → '.join(b.countries)} instead of {' → '.join(a.countries)}"
            )
        items.append(f"<li><b>{ch.year}, {html.escape(ch.exit.name)}</b>: {links}: {html.escape(what)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _shares_table(c: SeaComparison) -> str:
    ok = [(x, x.dependency) for x in c.exits if x.dependency is not None]
    countries = list(dict.fromkeys(s.country for _, dep in ok for s in dep.shares))
    rows = []
    for cc in countries:
        row = [html.escape(cc)]
        for _, dep in ok:
            s = next((v for v in dep.shares if v.country == cc), None)
            row.append("–" if s is None else f"{s.shares.distance:.0%}")
        rows.append(row)
    return _table(["country", *[x.exit.name for x, _ in ok]], rows, numeric=list(range(1, len(ok) + 1)))


def _operators_table(c: SeaComparison, sources: _Sources) -> str:
    ok = [(x, x.dependency) for x in c.exits if x.dependency is not None]
    names: dict[str, OperatorShare] = {}
    for _, dep in ok:
        for s in dep.operators:
            names.setdefault(s.operator, s)
    rows = []
    for op, first in names.items():
        label = html.escape(first.name or op) + (
            sources.ref(list(first.sources), None) if first.sources else ""
        )
        if op == "unknown":
            label = '<span class="unknown">unknown (no source names the operator)</span>'
        row = [label]
        for _, dep in ok:
            o = next((v for v in dep.operators if v.operator == op), None)
            row.append("–" if o is None else f"{o.shares.distance:.0%}")
        rows.append(row)
    return _table(["operator", *[x.exit.name for x, _ in ok]], rows, numeric=list(range(1, len(ok) + 1)))


def write_sea_report(
    c: SeaComparison, path: Path, *, title: str, outlines: Sequence[Mapping[str, object]] | None = None
) -> Path:
    """Write the report to ``path`` (whole or not at all)."""
    return _write(path, sea_html(c, title=title, outlines=outlines))
