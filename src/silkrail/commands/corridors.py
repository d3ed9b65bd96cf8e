"""``silkrail corridors``: whole corridors compared. ``corridors compare ORIGIN --to-sea``: the
best route from one origin to each exit to the sea, side by side and year by year; a thin shell
over :func:`silkrail.analysis.sea.compare_sea_exits`. ``corridors choice``: the corridors of
published services against the model's choice, and the generalised cost's penalties fitted to
them (:func:`silkrail.analysis.choice.fit_choice`). Exit codes as for ``route``: 2 bad input,
3 no route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands import console
from silkrail.commands import options as opt
from silkrail.commands.console import Table, escape
from silkrail.errors import DataError, SilkrailError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from silkrail.analysis.choice import ChoiceReport
    from silkrail.analysis.sea import SeaComparison
    from silkrail.commands.console import LazyConsole
    from silkrail.routing.results import Route

app = typer.Typer(
    help="Compare whole corridors: every exit to the sea from one origin; the corridors published "
    "services take against the model's choice.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    """Add the ``corridors`` command group to the ``silkrail`` application."""
    root.add_typer(app, name="corridors")


@app.command("compare")
def compare_cmd(
    origin: opt.Origin,
    to_sea: Annotated[
        bool, typer.Option("--to-sea", help="compare the exits to the sea (Karachi, Bandar Abbas, ...)")
    ] = False,
    year: opt.Year = None,
    optimize: opt.Optimize = opt.ObjectiveChoice.time,
    as_json: opt.AsJson = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="write an offline HTML report with the map of all exits")
    ] = None,
) -> None:
    """From ORIGIN, the best rail route to each exit to the sea (Karachi, Bandar Abbas,
    Chabahar, Poti/Batumi, Lianyungang, the Baltic, Rotterdam): km, days, US$ and CO2e per TEU
    with ranges, breaks of gauge, borders, country and operator shares with their HHI, the
    planned links each depends on, sourced security and sanctions statements, and what the
    planned links change year by year."""
    from silkrail.analysis.sea import compare_sea_exits
    from silkrail.routing.router import router_for

    if not to_sea:
        missing = "missing: the only comparison so far is of the exits to the sea"
        console.fail(DataError(missing, field="--to-sea"))
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        console.fail(DataError(f"{report}: --report writes HTML; name the file *.html", field="report"))
    net = console.load_network_or_exit()
    try:
        with _Bar(enabled=not as_json) as bar:
            result = compare_sea_exits(
                router_for(net), origin, year=year, objective=optimize.value, progress=bar
            )
    except DataError as exc:  # a bad year or objective: named as its option
        field = opt.flag(exc.field) if exc.field in ("year", "objective") else exc.field
        console.fail(DataError(exc.reason, field=field))
    except SilkrailError as exc:
        console.fail(exc)
    title = f"{result.origin.name} to the sea: the exits compared (network of {result.year})"
    written = []
    if report is not None:
        from silkrail.analysis.sea_report import write_sea_report

        written.append(write_sea_report(result, report, title=title))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    _print(console.out, result, title)
    for f in written:
        console.out.print(f"wrote {f}")


@app.command("choice")
def choice_cmd(
    fit: Annotated[
        bool,
        typer.Option("--fit", metavar="", help="fit the generalised cost's penalties, lanes held out (slow)"),
    ] = False,
    write: Annotated[
        Path | None,
        typer.Option("--write", help="with --fit: write the weights to this YAML file", show_default=False),
    ] = None,
    services: Annotated[
        Path | None,
        typer.Option(help="a file of published service routes (default: the package's)", show_default=False),
    ] = None,
    as_json: opt.AsJson = False,
) -> None:
    """Which corridor each published service takes (the FESCO shuttle via Erenhot and Naushki,
    Chang'an trains via Khorgos, the Trans-Caspian trains via Aktau, ...) against the corridor the
    model picks under time, money and the generalised cost (the default objective): hits per
    objective, what each miss's source says drove the choice, and, with --fit, the penalties
    fitted as a discrete choice with each lane held out."""
    from silkrail.analysis.choice import fit_choice, load_service_routes, write_weights
    from silkrail.routing.generalised import load_weights
    from silkrail.routing.router import router_for

    if write is not None and not fit:
        console.fail(DataError("--write writes a fit's weights: add --fit", field="--write"))
    if write is not None and write.suffix.lower() not in (".yaml", ".yml"):
        console.fail(DataError(f"{write}: the weights are YAML; name the file *.yaml", field="--write"))
    try:
        records = load_service_routes(services)
    except SilkrailError as exc:
        console.fail(exc)
    net = console.load_network_or_exit()
    router = router_for(net)
    base = load_weights()
    try:
        with _Bar(enabled=not as_json) as bar:
            report = fit_choice(router, records, fit=fit, weights=base, progress=bar)
    except SilkrailError as exc:
        console.fail(exc)
    if write is not None:
        write_weights(report, write, base, fingerprint=router.graph.model.fingerprint)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    _print_choice(console.out, report)
    model = router.graph.model.fingerprint
    if not fit and base.fitted_on and base.fitted_on != model:
        console.out.print(
            "[yellow]the weights were fitted on another cost model than this one: rerun "
            "`silkrail corridors choice --fit`[/]"
        )
    if write is not None:
        console.out.print(f"wrote {write}")


CHOICE_COLUMNS = {
    "time": "time",
    "cost": "cost",
    "generalised": "gen.",
    "held_out": "held out",
    "as_asked": "asked",
}


def _print_choice(out: LazyConsole, report: ChoiceReport) -> None:
    names = [k for k in CHOICE_COLUMNS if report.hits(k)[1]]
    t = Table(title="published service routes: does the model pick their corridor?", title_justify="left")
    for col in ("service", "published corridor", *(CHOICE_COLUMNS[k] for k in names)):
        t.add_column(col, justify="left")
    for row in report.services:
        s = row.service
        marks = []
        for k in names:
            o = row.outcomes.get(k)
            marks.append("" if o is None else "[green]yes[/]" if o.hit else "[red]no[/]")
        flag = " [dim]dominated[/]" if row.dominated else ""
        t.add_row(escape(s.id) + flag, escape(" → ".join(s.countries)), *marks)
    out.print(t)
    # the weights in the order of routing.generalised.TERMS
    per_hour, _per_usd, _per_kg_co2, per_border, per_transshipment = report.weights
    label = "fitted" if report.fitted else "the package's"
    out.print(
        f"[bold]generalised cost ({label})[/]: US${per_hour:g} per TEU-hour + money + "
        f"US${per_border:g} per customs border + US${per_transshipment:g} per transshipment"
    )
    for k in names:
        h, n = report.hits(k)
        hc, nc = report.hits(k, contested_only=True)
        contested = f"; contested {hc}/{nc}" if nc else ""
        out.print(f"  {k.replace('_', ' ')}: {h}/{n} on their published corridor{contested}")
    known = [row.dominated for row in report.services if row.dominated is not None]
    if known:
        out.print(
            f"  dominated: {sum(known)} published corridors are slower, dearer and cross no fewer "
            "borders than another in the model's figures; no weights pick them"
        )
    for row in report.services:
        gen = row.outcomes["generalised"]
        if gen.hit:
            continue
        s = row.service
        picked = " → ".join(gen.countries) or gen.error or "no route"
        missing = sorted(set(s.crossings) - set(gen.crossings))
        if gen.countries and missing:
            picked += f" without {', '.join(missing)} (the published crossings)"
        out.print(f"[bold]{escape(s.id)}[/]: the model takes {escape(picked)}")
        u = s.unpriced
        if u is not None:
            ask = f" (asked with --avoid {','.join(u.avoid)})" if u.avoid else ""
            out.print(f"  [dim]{u.kind}{ask}: {escape(u.statement)}[/]")
    out.print(
        "[dim]contested: another corridor within 1.5 times the fastest hours; held out: routed under weights "
        "fitted without its lane; asked: with the --avoid of its sanctions statement[/]"
    )


class _Bar:
    """A progress bar on stderr, one step per route searched."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: tuple[Progress, TaskID] | None = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn

            bar = Progress(
                TextColumn("[bold]routing[/] {task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                console=console.err.get(),
                transient=True,
            )
            bar.start()
            self._bar = (bar, bar.add_task("", total=None))
        return self

    def __call__(self, label: str, total: int) -> None:
        if self._bar is not None:
            bar, task = self._bar
            bar.update(task, description=label, total=total, advance=1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar[0].stop()


def _borders(r: Route) -> str:
    """How many borders a route crosses (and ferries it takes), and its countries."""
    ferries = sum(e.kind == "ferry" for e in r.events)
    count = f"{len(r.border_crossings)}" + (f" + {ferries} ferry" if ferries else "")
    return f"{count}: {escape(' → '.join(r.countries))}"


def _print(out: LazyConsole, c: SeaComparison, title: str) -> None:
    from silkrail.commands._records import ExitFigures

    t = Table(title=title, title_justify="left")
    for col in (
        "exit",
        "port",
        "km",
        "days",
        "US$/TEU",
        "t CO2e",
        "gauge changes",
        "borders",
        "HHI",
        "HHI op.",
        "needs",
    ):
        t.add_column(
            col, justify="right" if col in ("km", "days", "US$/TEU", "t CO2e", "HHI", "HHI op.") else "left"
        )
    for x in c.exits:
        r = x.route
        if r is None:
            t.add_row(escape(x.exit.name), f"[dim]{escape(x.note or 'no route')}[/]")
            continue
        dep = x.dependency
        op = dep.operator_hhi.get("distance") if dep else None
        t.add_row(
            escape(x.exit.name),
            escape(x.port or ""),
            f"{r.distance_km:,.0f}",
            f"{r.duration_h / 24:.1f} ({r.duration_h_range[0] / 24:.1f}–{r.duration_h_range[1] / 24:.1f})",
            f"{r.cost_usd:,.0f} ({r.cost_usd_range[0]:,.0f}–{r.cost_usd_range[1]:,.0f})",
            f"{r.co2_kg / 1000:.2f} ({r.co2_kg_range[0] / 1000:.2f}–{r.co2_kg_range[1] / 1000:.2f})",
            escape(", ".join(f"{e.from_gauge_mm}→{e.to_gauge_mm}" for e in r.gauge_changes) or "none"),
            _borders(r),
            f"{dep.hhi['distance']:,.0f}" if dep else "–",
            f"{op:,.0f}" if op is not None else "[dim]unknown[/]",
            escape(", ".join(f"{p.id} ({p.opens})" for p in x.planned) or "–"),
        )
    out.print(t)
    stated = {(n.country, n.kind): n for x in c.exits for n in x.risks}
    for (country, kind), n in stated.items():
        out.print(f"[bold]{country}[/] ({kind}): {escape(n.statement)} [dim]({escape(n.sources[0])})[/]")
    if c.changes:
        out.print(f"[bold]planned links, year by year[/] (timeline {', '.join(map(str, c.years))}):")
    for ch in c.changes:
        links = ", ".join(p.id for p in ch.links) or "links opening that year"
        a = None if ch.before is None else ExitFigures.model_validate(ch.before)
        b = None if ch.after is None else ExitFigures.model_validate(ch.after)
        if a is None and b is not None:
            what = f"reachable: {b.duration_h / 24:.1f} d, ${b.cost_usd:,.0f}, {b.distance_km:,.0f} km"
        elif a is not None and b is not None:
            what = (
                f"{a.duration_h / 24:.1f} → {b.duration_h / 24:.1f} d, ${a.cost_usd:,.0f} → "
                f"${b.cost_usd:,.0f}, {a.distance_km:,.0f} → {b.distance_km:,.0f} km, via "
                f"{' → '.join(b.countries)}"
            )
        else:
            what = "no route any more"
        out.print(f"  {ch.year} {escape(ch.exit.name)} ({escape(links)}): {escape(what)}")
    out.print(
        "[dim]per TEU; ranges 10th–90th percentile; HHI of the distance per country (HHI op.: per known "
        "operator); security and sanctions as their sources state them, nothing scored[/]"
    )
