"""A small discrete-event kernel: ``now``, ``schedule``, ``step``, ``run(until=)``.

Callbacks instead of generator processes: an event is (time, sequence, callback, argument) on
a binary heap, and ties are broken by scheduling order, so a run is reproducible. Randomness
comes from one seeded generator per kernel: the same seed gives the same result.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from heapq import heappop as _pop
from heapq import heappush as _push
from typing import Any

Callback = Callable[[Any], None]


class Kernel:
    """The event list and the clock (hours since the start of the run)."""

    __slots__ = ("_heap", "_seq", "log", "now", "rng")

    def __init__(self, seed: int = 0, *, log: bool = False) -> None:
        self.now = 0.0
        self.rng = random.Random(seed)
        self._heap: list[tuple[float, int, Callback, Any]] = []
        self._seq = 0
        self.log: list[tuple[float, str]] | None = [] if log else None

    def schedule(self, delay: float, callback: Callback, arg: Any = None) -> None:
        """Call ``callback(arg)`` after ``delay`` hours (>= 0)."""
        if delay < 0:
            raise ValueError(f"cannot schedule into the past (delay {delay})")
        seq = self._seq = self._seq + 1
        _push(self._heap, (self.now + delay, seq, callback, arg))

    def record(self, what: str) -> None:
        if self.log is not None:
            self.log.append((self.now, what))

    def peek(self) -> float:
        """Time of the next event (inf when none is left)."""
        return self._heap[0][0] if self._heap else float("inf")

    def step(self) -> bool:
        """Process one event; False when none is left."""
        if not self._heap:
            return False
        self.now, _, callback, arg = _pop(self._heap)
        callback(arg)
        return True

    def run(self, until: float | None = None) -> None:
        """Process events until none is left, or until the clock would pass ``until``."""
        heap, pop = self._heap, _pop
        if until is None:
            while heap:
                self.now, _, callback, arg = pop(heap)
                callback(arg)
        else:
            while heap and heap[0][0] <= until:
                self.now, _, callback, arg = pop(heap)
                callback(arg)
            if until > self.now:
                self.now = until

    @property
    def events_processed(self) -> int:
        """Events handled so far (every scheduled event that has left the list)."""
        return self._seq - len(self._heap)


class Server:
    """``capacity`` identical servers with one FIFO queue (optionally a priority queue).

    ``request(job, on_start)`` starts ``on_start(job)`` as soon as a server is free; the job
    calls ``release()`` when done. Queue length over time, waits and busy time are recorded.
    """

    __slots__ = (
        "_queue",
        "_seq",
        "busy",
        "busy_hours",
        "capacity",
        "closed_until",
        "k",
        "last_change",
        "max_queue",
        "name",
        "queue_trace",
        "served",
        "waits",
    )

    def __init__(self, k: Kernel, name: str, capacity: int, *, trace: bool = False) -> None:
        if capacity < 1:
            raise ValueError(f"server {name} needs a capacity of at least 1 (got {capacity})")
        self.k = k
        self.name = name
        self.capacity = capacity
        self.busy = 0
        self._queue: list[tuple[int, int, float, Any, Callback]] = []
        self._seq = 0
        self.waits: list[float] = []
        self.busy_hours = 0.0
        self.last_change = 0.0
        self.served = 0
        self.max_queue = 0
        self.queue_trace: list[tuple[float, int]] | None = [] if trace else None
        self.closed_until = 0.0

    def _account(self) -> None:
        now = self.k.now
        self.busy_hours += self.busy * (now - self.last_change)
        self.last_change = now

    def request(self, job: Any, on_start: Callback, *, priority: int = 0) -> None:
        now = self.k.now
        if self.busy < self.capacity and not self._queue and now >= self.closed_until:
            # the common case, inlined: start at once
            self.busy_hours += self.busy * (now - self.last_change)
            self.last_change = now
            self.busy += 1
            self.served += 1
            self.waits.append(0.0)
            on_start(job)
            return
        self._seq += 1
        _push(self._queue, (-priority, self._seq, now, job, on_start))
        if len(self._queue) > self.max_queue:
            self.max_queue = len(self._queue)
        if self.queue_trace is not None:
            self.queue_trace.append((now, len(self._queue)))

    def release(self) -> None:
        now = self.k.now
        self.busy_hours += self.busy * (now - self.last_change)
        self.last_change = now
        self.busy -= 1
        if self._queue:
            self._next()

    def reopen(self, _: Any = None) -> None:
        self._next()

    def _next(self) -> None:
        now = self.k.now
        while self._queue and self.busy < self.capacity and now >= self.closed_until:
            _, _, arrived, job, on_start = _pop(self._queue)
            if self.queue_trace is not None:
                self.queue_trace.append((now, len(self._queue)))
            self.busy_hours += self.busy * (now - self.last_change)
            self.last_change = now
            self.busy += 1
            self.served += 1
            self.waits.append(now - arrived)
            on_start(job)

    def close(self, hours: float) -> None:
        """Stop starting new services for ``hours``; queued jobs wait until it reopens."""
        self.closed_until = max(self.closed_until, self.k.now + hours)
        self.k.schedule(hours, self.reopen)

    def utilisation(self, horizon_h: float) -> float:
        self._account()
        return self.busy_hours / (self.capacity * horizon_h) if horizon_h > 0 else 0.0
