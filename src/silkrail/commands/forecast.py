"""``silkrail forecast``: the live corridor forecast of a service or of a recorded feed, what-if
changes, the backtest, and the demo feed with queues and a closure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from silkrail.commands.console import EXIT_BAD_INPUT, Table, err, escape, fail, out
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.commands.options import AsJson
from silkrail.errors import DataError, SilkrailError

if TYPE_CHECKING:
    from collections.abc import Callable

    from silkrail.client import ServiceClient
    from silkrail.forecast.replay import Replayer
    from silkrail.network.model import Network
    from silkrail.service.forecast_schemas import ForecastOut, WhatIfOut

T = TypeVar("T")

app = typer.Typer(
    help="the live corridor forecast: queues at the crossings, ETA bands, slots, what-if, backtest",
    no_args_is_help=True,
)
what_if_app = typer.Typer(
    help="the difference one change makes to the live forecast (a service's, or a feed's)",
    no_args_is_help=True,
)
app.add_typer(what_if_app, name="what-if")


def register(root: typer.Typer) -> None:
    """Add the forecast command group to the ``silkrail`` application."""
    root.add_typer(app, name="forecast")


Url = Annotated[
    str | None,
    typer.Option(
        "--url", help="a running service (http://HOST:PORT); else the forecast of --feed", show_default=False
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="SILKRAIL_API_TOKEN", help="the service's token (what-if)", show_default=False
    ),
]
Feed = Annotated[
    Path | None,
    typer.Option(
        "--feed",
        help="a recorded feed (JSON Lines, .gz too) replayed into a tracker of its own; default: the "
        "shipped demo feed with queues and a closure",
        show_default=False,
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="forecast from this time of the feed (ISO 8601; default: its last event)",
        show_default=False,
    ),
]
Replications = Annotated[int, typer.Option(help="replications of the forecast (1 to 2,000)")]
Horizon = Annotated[float, typer.Option("--horizon-h", help="hours the forecast looks ahead")]
FromH = Annotated[float, typer.Option("--from-h", help="hours from now until the change starts")]


# --- sources -------------------------------------------------------------------------------


def _feed_path(feed: Path | None) -> Path:
    from silkrail.forecast.demo import SHIPPED_FEED

    return feed if feed is not None else SHIPPED_FEED


def _when(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        t = datetime.fromisoformat(at.strip())
    except ValueError:
        fail(DataError(f"'{at}' is not an ISO 8601 time; write e.g. 2026-03-06T12:00Z", field="--at"))
    if t.tzinfo is None:
        fail(DataError(f"'{at}' has no UTC offset; add one, e.g. {t.isoformat()}+00:00", field="--at"))
    return t.astimezone(UTC)


def _replayed(feed: Path | None, at: str | None) -> tuple[Network, Replayer, datetime]:
    """The network and the feed replayed up to ``at`` (default: its last event)."""
    from silkrail.forecast.replay import Replayer, read_feed

    when = _when(at)
    try:
        recorded = read_feed(_feed_path(feed))
    except SilkrailError as exc:
        fail(exc)
    until = when or recorded.end
    if not recorded.start <= until <= recorded.end + timedelta(days=30):
        fail(
            DataError(
                f"the feed runs from {recorded.start:%Y-%m-%d %H:%M} to {recorded.end:%Y-%m-%d %H:%M} UTC; "
                "give a time within it",
                field="--at",
            )
        )
    net = _load()
    with err.status(f"replaying {recorded.name} up to {until:%Y-%m-%d %H:%M} UTC"):
        try:
            rp = Replayer.start(recorded, net)
            rp.advance(until)
        except SilkrailError as exc:
            fail(exc)
    return net, rp, until


def _client(url: str, token: str | None = None) -> ServiceClient:
    from silkrail.client import ServiceClient

    return ServiceClient(url, token=token, timeout=120)


def _service_call(url: str, token: str | None, call: Callable[[ServiceClient], T]) -> T:
    from silkrail.client import ServiceError, ServiceUnreachable

    try:
        with _client(url, token) as api:
            return call(api)
    except ServiceUnreachable as exc:
        fail(str(exc))
    except ServiceError as exc:
        fail(exc, code=EXIT_BAD_INPUT if exc.status in (401, 404, 422) else 1)


# --- show ----------------------------------------------------------------------------------


@app.command("show")
def show_cmd(
    url: Url = None,
    feed: Feed = None,
    at: At = None,
    replications: Replications = 100,
    horizon_h: Horizon = 72.0,
    as_json: AsJson = False,
) -> None:
    """The live forecast: congestion alerts, each crossing's queue over the horizon (with its
    band), each train's ETA band and suggested hold."""
    answer: ForecastOut | None = None
    if url:
        answer = _service_call(url, None, lambda api: api.forecast())
        doc = answer.model_dump(mode="json", by_alias=True)
    else:
        from silkrail.forecast import run_forecast, snapshot

        net, rp, until = _replayed(feed, at)
        try:
            with err.status("forecasting"):
                f = run_forecast(
                    snapshot(rp.tracker, net, now=until, horizon_h=horizon_h), replications=replications
                )
        except SilkrailError as exc:
            fail(exc)
        finally:
            rp.close()
        doc = f.to_dict()
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    from silkrail.service.forecast_schemas import ForecastOut

    _print_forecast(answer or ForecastOut.model_validate(doc))


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 12) -> str:
    """``values`` as at most ``width`` block characters (each the highest of its share of the
    values), the highest value the full block (all zero: the lowest)."""
    if len(values) > width:
        k = -(-len(values) // width)
        values = [max(values[i : i + k]) for i in range(0, len(values), k)]
    top = max(values, default=0.0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, round(v / top * (len(SPARK) - 1)))] for v in values)


def _t(t: datetime | None) -> str:
    """A time as the tables show it (UTC, to the minute; "–" if none)."""
    return "–" if t is None else f"{t:%Y-%m-%d %H:%M}"


def _print_forecast(f: ForecastOut) -> None:
    out.print(
        f"[bold]forecast[/] of {len(f.trains)} trains from {_t(f.state_at)} UTC, "
        f"{f.horizon_h:g} h ahead, {f.replications} replications ({f.seconds:.1f} s)"
        + (f"; {f.left_out} trains left out (silent, or leaving later)" if f.left_out else "")
    )
    for a in f.alerts:
        out.print(f"[red]{escape(a.message)}[/]")
    t = Table(title="crossings (queue: trains waiting over the horizon, median)", title_justify="left")
    for col in ("crossing", "trains", "queue", "peak", "wait p50 (p10–p90)"):
        t.add_column(col, justify="right" if col in ("trains", "peak") else "left", no_wrap=col == "queue")
    for c in f.crossings:
        if c.trains <= 0 and c.peak.queue <= 0:
            continue
        w = c.wait_h
        t.add_row(
            escape(c.name),
            f"{c.trains:.1f}",
            sparkline([p.p50 or 0.0 for p in c.queue]),
            f"{c.peak.queue:.0f} at +{c.peak.h:.0f} h",
            f"{w.p50 or 0:.1f} h ({w.p10 or 0:.1f}–{w.p90 or 0:.1f})",
        )
    out.print(t)
    slots = f.slots
    if slots and slots.crossings:
        for s in slots.crossings:
            out.print(
                f"slots at {escape(s.name)} for {s.trains} trains: border queue "
                f"{s.fcfs_wait_h:.0f} h first come, first served, "
                f"{s.border_wait_h:.0f} h with the slots; held at yards "
                f"{s.yard_hold_h:.0f} h, leaving later {s.departure_hold_h:.0f} h"
            )
        if slots.saved_h is not None:
            out.print(
                f"wait saved against first come, first served (measured on the same runs): "
                f"{slots.saved_h:.1f} h (a hold at a yard moves a wait off the border; "
                "leaving later saves it)"
            )
    trains = sorted(f.trains, key=lambda x: -(x.suggested_hold_h or 0))[:25]
    t = Table(title="trains (the 25 with the longest holds first)", title_justify="left")
    for col in ("train", "status", "ETA p50 (p10–p90), UTC", "tracker ETA", "hold"):
        t.add_column(col)
    for x in trains:
        e = x.eta
        hold = "; ".join(f"{h.hours:.1f} h ({h.where}, {escape(h.name)})" for h in x.holds) or "–"
        t.add_row(
            escape(x.name),
            x.status,
            f"{_t(e.p50)} ({_t(e.p10)[5:]}–{_t(e.p90)[5:]})",
            _t(x.tracker_eta),
            hold,
        )
    out.print(t)


# --- what-if ---------------------------------------------------------------------------------

ChangeBody = dict[str, dict[str, str | float | None]]
"""A what-if change as the request takes it: its kind and its fields."""


def _what_if(
    body: ChangeBody,
    url: str | None,
    token: str | None,
    feed: Path | None,
    at: str | None,
    replications: int,
    as_json: bool,
) -> None:
    from pydantic import ValidationError

    from silkrail.forecast.whatif import WhatIfRequest

    try:
        request = WhatIfRequest.model_validate(body)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"])
        fail(
            DataError(
                str(e["msg"]).removeprefix("Value error, "),
                field=f"--{where.split('.')[-1].replace('_', '-')}",
            )
        )
    answer: WhatIfOut | None = None
    if url:
        if not token:
            fail(
                DataError(
                    "a what-if on a service needs its token: --token or SILKRAIL_API_TOKEN", field="--token"
                )
            )
        answer = _service_call(
            url, token, lambda api: api.what_if(request.model_dump(mode="json", exclude_none=True))
        )
        doc = answer.model_dump(mode="json", by_alias=True)
    else:
        from silkrail.forecast import snapshot, what_if
        from silkrail.routing.router import router_for

        net, rp, until = _replayed(feed, at)
        try:
            with err.status("forecasting with and without the change"):
                w = what_if(
                    snapshot(rp.tracker, net, now=until),
                    request,
                    net=net,
                    router=router_for(net),
                    replications=replications,
                )
        except SilkrailError as exc:
            fail(exc)
        finally:
            rp.close()
        doc = w.to_dict()
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    from silkrail.service.forecast_schemas import WhatIfOut

    _print_what_if(answer or WhatIfOut.model_validate(doc))


def _print_what_if(w: WhatIfOut) -> None:
    ((kind, change),) = w.change.items()
    s = w.summary
    out.print(
        f"[bold]what if[/] {kind} {escape(json.dumps(change, ensure_ascii=False))}: {s.affected} trains "
        f"affected, {s.delay_h:.0f} h of delay in all; {s.rerouted} have a better route "
        f"(saving {s.saved_by_reroutes_h:.0f} h)"
    )
    t = Table(title="affected trains", title_justify="left")
    for col in ("train", "status", "delay", "ETA after (p50)", "re-route"):
        t.add_column(col, justify="right" if col == "delay" else "left")
    for a in w.affected[:30]:
        r = a.reroute
        if r is None:
            what = a.note or "–"
        elif r.better:
            via = ", ".join(r.via) or "no crossing"
            what = f"via {via}: {r.distance_km:,.0f} km, saves {r.saves_h:.0f} h"
        else:
            what = f"stay: the best other route is {-r.saves_h:.0f} h later"
        t.add_row(escape(a.name), a.status, f"{a.delay_h:+.1f} h", _t(a.eta_after.p50), escape(what))
    out.print(t)
    if len(w.affected) > 30:
        out.print(f"… and {len(w.affected) - 30} more (--json lists them all)")
    t = Table(title="queues", title_justify="left")
    for col in ("crossing", "peak before", "peak after", "p90 wait before", "p90 wait after"):
        t.add_column(col, justify="left" if col == "crossing" else "right")
    for q in w.queues:
        t.add_row(
            escape(q.name),
            f"{q.peak_queue_before:.0f}",
            f"{q.peak_queue_after:.0f}",
            f"{q.wait_p90_h_before:.1f} h",
            f"{q.wait_p90_h_after:.1f} h",
        )
    out.print(t)


@what_if_app.command("close")
def close_cmd(
    crossing: Annotated[str, typer.Argument(help="the crossing's id (erenhot-zamyn-uud)")],
    hours: Annotated[float, typer.Option(help="how long it stays closed")],
    from_h: FromH = 0.0,
    url: Url = None,
    token: Token = None,
    feed: Feed = None,
    at: At = None,
    replications: Replications = 100,
    as_json: AsJson = False,
) -> None:
    """Close a crossing for a while: the trains it delays and their re-routes, the queues that grow."""
    _what_if(
        {"close": {"crossing": crossing, "hours": hours, "from_h": from_h}},
        url,
        token,
        feed,
        at,
        replications,
        as_json,
    )


@what_if_app.command("capacity")
def capacity_cmd(
    crossing: Annotated[str, typer.Argument(help="the crossing's id")],
    trains_per_day: Annotated[float, typer.Option("--trains-per-day", help="its capacity then")],
    hours: Annotated[float | None, typer.Option(help="for how long (default: the whole forecast)")] = None,
    from_h: FromH = 0.0,
    url: Url = None,
    token: Token = None,
    feed: Feed = None,
    at: At = None,
    replications: Replications = 100,
    as_json: AsJson = False,
) -> None:
    """Cut (or raise) a crossing's capacity in trains a day."""
    body: ChangeBody = {
        "capacity": {"crossing": crossing, "trains_per_day": trains_per_day, "hours": hours, "from_h": from_h}
    }
    _what_if(body, url, token, feed, at, replications, as_json)


@what_if_app.command("dwell")
def dwell_cmd(
    crossing: Annotated[str, typer.Argument(help="the crossing's id")],
    dwell_h: Annotated[float, typer.Option("--dwell-h", help="the mean dwell of a train served then")],
    hours: Annotated[float | None, typer.Option(help="for how long (default: the whole forecast)")] = None,
    from_h: FromH = 0.0,
    url: Url = None,
    token: Token = None,
    feed: Feed = None,
    at: At = None,
    replications: Replications = 100,
    as_json: AsJson = False,
) -> None:
    """Change a crossing's dwell (a slower inspection, a faster gauge change)."""
    body: ChangeBody = {"dwell": {"crossing": crossing, "dwell_h": dwell_h, "hours": hours, "from_h": from_h}}
    _what_if(body, url, token, feed, at, replications, as_json)


@what_if_app.command("add")
def add_cmd(
    origin: Annotated[str, typer.Argument(help="where the added trains leave from")],
    destination: Annotated[str, typer.Argument(help="where they go")],
    trains: Annotated[int, typer.Option(help="how many (1 to 200)")],
    every_h: Annotated[float, typer.Option("--every-h", help="hours between them")] = 24.0,
    from_h: FromH = 0.0,
    teu: Annotated[float, typer.Option(help="cargo of each, in TEU")] = 82.0,
    url: Url = None,
    token: Token = None,
    feed: Feed = None,
    at: At = None,
    replications: Replications = 100,
    as_json: AsJson = False,
) -> None:
    """Add trains: the queues they make and the trains they delay."""
    body: ChangeBody = {
        "add_trains": {
            "origin": origin,
            "destination": destination,
            "trains": trains,
            "every_h": every_h,
            "from_h": from_h,
            "teu": teu,
        }
    }
    _what_if(body, url, token, feed, at, replications, as_json)


# --- backtest and the demo feed --------------------------------------------------------------


@app.command("backtest")
def backtest_cmd(
    feed: Annotated[
        Path | None,
        typer.Argument(help="a recorded feed (default: the shipped demo feed)", show_default=False),
    ] = None,
    every_h: Annotated[float, typer.Option("--every-h", help="hours between forecasts")] = 12.0,
    lead: Annotated[
        list[float], typer.Option("--lead", help="hours after each forecast to score it (repeat)")
    ] = [  # noqa: B006
        24.0,
        72.0,
    ],
    warm_up_h: Annotated[
        float, typer.Option("--warm-up-h", help="hours of the feed before the first forecast")
    ] = 48.0,
    replications: Replications = 100,
    as_json: AsJson = False,
) -> None:
    """Replay a recorded feed, forecast every --every-h hours from what was known then, and score
    each forecast --lead hours later: ETA interval coverage and MAE, queue MAE."""
    from rich.progress import Progress

    from silkrail.forecast.backtest import backtest, forecast_times
    from silkrail.forecast.replay import read_feed

    try:
        recorded = read_feed(_feed_path(feed))
        times = forecast_times(
            recorded, warm_up_h=warm_up_h, every_h=every_h, last_lead_h=max(lead, default=0)
        )
    except SilkrailError as exc:
        fail(exc)
    net = _load()
    try:
        with Progress(console=err.get(), transient=True) as bar:
            task = bar.add_task(f"backtest of {recorded.name}", total=len(times))
            result = backtest(
                recorded,
                net,
                leads=lead,
                every_h=every_h,
                warm_up_h=warm_up_h,
                replications=replications,
                progress=lambda _: bar.advance(task),
            )
    except SilkrailError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    out.print(
        f"[bold]backtest[/] of {escape(recorded.name)}: {len(result.forecasts)} forecasts "
        f"every {every_h:g} h, "
        f"{replications} replications; {result.events['accepted']:,} events replayed"
    )
    t = Table(title_justify="left")
    for col in (
        "lead",
        "arrivals",
        "80 % interval covers",
        "ETA MAE",
        "tracker ETA MAE",
        "queue MAE",
        "persistence",
    ):
        t.add_column(col, justify="right")
    for x in result.leads:
        t.add_row(
            f"{x.lead_h:g} h",
            str(x.trains),
            f"{x.coverage:.0%}",
            f"{x.eta_mae_h:.2f} h",
            f"{x.tracker_eta_mae_h:.2f} h",
            f"{x.queue_mae:.2f}",
            f"{x.persistence_queue_mae:.2f}",
        )
    out.print(t)
    out.print(
        "tracker ETA: the service's own (learned dwell, no queues); "
        "persistence: the queue later is the queue now"
    )


@app.command("demo-feed")
def demo_feed_cmd(
    out_file: Annotated[Path, typer.Argument(metavar="OUT", help="the feed to write (.jsonl, or .jsonl.gz)")],
    start: Annotated[str | None, typer.Option(help="its first day (YYYY-MM-DD, UTC)")] = None,
    ahead: Annotated[
        float | None,
        typer.Option(help="instead of --start: end the feed this many hours from now (a live replay)"),
    ] = None,
    days: Annotated[float, typer.Option(help="how many days it spans")] = 10.0,
    closed_at_h: Annotated[
        float | None,
        typer.Option(
            "--closed-at-h", help="hours into the feed when Manzhouli–Zabaykalsk closes (default: 4.5 days)"
        ),
    ] = None,
    closed_for_h: Annotated[float, typer.Option("--closed-for-h", help="how long it stays closed")] = 24.0,
    scale: Annotated[float, typer.Option(help="trains a day of every service, times this")] = 1.0,
    every_min: Annotated[int, typer.Option("--every-min", help="minutes between a train's positions")] = 120,
    seed: Annotated[int, typer.Option(help="seed of the run")] = 7,
) -> None:
    """Write the demo feed with queues and a closure: corridor services converging on their
    crossings, Manzhouli–Zabaykalsk closed once (what `forecast backtest` ships with)."""
    from silkrail.forecast.demo import Closure, demo_feed

    if not 0.5 <= days <= 60:
        fail(DataError(f"give 0.5 to 60 days (got {days})", field="--days"))
    if not 0.05 <= scale <= 10:
        fail(DataError(f"give a scale of 0.05 to 10 (got {scale})", field="--scale"))
    if not 5 <= every_min <= 1440:
        fail(DataError(f"give 5 to 1,440 minutes (got {every_min})", field="--every-min"))
    if start is not None and ahead is not None:
        fail(DataError("give --start or --ahead, not both", field="--ahead"))
    if ahead is not None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        first = now + timedelta(hours=ahead) - timedelta(days=days)
    else:
        try:
            first = datetime.fromisoformat(start or "2026-03-02").replace(tzinfo=UTC)
        except ValueError:
            fail(DataError(f"'{start}' is not a date; write YYYY-MM-DD", field="--start"))
    closed_at = closed_at_h if closed_at_h is not None else 4.5 * 24
    if not 0 <= closed_at <= days * 24 or not 0 < closed_for_h <= 30 * 24:
        fail(DataError("the closure must start within the feed and last 0 to 720 h", field="--closed-at-h"))
    closure = Closure("manzhouli-zabaykalsk", first + timedelta(hours=closed_at), closed_for_h)
    net = _load()
    try:
        with err.status("running the demo trains"):
            made = demo_feed(
                net,
                first,
                days=days,
                closure=closure,
                every_min=every_min,
                seed=seed,
                scale=scale,
            )
        n = made.write(out_file)
    except SilkrailError as exc:
        fail(exc)
    except OSError as exc:
        fail(DataError(f"cannot write {out_file} ({exc.strerror or exc})", field="OUT"))
    trains = sum(1 for x in made.lines if x["type"] == "train")
    err.print(
        f"wrote {out_file}: {trains} trains, {n - trains:,} events, {made.start:%Y-%m-%d %H:%M} to "
        f"{made.end:%Y-%m-%d %H:%M} UTC; Manzhouli–Zabaykalsk closed {closure.start:%Y-%m-%d %H:%M} "
        f"for {closure.hours:g} h"
    )
