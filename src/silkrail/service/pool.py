"""Heavy reads off the request path: a bounded pool of workers with a queue limit, a deadline per
request, cancellation when the client goes, and per-client caps.

Routing, comparisons, OD matrices, GTFS-Realtime feeds (and any other read whose cost grows
with the network or the fleet) run here, never on the event loop and never in the thread pool
that cheap requests share: ``/health``, ``/ready`` and ingest stay answered whatever the reads
cost. A request:

- pays its cost from the client's bucket (``quota``; the Guard charged it before the route ran)
  and takes one of the client's heavy slots (``Quotas``: concurrency; beyond it, 429);
- waits for a free worker, at most ``read_queue`` requests in all (beyond, 503 with
  Retry-After), and at most until its deadline (``read_deadline_s``; then 503);
- runs in a worker: a process of its own with its own network, router and database connection
  (``silkrail serve``: ``--read-workers N``, the default), or a thread of this process (a
  service built with ``read_processes=False``, as the tests' in-process clients are). A job that
  runs past its deadline is stopped: its worker process is killed and a new one started (a
  thread cannot be stopped: it finishes, its answer is dropped, its slot stays taken meanwhile);
- is dropped before it starts if its client has gone; one that has started finishes (at most
  the deadline) and its client's slot is released then.

The hook for an endpoint of its own (the forecast's): a module-level function
``job(ctx: ReadContext, *args) -> Answer`` (picklable: arguments of plain data), run by
``await run_heavy(request, job, *args)`` from an ``async def`` handler. The job raises a
``SilkrailError`` for bad input (mapped to its status like everywhere in the service), or
returns ``Answer(content=...)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import faulthandler
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from silkrail.service.limits import CLIENT_KEY
from silkrail.service.quota import ClientLimits, retry_after

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from silkrail.network.model import Network
    from silkrail.routing.router import Router
    from silkrail.service.deps import NetworkSource
    from silkrail.service.settings import ServiceSettings
    from silkrail.timetable.feed import Feed
    from silkrail.tracking.tracker import Tracker

log = logging.getLogger("silkrail.service")


@dataclass(frozen=True)
class Answer:
    """What a heavy job answers: a status, and ``content`` (JSON, or a record its endpoint
    reads: a planned route, a forecast) or raw ``body`` bytes."""

    status: int = 200
    content: object = None
    body: bytes | None = None
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str, retry: float | None = None) -> Answer:
        headers = {} if retry is None else {"Retry-After": retry_after(retry)}
        return cls(status, {"error": message}, headers=headers)

    def response(self) -> Response:
        if self.body is not None:
            return Response(self.body, self.status, headers=self.headers, media_type=self.media_type)
        return JSONResponse(self.content, self.status, headers=self.headers)


class ReadContext:
    """What a job reads: the service settings, the network and its router (loaded once per
    process, on first use) and the tracker (a connection pool to the service's database)."""

    def __init__(
        self, settings: ServiceSettings, networks: NetworkSource | None = None, tracker: Tracker | None = None
    ) -> None:
        from silkrail.service.deps import NetworkSource

        self.settings = settings
        self.networks = networks or NetworkSource(settings)
        self._tracker = tracker
        self._timetables: Feed | None = None
        self._lock = threading.Lock()

    def network(self) -> Network:
        return self.networks.network()

    def router(self) -> Router:
        return self.networks.router()

    def timetables(self) -> Feed:
        """The timetables (the package's services and the feeds imported into the service's
        home), read once per process."""
        if self._timetables is None:
            with self._lock:
                if self._timetables is None:
                    from silkrail.timetable.services import load_timetables

                    self._timetables = load_timetables(self.settings.home)
        return self._timetables

    def tracker(self) -> Tracker:
        if self._tracker is None:
            with self._lock:
                if self._tracker is None:
                    from silkrail.tracking.tracker import Tracker

                    self._tracker = Tracker.open(self.settings.db_url)
        return self._tracker

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.engine.dispose()


Job = Callable[..., Answer]


@dataclass
class PoolCounts:
    """The jobs a pool has done, refused (client cap, full queue), dropped (client gone) and
    let expire (deadline)."""

    done: int = 0
    refused: int = 0
    dropped: int = 0
    expired: int = 0


def execute(ctx: ReadContext, job: Job, args: tuple[object, ...]) -> Answer:
    """Run ``job``: a domain error becomes its status, a database outage a 503, anything else a
    500 with a generic message (the details go to the log)."""
    from silkrail.errors import SilkrailError
    from silkrail.service.errors import status_of
    from silkrail.tracking.store import STORAGE_FULL, storage_failure, transient_errors

    try:
        return job(ctx, *args)
    except SilkrailError as exc:
        return Answer.error(status_of(exc), str(exc))
    except transient_errors() as exc:
        if storage_failure(exc):
            return Answer.error(507, STORAGE_FULL, 300)
        log.warning("database: %s", str(exc).split("\n")[0])
        return Answer.error(503, "the database is busy or unreachable; try again", 1)
    except Exception:
        log.exception("a heavy read failed")
        return Answer.error(500, "internal error; the server log has details")


# --- workers ------------------------------------------------------------------------------


class _Worker:
    """One worker: a process with a pipe (``processes``) or a slot of the thread pool."""

    def __init__(self, process: BaseProcess | None = None, conn: Connection | None = None) -> None:
        self.process = process
        self.conn = conn


_context: ReadContext | None = None  # in a worker process


def _worker_main(conn: Connection, settings: ServiceSettings, parent: int, warm: bool) -> None:
    """A worker process: load the network and router (``warm``), then answer jobs until the pipe
    closes."""
    global _context
    name_process("silkrail-read")
    faulthandler.enable(file=sys.stderr)
    threading.Thread(target=_follow, args=(parent,), daemon=True, name="follow-parent").start()
    _context = ReadContext(settings)
    try:
        if warm:
            _context.router()  # the network and the router's indexes, before the first job
        conn.send("ready")
    except Exception as exc:  # the parent says why in its log
        conn.send(f"failed: {exc}")
        return
    while True:
        try:
            job, args = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(execute(_context, job, args))


def name_process(name: str) -> None:
    """Give this process a name ``ps`` and ``top`` show (Linux; elsewhere nothing happens)."""
    try:
        with open("/proc/self/comm", "w") as fh:
            fh.write(name[:15])
    except OSError:
        pass


def _follow(parent: int) -> None:
    """End this process soon after the service that started it is gone (even by SIGKILL)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class ReadPool:
    """``workers`` workers (processes, or threads of this process) for heavy reads."""

    def __init__(
        self,
        settings: ServiceSettings,
        limits: ClientLimits,
        context: ReadContext | None = None,
        *,
        warm: bool = True,
    ) -> None:
        self.settings = settings
        self.warm = warm  # worker processes load the network and router before their first job
        self.limits = limits
        self.processes = settings.read_processes
        self.size = max(1, settings.read_workers)
        self.queue_limit = settings.read_queue
        self.deadline_s = settings.read_deadline_s
        self.context = context or ReadContext(settings)
        self.waiting = 0
        self.running = 0
        self.stats = PoolCounts()
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._pipes: ThreadPoolExecutor | None = None  # waits on the workers' pipes
        self._workers: list[_Worker] = []
        self._closed = False

    async def start(self) -> None:
        """Start the workers (processes load their network now, not at the first request)."""
        self._idle = asyncio.Queue()
        if not self.processes:
            self._threads = ThreadPoolExecutor(self.size, thread_name_prefix="silkrail-read")
            for _ in range(self.size):
                self._idle.put_nowait(_Worker())
            return
        self._pipes = ThreadPoolExecutor(self.size * 2, thread_name_prefix="silkrail-read-pipe")
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for w in workers:
            self._idle.put_nowait(w)

    async def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("spawn")
        mine, theirs = ctx.Pipe()
        settings = replace(self.settings, tokens=())  # a worker writes nothing: no secret goes there
        process = ctx.Process(
            target=_worker_main,
            args=(theirs, settings, os.getpid(), self.warm),
            daemon=True,
            name="silkrail-read",
        )
        process.start()
        theirs.close()
        worker = _Worker(process, mine)
        self._workers.append(worker)
        loop = asyncio.get_running_loop()
        hello = await loop.run_in_executor(self._pipes, mine.recv)
        if hello != "ready":
            raise RuntimeError(f"a read worker could not start: {hello}")
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (past its deadline, or broken) and start another in its place."""
        if worker.process is not None:
            worker.process.kill()
        if worker.conn is not None:
            worker.conn.close()
        if worker in self._workers:
            self._workers.remove(worker)
        if self._closed:
            return

        async def respawn() -> None:
            while not self._closed:
                try:
                    fresh = await self._spawn()
                except Exception as exc:
                    log.error("a read worker could not start (%s); trying again in 5 s", exc)
                    await asyncio.sleep(5)
                    continue
                assert self._idle is not None
                self._idle.put_nowait(fresh)
                return

        asyncio.get_running_loop().create_task(respawn())

    def _submit(self, worker: _Worker, job: Job, args: tuple[object, ...]) -> asyncio.Future[Answer]:
        loop = asyncio.get_running_loop()
        if worker.conn is None:
            assert self._threads is not None
            return asyncio.wrap_future(self._threads.submit(execute, self.context, job, args))
        conn = worker.conn

        def exchange() -> Answer:
            conn.send((job, args))
            answer: Answer = conn.recv()
            return answer

        return loop.run_in_executor(self._pipes, exchange)

    async def run(
        self,
        client: str,
        job: Job,
        args: tuple[object, ...],
        gone: Callable[[], Awaitable[None]] | None = None,
    ) -> Answer:
        """Run ``job(ctx, *args)`` for ``client`` within the limits (see the module docstring);
        ``gone`` returns once the client has disconnected."""
        if self._idle is None:
            return Answer.error(503, "starting: the read workers are not ready yet", 5)
        if not self.limits.enter(client):
            cap = self.limits.policy(client).concurrency
            self.stats.refused += 1
            return Answer.error(
                429, f"this client has {cap} heavy requests in flight already; wait for their answers", 1
            )
        if self.waiting >= self.queue_limit and self._idle.empty():
            self.limits.leave(client)
            self.stats.refused += 1
            return Answer.error(
                503, f"the service is busy with {self.running + self.waiting} heavy requests; try again", 2
            )
        work = asyncio.ensure_future(self._run(client, job, args))
        watch = asyncio.ensure_future(gone()) if gone is not None else None
        try:
            waits = {work} if watch is None else {work, watch}
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if watch is not None:
                watch.cancel()
        if work.done():
            return work.result()
        work.cancel()  # the client has gone: dropped if still waiting (a started job finishes)
        return Answer.error(499, "the client closed the connection")

    async def _run(self, client: str, job: Job, args: tuple[object, ...]) -> Answer:
        """Wait for a worker and run the job on it; the client's slot is released when the job is
        done (not before: an abandoned job still holds the client's share)."""
        assert self._idle is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline_s
        self.waiting += 1
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.deadline_s)
        except TimeoutError:
            self.limits.leave(client)
            self.stats.expired += 1
            return Answer.error(503, f"no read worker was free within {self.deadline_s:.0f} s; try again", 5)
        except BaseException:
            self.limits.leave(client)  # cancelled: the client went before its turn
            self.stats.dropped += 1
            raise
        finally:
            self.waiting -= 1
        self.running += 1
        future = self._submit(worker, job, args)

        def done(f: asyncio.Future[Answer]) -> None:
            self.running -= 1
            self.stats.done += 1
            self.limits.leave(client)
            if worker.process is not None and (f.cancelled() or f.exception() is not None):
                self._replace(worker)  # killed past its deadline, or died
            else:
                assert self._idle is not None
                self._idle.put_nowait(worker)

        future.add_done_callback(done)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout=max(deadline - loop.time(), 0.001))
        except TimeoutError:
            self.stats.expired += 1
            if worker.process is not None:  # its pipe closes: the exchange ends with an error
                worker.process.kill()
            return Answer.error(
                503,
                f"the request took longer than {self.deadline_s:.0f} s and was stopped; "
                "ask a smaller question",
            )
        except (EOFError, OSError, BrokenPipeError):
            return Answer.error(503, "the read worker stopped; try again", 1)

    def state(self) -> dict[str, int]:
        """What the pool does now and has done: workers, running, waiting, and the counts of jobs
        done, refused (client cap, full queue), dropped (client gone) and expired (deadline)."""
        return {
            "workers": self.size,
            "running": self.running,
            "waiting": self.waiting,
            **dataclasses.asdict(self.stats),
        }

    def close(self) -> None:
        """Stop taking jobs; a job running in a thread ends first (it may hold a database
        connection), worker processes are killed."""
        self._closed = True
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
        for w in list(self._workers):
            if w.process is not None:
                w.process.kill()
                w.process.join(5)
            if w.conn is not None:
                w.conn.close()
        if self._pipes is not None:
            self._pipes.shutdown(wait=False, cancel_futures=True)


async def _disconnected(request: Request) -> None:
    """Returns once the client of ``request`` has disconnected."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def run_heavy(request: Request, job: Job, *args: object) -> Answer:
    """Run a heavy read for the client of ``request`` in the service's read pool (the hook for
    heavy endpoints: see the module docstring)."""
    pool: ReadPool | None = request.app.state.runtime.reads
    if pool is None:
        return Answer.error(503, "starting: the read workers are not ready yet", 5)
    client: str = request.scope.get(CLIENT_KEY) or "address:"
    return await pool.run(client, job, args, gone=lambda: _disconnected(request))
