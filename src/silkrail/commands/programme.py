"""``silkrail programme``: a national rail programme as a planner sees it (a thin shell over
:mod:`silkrail.programme`). Exit codes as for ``route``: 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands import console
from silkrail.commands import options as opt
from silkrail.commands.console import Table
from silkrail.errors import DataError, SilkrailError

if TYPE_CHECKING:
    from silkrail.commands.console import LazyConsole
    from silkrail.programme.model import Programme


def register(app: typer.Typer) -> None:
    """Add ``programme`` to the ``silkrail`` application."""
    app.command("programme")(programme_cmd)


def programme_cmd(
    name: Annotated[str, typer.Argument(help="the programme: vietnam")],
    year_from: Annotated[
        int | None, typer.Option("--year-from", help="first year shown (default 2026)")
    ] = None,
    year_to: Annotated[int | None, typer.Option("--year-to", help="last year shown (default 2050)")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="write an offline HTML report")] = None,
    as_json: opt.AsJson = False,
    routes: Annotated[
        bool,
        typer.Option(
            "--routes/--no-routes",
            help="route across the border links before and after they open (loads the network)",
        ),
    ] = True,
) -> None:
    """The planned lines by opening phase, km and investment by year, trainsets by year, the
    rolling-stock demand against the operator's published total, and the border links with the
    routes they change."""
    from silkrail.programme import build_programme, load_programme
    from silkrail.timetable.fleet import load_fleet_data

    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        console.fail(DataError(f"{report} is not HTML; name the file *.html", field="--report"))
    try:
        data = load_programme(name)
        fleet = load_fleet_data()
    except DataError as exc:
        console.fail(DataError(exc.reason, field="NAME") if exc.field == "programme" else exc)
    except SilkrailError as exc:
        console.fail(exc)
    router = None
    if routes:
        from silkrail.routing.router import router_for

        router = router_for(console.load_network_or_exit())
    try:
        programme = build_programme(data, fleet=fleet, year_from=year_from, year_to=year_to, router=router)
    except DataError as exc:
        flag = {"year_from": "--year-from", "year_to": "--year-to"}.get(exc.field or "")
        console.fail(DataError(exc.reason, field=flag) if flag else exc)
    except SilkrailError as exc:
        console.fail(exc)
    written = None
    if report is not None:
        from silkrail.programme import write_report

        try:
            written = write_report(programme, report)
        except SilkrailError as exc:
            console.fail(exc)
    if as_json:
        typer.echo(json.dumps(programme.to_dict(), ensure_ascii=False))
        return
    _print(console.out, programme)
    if written is not None:
        console.out.print(f"wrote {written}")


def _print(out: LazyConsole, p: Programme) -> None:
    from silkrail.commands._records import ProgrammeComparison
    from silkrail.programme.timeline import line_cost

    out.print(f"[bold]{p.data.name}[/], {p.year_from}–{p.year_to}")
    lines = Table(
        title="lines by opening year (the report and --json give every field)", title_justify="left"
    )
    for col in ("opens", "line", "km", "US$ bn"):
        lines.add_column(col, justify="left" if col == "line" else "right")
    for line in sorted(p.data.lines, key=lambda x: (x.opens, x.id)):
        cost = line_cost(p.data, line)
        estimated = "" if cost.basis == "published" else "*"
        lines.add_row(
            str(line.opens),
            line.name,
            f"{line.km:,.1f}",
            f"{round(cost.usd) / 1e9:,.2f}{estimated}",
        )
    out.print(lines)
    out.print("[dim]* cost not published for the line: its km at the published phase average per km[/]")
    every = [y for y in p.years if (y.year - p.year_from) % 5 == 0 or y.year == p.year_to]
    yt = Table(title="km in service, investment and trainsets", title_justify="left")
    for col in (
        "year",
        "metro km",
        "high-speed km",
        "standard-gauge km",
        "invested US$ bn",
        "trainsets",
        "added",
    ):
        yt.add_column(col, justify="right")
    fleet = {f.year: f for f in p.fleet}
    for y in every:
        f = fleet[y.year]
        yt.add_row(
            str(y.year),
            f"{y.km_by_kind.get('urban_metro', 0):,.0f}",
            f"{y.km_by_kind.get('high_speed', 0):,.0f}",
            f"{y.km_by_kind.get('standard_gauge', 0):,.0f}",
            f"{y.investment_usd / 1e9:,.1f}",
            str(f.trainsets),
            str(f.added),
        )
    out.print(yt)
    ct = Table(title="published fleets against the model", title_justify="left")
    for col in ("line", "year", "km", "modelled", "published", "within one", "published fleet runs every"):
        ct.add_column(col, justify="left" if col == "line" else "right")
    for c in p.checks:
        ct.add_row(
            c.name,
            str(c.year),
            f"{c.km:g}",
            str(c.modelled),
            str(c.published),
            "yes" if c.within_one else ("fewer" if c.modelled < c.published else "[yellow]no[/]"),
            "–" if c.implied_headway_min is None else f"{c.implied_headway_min:.1f} min",
        )
    out.print(ct)
    if p.reconciliation is not None:
        out.print(f"[bold]High-speed EMUs:[/] {p.reconciliation.note}")
    comp = ProgrammeComparison.model_validate(p.comparison())
    dt = Table(title="rolling stock bought per year (units)", title_justify="left")
    dt.add_column("year", justify="right")
    types = ("locomotive", "coach", "wagon", "hsr_car", "metro_car")
    for t in types:
        dt.add_column(t.replace("_", " "), justify="right")
    dt.add_column("all", justify="right")
    dt.add_column("US$ M", justify="right")
    for bought in p.demand.years:
        dt.add_row(
            str(bought.year),
            *(str(bought.bought.get(t, 0)) for t in types),
            str(bought.units),
            f"{bought.cost_usd / 1e6:,.0f}",
        )
    total = p.demand.by_type()
    dt.add_row(
        "total", *(str(total[t]) for t in types), str(p.demand.units), f"{p.demand.cost_usd / 1e6:,.0f}"
    )
    out.print(dt)
    out.print(
        f"[bold]Against the published {comp.published_units_2050:,} units and VND "
        f"{(comp.published_cost_vnd or 0) / 1e12:,.0f} trillion by 2050:[/] the model buys "
        f"{comp.modelled_units_2050:,} units for VND {comp.modelled_cost_vnd / 1e12:,.0f} trillion "
        f"(US$ {comp.modelled_cost_usd / 1e9:,.1f} bn), {comp.years[0]}–{comp.years[1]}."
    )
    published, modelled = comp.published_by_type_2030_2050, comp.modelled_by_type_2030_2050
    if published is not None and modelled is not None:
        bt = Table(title="2030–2050 by type: the operator's figures against the model", title_justify="left")
        for col in ("", *types):
            bt.add_column(col.replace("_", " "), justify="right")
        bt.add_row("published", *(str(published.get(t, "–")) for t in types))
        bt.add_row("modelled", *(str(modelled.get(t, 0)) for t in types))
        out.print(bt)
    st = Table(title="sensitivity (one assumption at a time)", title_justify="left")
    for col in ("variant", "units", "change", "gap to published", "US$ bn"):
        st.add_column(col, justify="left" if col in ("variant", "gap to published") else "right")
    for v in comp.sensitivity:
        st.add_row(
            v.label,
            f"{v.units:,}",
            f"{v.change_units:+,}",
            v.effect_on_gap,
            f"{v.cost_usd / 1e9:,.1f}",
        )
    out.print(st)
    out.print("[bold]assumptions[/]")
    for a in comp.assumptions:
        out.print(f"  - {a}")
    if p.links:
        lt = Table(title="border links", title_justify="left")
        for col in ("crossing", "countries", "gauges", "status", "opens", "lines"):
            lt.add_column(col)
        for link in p.links:
            lt.add_row(
                link.name,
                "–".join(link.countries),
                "/".join(str(g) for g in link.gauges_mm),
                link.status,
                str(link.opens or "open"),
                ", ".join(link.lines),
            )
        out.print(lt)
    for rc in p.route_changes:
        out.print(
            f"{rc.origin} → {rc.destination} by rail, {rc.before_year} and {rc.after_year} ({rc.link}):"
        )
        for year, r, error in (
            (rc.before_year, rc.before, rc.before_error),
            (rc.after_year, rc.after, rc.after_error),
        ):
            if r is None:
                out.print(f"  {year}: [yellow]{error}[/]")
                continue
            out.print(
                f"  {year}: {r.duration_h:,.1f} h ({r.duration_h / 24:.1f} days), {r.distance_km:,.0f} km, "
                "gauges "
                f"{' → '.join(map(str, r.gauges_mm))}, {len(r.gauge_changes)} gauge change(s)"
            )
        if rc.saved_h is not None:
            out.print(f"  saved: {rc.saved_h:+,.1f} h")
