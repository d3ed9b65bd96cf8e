"""The tracker: trains, event batches (idempotent, per-event all-or-nothing), their state, ETA,
learned dwell and alerts. It orchestrates: it loads what a batch needs from the repository,
moves each train's state with the pure core (``core.apply``), and stores the result in one
transaction. The HTTP service is a thin shell over it."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from silkrail.errors import DataError, SilkrailError
from silkrail.tracking import core, store
from silkrail.tracking.admission import EventKey, Writer, admit, event_row, match, validate
from silkrail.tracking.alerts import OFF_ROUTE_KM, NewAlert
from silkrail.tracking.core import TrackState, TrainPlan
from silkrail.tracking.dwell import (
    NO_SUMS,
    DwellSums,
    MilestoneIndex,
    StoredMilestone,
    estimate_dwell,
    relearn,
)
from silkrail.tracking.eta import Profile, ScheduledCall, Stop, scheduled_arrival, with_schedule
from silkrail.tracking.model import AnyEvent, TrainIn
from silkrail.tracking.planner import PlannedRoute, RoutePlanner
from silkrail.tracking.repository import EVENT_CONTENT, Repository, repository_for
from silkrail.tracking.results import (
    AlertRecord,
    Changes,
    Cursor,
    IngestResult,
    NewTrain,
    Rejection,
    TrainInProgress,
    TrainSummary,
)
from silkrail.tracking.values import Row

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

CHANGE_OVERLAP = timedelta(seconds=2)  # clock skew between service processes
STOP_OFF_ROUTE_KM = OFF_ROUTE_KM  # a scheduled stop farther from the planned route is not on it
LOCK_BUDGET_S = 10.0  # a batch holding the write lock longer than this is rolled back
log = logging.getLogger("silkrail.tracking")


class UnknownTrainError(DataError, LookupError):
    """No train with that id."""


class ForbiddenError(SilkrailError, PermissionError):
    """The token's operator may not write this."""


class QuotaExceeded(SilkrailError):
    """An operator's quota is used up (its trains under way); ``retry_after_s``: when to ask again."""

    retry_after_s = 3600


@dataclass(frozen=True)
class TrackerLimits:
    """What one operator may keep: trains under way, and events stored per train (None: no limit)."""

    trains_per_operator: int | None = None
    events_per_train: int | None = None


class _Taught(Mapping[str, Mapping[str, DwellSums]]):
    """The stored observations (crossing -> operator -> sums) with layers of a batch's added on
    top, as one ``dwell.Learned``."""

    def __init__(
        self, base: Mapping[str, Mapping[str, DwellSums]], *layers: Mapping[tuple[str, str], DwellSums]
    ):
        self.base = base
        self.layers = layers

    def with_layer(self, layer: Mapping[tuple[str, str], DwellSums]) -> _Taught:
        return _Taught(self.base, *self.layers, layer)

    def __getitem__(self, key: str) -> Mapping[str, DwellSums]:
        found = key in self.base
        out = dict(self.base.get(key, {}))
        for layer in self.layers:
            for (crossing, operator), sums in layer.items():
                if crossing == key:
                    found = True
                    out[operator] = out.get(operator, NO_SUMS).plus(sums)
        if not found:
            raise KeyError(key)
        return out

    def __iter__(self) -> Iterator[str]:
        keys = set(self.base) | {k for layer in self.layers for k, _ in layer}
        return iter(sorted(keys))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class LockBudgetExceeded(TimeoutError):
    """A batch held the write lock for LOCK_BUDGET_S; it was rolled back."""


class _StoredMilestones:
    """The stored border milestones of a batch's trains, read in one query the first time an
    event needs them (so the work under the write lock stays linear in the batch however many
    such events it holds). Events of this batch are in it too (stored before the lock)."""

    def __init__(self, read: Callable[[], MilestoneIndex]) -> None:
        self._read = read
        self._index: MilestoneIndex | None = None

    def _get(self) -> MilestoneIndex:
        if self._index is None:
            self._index = self._read()
        return self._index

    def last(
        self, tid: str, key: str, milestone: str, t: datetime, me: str, rejected: Collection[str]
    ) -> datetime | None:
        return self._get().last(tid, key, milestone, t, me, rejected)

    def first(self, tid: str, key: str, milestone: str, t: datetime, me: str) -> datetime | None:
        return self._get().first(tid, key, milestone, t, me)

    def none_between(
        self, tid: str, key: str, milestone: str, a: datetime, b: datetime, me: str, rejected: Collection[str]
    ) -> bool:
        return self._get().none_between(tid, key, milestone, a, b, me, rejected)


def _numbered(alerts: list[NewAlert], ids: list[int]) -> list[AlertRecord]:
    return [AlertRecord(i, a.train_id, a.kind, a.message, a.time) for a, i in zip(alerts, ids, strict=True)]


class Tracker:
    """Trains and their events in ``repo``; ``planner`` plans the routes of new trains (None: a
    tracker that only ingests and reads, which then needs no network)."""

    def __init__(
        self, repo: Repository, planner: RoutePlanner | None = None, limits: TrackerLimits | None = None
    ) -> None:
        self.repo = repo
        self.planner = planner
        self.limits = limits or TrackerLimits()
        self._plans: dict[str, TrainPlan] = {}

    @classmethod
    def open(
        cls, db_url: str, planner: RoutePlanner | None = None, limits: TrackerLimits | None = None
    ) -> Tracker:
        """A tracker on the database at ``db_url`` (migrated already)."""
        return cls(repository_for(store.make_engine(db_url)), planner, limits)

    @property
    def engine(self) -> Engine:
        return self.repo.engine

    # --- trains --------------------------------------------------------------------------

    def operator_for(self, t: TrainIn, token: Writer | None) -> str | None:
        """Whose train ``t`` is when ``token`` creates it (None: an admin): the token's operator,
        or the one an admin names; ForbiddenError when a token names another operator."""
        operator = t.operator
        if token is not None and not token.admin:
            if operator not in (None, token.operator):
                raise ForbiddenError(
                    f"operator: this token writes the trains of '{token.operator}', not of '{operator}'"
                )
            operator = token.operator
        return operator

    def check_quota(self, operator: str | None) -> None:
        """QuotaExceeded when ``operator`` has its quota of trains under way (not arrived)."""
        quota = self.limits.trains_per_operator
        if operator is None or quota is None:
            return
        active = self.repo.active_trains(operator)
        if active >= quota:
            raise QuotaExceeded(
                f"operator: '{operator}' has {active:,} trains under way, its quota of {quota:,}; "
                "create more as they arrive"
            )

    def create_train(
        self, t: TrainIn, *, token: Writer | None = None, plan: PlannedRoute | None = None
    ) -> NewTrain:
        """Plan (unless ``plan`` is given: the route planned elsewhere) and store a train.
        ``token`` (None: an admin) decides whose train it is (``operator_for``)."""
        operator = self.operator_for(t, token)
        self.check_quota(operator)
        if plan is None:
            if self.planner is None:
                raise RuntimeError("this tracker has no route planner: it cannot create trains")
            plan = self.planner.plan(t)
        profile = plan.profile
        if plan.departure is not None:  # a train of a timetable trip: as the trip's times say
            departure = plan.departure
        else:
            assert t.departure is not None  # TrainIn asks for it when no trip is named
            departure = t.departure.astimezone(UTC)
        planned = scheduled_arrival(profile) or departure + timedelta(hours=plan.train_h)
        if t.schedule:  # a timetable trip: late or not against its scheduled times
            for i, st in enumerate(t.schedule):
                off = profile.locate(st.lat, st.lon)[1]
                if off > STOP_OFF_ROUTE_KM:
                    raise DataError(
                        f"stop '{st.stop}' lies {off:,.0f} km from the train's route from {plan.origin} "
                        f"to {plan.destination}; a scheduled stop must lie within "
                        f"{STOP_OFF_ROUTE_KM:.0f} km of it",
                        field=f"schedule.{i}",
                    )
            # on the profile as stored, so that a position at a stop matches the stop's own km
            profile = with_schedule(
                Profile.from_json(profile.to_json()),
                [ScheduledCall(s.stop, s.lat, s.lon, s.arrival, s.departure) for s in t.schedule],
            )
            planned = scheduled_arrival(profile) or planned
        tid = uuid.uuid4().hex[:16]
        train: Row = {
            "id": tid,
            "name": t.name or plan.name,
            "origin": plan.origin,
            "destination": plan.destination,
            "departure": departure,
            "teu": t.teu,
            "route": json.dumps(plan.route, ensure_ascii=False),
            "profile": json.dumps(profile.to_json()),
            "planned_arrival": planned,
            "operator": operator,
            "created_by": None if token is None else token.id,
            "trip_id": t.trip_id,
            "start_date": t.start_date,
        }
        with self.repo.write() as c:
            self.repo.add_train(c, train, TrackState.planned(tid, planned), datetime.now(UTC))
            self.repo.notify(c, [tid], [])
        self._plans[tid] = TrainPlan(profile, planned, operator, departure)
        return NewTrain(tid, planned, plan.route)

    def train(self, tid: str) -> TrainSummary:
        """One train and where it is; UnknownTrainError when there is none of that id."""
        rows = self.trains(tid=tid)
        if not rows:
            raise UnknownTrainError(f"no train '{tid}'", field="train_id")
        return rows[0]

    def profile(self, tid: str) -> Profile:
        """The train's planned route as a profile (km, planned hours, stops)."""
        plan = self._load_plans({tid}).get(tid)
        if plan is None:
            raise UnknownTrainError(f"no train '{tid}'", field="train_id")
        return plan.profile

    def trains(
        self,
        status: str | None = None,
        *,
        tid: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
        operator: str | None = None,
        ids: Collection[str] | None = None,
    ) -> list[TrainSummary]:
        """Trains and where they are, oldest train first (``since``: those changed after it, in
        the order they changed; ``operator``: of that operator only); a page of ``limit`` after
        ``offset``. ``results.to_frame`` makes them a table."""
        rows = self.repo.summaries(tid, status, since, operator=operator, ids=ids, limit=limit, offset=offset)
        plans = self._load_plans({train.id for train, _, _ in rows})  # one query for those not cached
        return [TrainSummary.of(train, state, plans[train.id].profile, stamp) for train, state, stamp in rows]

    def in_progress(self) -> list[TrainInProgress]:
        """The trains not arrived yet (planned, running, at a crossing), each with its state and
        plan, oldest train first: what a forecast starts from."""
        rows = [r for s in ("planned", "running", "at_crossing") for r in self.repo.summaries(None, s)]
        plans = self._load_plans({train.id for train, _, _ in rows})
        return [TrainInProgress(t, state, plans[t.id]) for t, state, _ in rows if t.id in plans]

    def learned_dwell(self) -> dict[str, dict[str, DwellSums]]:
        """What each crossing's observed waits taught (by stop key, then operator)."""
        with self.engine.connect() as c:
            return self.repo.learned(c)

    def border_milestones(self, train_ids: Collection[str]) -> list[StoredMilestone]:
        """The stored border milestones of these trains, in train and time order."""
        with self.engine.connect() as c:
            return self.repo.border_milestones(c, train_ids)

    def changes(self, cursor: Cursor | None) -> Changes:
        """What changed after ``cursor`` (from any service process). Trains changed within the
        last CHANGE_OVERLAP before the cursor come again: the caller drops repeats by
        ``updated_at``. ``None`` starts from now: no alerts, and the trains of the overlap as they
        are now (for the caller to count as seen)."""
        if cursor is None:
            latest, last_alert = self.repo.latest()
            seen = self.trains(since=latest - CHANGE_OVERLAP) if latest else []
            return Changes(seen, [], Cursor(latest or datetime.now(UTC), last_alert or 0))
        trains = self.trains(since=cursor.time - CHANGE_OVERLAP)
        alerts = self.alerts(cursor.alert)
        latest = max((t.updated_at for t in trains), default=cursor.time)
        return Changes(
            trains,
            alerts,
            Cursor(max(latest, cursor.time), max((a.id for a in alerts), default=cursor.alert)),
        )

    def alerts(
        self,
        since_id: int = 0,
        *,
        limit: int | None = None,
        newest_first: bool = False,
        operator: str | None = None,
        ids: Collection[int] | None = None,
    ) -> list[AlertRecord]:
        """Alerts with an id above ``since_id``, oldest first (or newest first), at most ``limit``
        (``operator``: of that operator's trains only; ``ids``: these only)."""
        return self.repo.alerts(since_id, limit=limit, newest_first=newest_first, operator=operator, ids=ids)

    # --- events --------------------------------------------------------------------------

    def ingest(
        self, raw: Sequence[object], *, now: datetime | None = None, token: Writer | None = None
    ) -> IngestResult:
        """Store a batch: each event is validated alone; valid new events are stored with their
        effect on the train's state in one transaction; duplicates (the same train, event id and
        content) count once. ``token`` (None: an admin) may write its operator's trains. ``raw``:
        the events as parsed from JSON, each validated here on its own.

        Work that needs no train state (validation, map-matching) runs before the lock, so one
        batch's Python work overlaps another's database round trips. Under the lock the work is
        linear in the batch: at most one query for the stored border milestones the batch needs.
        Each train's events are applied on their own: a failure rejects that train's events, with
        a reason, and the rest of the batch is stored. A train takes at most ``events_per_train``
        events in all (the later ones of a batch beyond are rejected)."""
        now = now or datetime.now(UTC)
        valid, rejected = validate(raw, now)
        plans = self._load_plans({ev.train_id for _, ev in valid})
        admitted = admit(valid, plans, rejected, token)
        events, index_of, duplicates = admitted.events, admitted.index_of, admitted.duplicates
        matched = match(events, plans)
        token_id = None if token is None else token.id
        rows = [event_row(ev, now, token_id) for ev in events]
        changed: list[str] = []
        new_alerts: list[NewAlert] = []
        repo = self.repo
        with repo.write(lock=False) as c:
            # one statement stores the new events and names them: an event already stored is a
            # duplicate (idempotent retries), and only new events move a train's state. Other
            # batches may store theirs meanwhile (an event in flight elsewhere waits for that
            # transaction's end); the states are then updated one batch at a time.
            new_keys = repo.insert_new_events(c, rows)
            if len(new_keys) < len(rows):
                again = [
                    (ev, r)
                    for ev, r in zip(events, rows, strict=True)
                    if (ev.train_id, ev.event_id) not in new_keys
                ]
                duplicates += self._repeats(c, again, index_of, rejected)
            events = [ev for ev in events if (ev.train_id, ev.event_id) in new_keys]
            by_train: dict[str, list[AnyEvent]] = {}
            for ev in sorted(events, key=lambda e: e.time):
                by_train.setdefault(ev.train_id, []).append(ev)
            states = repo.lock_states(c, by_train)  # these trains' rows (PostgreSQL), or all (SQLite)
            locked = time.monotonic()
            added: dict[tuple[str, str], DwellSums] = {}  # what this batch's waits taught
            learned = _Taught(repo.learned(c), added)
            dropped: set[EventKey] = set()  # stored, then rejected: removed before the commit
            stored = _StoredMilestones(
                lambda: MilestoneIndex(
                    repo.border_milestones(c, plans),
                    lambda tid, at: plans[tid].profile.stop_named(at),
                    new_keys,
                )
            )
            for n, (tid, mine) in enumerate(sorted(by_train.items())):
                if n % 64 == 0 and time.monotonic() - locked > LOCK_BUDGET_S:
                    raise LockBudgetExceeded(
                        f"the batch needed more than {LOCK_BUDGET_S:.0f} s under the write lock and was "
                        "not stored; send it again in smaller batches"
                    )
                mine = self._within_quota(states[tid], mine, index_of, dropped, rejected)
                if not mine:
                    continue
                done = self._apply_train(
                    states[tid], mine, plans[tid], matched, learned, stored, index_of, rejected
                )
                refused, result = done
                dropped.update((tid, eid) for eid in refused)
                if result is None:  # every event of this train rejected
                    dropped.update((ev.train_id, ev.event_id) for ev in mine)
                    continue
                states[tid], alerts, taught = result
                for key, sums in taught.items():
                    added[key] = added.get(key, NO_SUMS).plus(sums)
                new_alerts += alerts
                changed.append(tid)
            repo.delete_events(c, dropped)
            stamp = datetime.now(UTC)  # under the trains' locks: a train's stamps follow its commits
            repo.save_states(c, [states[tid] for tid in changed], stamp)
            repo.save_learned(c, added)
            ids = repo.add_alerts(c, new_alerts)
            repo.notify(c, changed, ids)
        self._warn_outliers(added, plans, learned)
        return IngestResult(
            accepted=len(events) - len(dropped),
            duplicates=duplicates,
            rejected=tuple(sorted(rejected, key=lambda r: r.index)),
            changed=tuple(changed),
            alerts=tuple(_numbered(new_alerts, ids)),
            foreign=admitted.foreign,
        )

    def _within_quota(
        self,
        state: TrackState,
        mine: list[AnyEvent],
        index_of: dict[EventKey, int],
        dropped: set[EventKey],
        rejected: list[Rejection],
    ) -> list[AnyEvent]:
        """The train's events that fit in its quota of stored events; the later ones beyond are
        rejected (and go to ``dropped``)."""
        quota = self.limits.events_per_train
        if quota is None or state.events + len(mine) <= quota:
            return mine
        room = max(quota - state.events, 0)
        for ev in mine[room:]:
            dropped.add((ev.train_id, ev.event_id))
            rejected.append(
                Rejection(
                    index_of[(ev.train_id, ev.event_id)],
                    f"train_id: train '{ev.train_id}' has {state.events + room:,} events stored, its "
                    f"quota of {quota:,}; no more are taken for it",
                )
            )
        return mine[:room]

    def _repeats(
        self,
        c: Connection,
        stored: list[tuple[AnyEvent, Row]],
        index_of: dict[EventKey, int],
        rejected: list[Rejection],
    ) -> int:
        """Of events stored already (the same train and id; each with its row): the count with the
        same content (duplicates); the others are rejected (one query for them all)."""
        have = self.repo.stored_contents(c, [(ev.train_id, ev.event_id) for ev, _ in stored])
        same = 0
        for ev, r in stored:
            key = (ev.train_id, ev.event_id)
            old = have.get(key)
            if old is None or old == tuple(r[k] for k in EVENT_CONTENT):
                same += 1  # (None: stored by a batch in flight, then rolled back; counts as before)
                continue
            rejected.append(
                Rejection(
                    index_of[key],
                    f"event_id: '{ev.event_id}' is stored already for train '{ev.train_id}' with "
                    "other content; give each event its own id",
                )
            )
        return same

    def _apply_train(
        self,
        state: TrackState,
        mine: list[AnyEvent],
        plan: TrainPlan,
        matched: dict[EventKey, tuple[float, float]],
        learned: _Taught,
        stored: _StoredMilestones,
        index_of: dict[EventKey, int],
        rejected: list[Rejection],
    ) -> tuple[set[str], tuple[TrackState, list[NewAlert], dict[tuple[str, str], DwellSums]] | None]:
        """Apply one train's events (in time order) with the core and refresh its ETA: the ids of
        the events the core refused (each rejected alone), and (its new state, its new alerts,
        the observations it made, by crossing and operator); None when anything else failed: the
        train stays as it was and all its events are rejected."""
        operator = plan.operator or ""
        taught: dict[tuple[str, str], DwellSums] = {}
        view = learned.with_layer(taught)
        alerts: list[NewAlert] = []
        refused: set[str] = set()
        try:
            for ev in mine:
                key = (ev.train_id, ev.event_id)
                step = core.apply(
                    state,
                    ev,
                    profile=plan.profile,
                    milestones=stored,
                    match=matched.get(key),
                    rejected=refused,
                )
                if step.rejected is not None:
                    refused.add(ev.event_id)
                    rejected.append(Rejection(index_of[key], step.rejected))
                    continue
                state = step.state
                alerts += step.alerts
                if step.observed is not None:
                    slot = (step.observed[0], operator)
                    taught[slot] = taught.get(slot, NO_SUMS).add(step.observed[1])
            state = replace(state, events=state.events + len(mine) - len(refused))
            step = core.refresh(
                state, profile=plan.profile, planned=plan.planned_arrival, learned=view, now=datetime.now(UTC)
            )
        except Exception:
            log.exception("train %s: its events could not be applied", mine[0].train_id)
            for ev in mine:
                if ev.event_id not in refused:
                    rejected.append(
                        Rejection(
                            index_of[(ev.train_id, ev.event_id)],
                            f"train_id: the events of train '{ev.train_id}' could not be applied "
                            "(an internal error, logged); none of them was stored",
                        )
                    )
            return refused, None
        return refused, (step.state, alerts + list(step.alerts), taught)

    def _warn_outliers(
        self, added: Mapping[tuple[str, str], DwellSums], plans: Mapping[str, TrainPlan], learned: _Taught
    ) -> None:
        """Log the operators whose waits at a crossing this batch taught are outliers there."""
        keys = {k for k, _ in added}
        for plan in plans.values():
            for stop in plan.profile.stops:
                if stop.key in keys:
                    keys.discard(stop.key)
                    found = estimate_dwell(stop, learned)
                    if found.outliers:
                        log.warning(
                            "crossing %s: the waits of %s are outliers (%s); the expected dwell is %.1f h",
                            stop.key,
                            ", ".join(o or "(no operator)" for o in found.outliers),
                            ", ".join(
                                f"{o or '-'}: {s.n} waits, mean {s.mean_h:.1f} h"
                                for o, s in sorted(learned.get(stop.key, {}).items())
                            ),
                            found.hours,
                        )

    def _load_plans(self, train_ids: set[str]) -> dict[str, TrainPlan]:
        """The plans of these trains (cached; a train's plan never changes). Unknown trains are
        absent."""
        missing = [tid for tid in train_ids if tid not in self._plans]
        if missing:
            self._plans.update(self.repo.plans(missing))
        return {tid: self._plans[tid] for tid in train_ids if tid in self._plans}

    def check_silent(self, now: datetime | None = None) -> list[AlertRecord]:
        """Raise a 'silent' alert for running trains with no event for SILENT_H hours."""
        now = now or datetime.now(UTC)
        out: list[AlertRecord] = []
        with self.repo.write() as c:
            for state in self.repo.moving_states(c, lock=True):
                step = core.check_silent(state, now)
                if step.alerts:
                    new = list(step.alerts)
                    out += _numbered(new, self.repo.add_alerts(c, new))
                    self.repo.save_alerted(c, step.state)
            self.repo.notify(c, [a.train_id for a in out], [a.id for a in out])
        return out

    def repair(self) -> dict[str, tuple[int, float]]:
        """Recompute every crossing's learned dwell from the stored border milestones, with the
        rules ingest applies now (``dwell.relearn``): what a poisoned or pre-cap table should
        have held. Returns crossing -> (observations, mean hours) of all operators together."""
        with self.engine.connect() as c:
            rows = self.repo.border_milestones(c)
        plans = self._load_plans({r.train_id for r in rows})

        def stop_of(tid: str, at: str) -> Stop | None:
            plan = plans.get(tid)
            return plan.profile.stop_named(at) if plan else None

        def operator_of(tid: str) -> str:
            plan = plans.get(tid)
            return (plan.operator if plan else None) or ""

        sums = relearn(rows, stop_of, operator_of)
        self.repo.replace_learned(sums)
        totals: dict[str, DwellSums] = {}
        for (key, _), part in sums.items():
            totals[key] = totals.get(key, NO_SUMS).plus(part)
        return {k: (t.n, t.mean_h) for k, t in sorted(totals.items())}

    def check_writable(self) -> str | None:
        """None while a write can succeed, else why not: a probe written, synced to disk and read
        back (``Repository.probe``), so a full disk shows here before a batch finds it."""
        try:
            self.repo.probe()
        except Exception as exc:
            if store.storage_failure(exc):
                return store.STORAGE_FULL
            return f"the database cannot take a write: {str(exc).splitlines()[0][:200]}"
        return None
