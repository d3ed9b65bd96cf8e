"""The heavy reads' pool without a network: toy jobs in threads and in worker processes. A full
queue is a 503, a client past its cap a 429, a job past its deadline is stopped (its process
killed and replaced), a client that goes before its turn costs nothing, and a client's slot is
held until its job is really done."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from silkrail.service.pool import Answer, ReadContext, ReadPool
from silkrail.service.quota import ClientLimits, ClientPolicy, Quotas
from silkrail.service.settings import ServiceSettings

RAN: list[str] = []  # what the thread jobs ran (the process jobs run elsewhere)


def sleepy(ctx: ReadContext, seconds: float, tag: str) -> Answer:
    time.sleep(seconds)
    RAN.append(tag)
    return Answer(content={"tag": tag, "pid": os.getpid()})


def broken(ctx: ReadContext) -> Answer:
    raise RuntimeError("a bug in a job")


def settings(
    tmp: Path, *, processes: bool = False, workers: int = 1, queue: int = 2, deadline: float = 30.0
) -> ServiceSettings:
    return ServiceSettings(
        db_url=f"sqlite:///{tmp / 'x.sqlite'}",
        tokens=(),
        home=tmp,
        read_workers=workers,
        read_processes=processes,
        read_queue=queue,
        read_deadline_s=deadline,
    )


def limits(concurrency: int = 8) -> ClientLimits:
    policy = ClientPolicy(rate=1e6, burst=1e6, concurrency=concurrency)
    return ClientLimits(Quotas(anonymous=policy, token=policy))


async def _pool(tmp: Path, lim: ClientLimits | None = None, **kw: object) -> ReadPool:
    pool = ReadPool(settings(tmp, **kw), lim or limits(), warm=False)  # type: ignore[arg-type]
    await pool.start()
    return pool


def test_a_full_queue_is_a_503_and_a_client_past_its_cap_a_429(tmp_path: Path) -> None:
    """One worker and a queue of two: with one job running and two waiting, a fourth client gets
    a 503 with Retry-After. With room in the queue, a client with two in flight (its cap) gets a
    429 for a third, and others are served."""

    async def main() -> tuple[list[Answer], Answer, Answer, list[Answer]]:
        pool = await _pool(tmp_path, limits(concurrency=2), queue=2)
        try:
            first = [
                asyncio.ensure_future(pool.run(f"address:{k}", sleepy, (0.3, f"c{k}"))) for k in range(3)
            ]
            await asyncio.sleep(0.05)
            full = await pool.run("address:9", sleepy, (0.0, "late"))
            done = await asyncio.gather(*first)
        finally:
            pool.close()
        pool = await _pool(tmp_path, limits(concurrency=2), queue=10)
        try:
            mine = [asyncio.ensure_future(pool.run("address:m", sleepy, (0.2, f"m{k}"))) for k in range(2)]
            await asyncio.sleep(0.05)
            capped = await pool.run("address:m", sleepy, (0.0, "m3"))
            other = asyncio.ensure_future(pool.run("address:o", sleepy, (0.0, "o")))
            return list(done), full, capped, [*(await asyncio.gather(*mine)), await other]
        finally:
            pool.close()

    done, full, capped, served = asyncio.run(main())
    assert [a.status for a in done] == [200, 200, 200]
    assert full.status == 503 and full.headers["Retry-After"] == "2" and "busy" in full.content["error"]
    assert capped.status == 429 and capped.headers["Retry-After"] == "1"
    assert [a.status for a in served] == [200, 200, 200]


def test_a_client_that_goes_before_its_turn_costs_nothing(tmp_path: Path) -> None:
    """Twenty requests queue behind a long job, then their clients go: none of them runs, and the
    pool counts them dropped; the running job finishes."""
    RAN.clear()

    async def main() -> dict[str, int]:
        pool = await _pool(tmp_path, queue=50)
        gone = asyncio.Event()

        async def leaves() -> None:
            await gone.wait()

        try:
            head = asyncio.ensure_future(pool.run("address:a", sleepy, (0.5, "head")))
            await asyncio.sleep(0.05)
            queued = [
                asyncio.ensure_future(pool.run(f"address:q{k}", sleepy, (0.0, f"q{k}"), gone=leaves))
                for k in range(20)
            ]
            await asyncio.sleep(0.05)
            gone.set()
            answers = await asyncio.gather(*queued)
            assert {a.status for a in answers} == {499}
            assert (await head).status == 200
            await asyncio.sleep(0.1)
            return pool.state()
        finally:
            pool.close()

    state = asyncio.run(main())
    assert RAN == ["head"]
    assert state["dropped"] == 20 and state["done"] == 1 and state["running"] == state["waiting"] == 0


def test_an_abandoned_running_job_holds_its_clients_slot_until_done(tmp_path: Path) -> None:
    """A client that goes while its job runs gets its answer dropped, but the job keeps the
    client's one slot until it ends: the client cannot pile abandoned work on the workers."""

    async def main() -> tuple[int, int, int]:
        pool = await _pool(tmp_path, limits(concurrency=1), workers=2)
        gone = asyncio.Event()

        async def leaves() -> None:
            await gone.wait()

        try:
            first = asyncio.ensure_future(pool.run("address:x", sleepy, (0.4, "long"), gone=leaves))
            await asyncio.sleep(0.1)
            gone.set()
            assert (await first).status == 499
            while_running = (await pool.run("address:x", sleepy, (0.0, "again"))).status
            await asyncio.sleep(0.5)
            after = (await pool.run("address:x", sleepy, (0.0, "after"))).status
            return while_running, after, pool.state()["done"]
        finally:
            pool.close()

    assert asyncio.run(main()) == (429, 200, 2)


def test_a_job_past_its_deadline_is_stopped_and_its_process_replaced(tmp_path: Path) -> None:
    """In worker processes: a job that runs past the deadline gets a 503 saying so, its process
    is killed, and the next job runs in a new process."""

    async def main() -> tuple[Answer, Answer, int]:
        pool = await _pool(tmp_path, processes=True, deadline=1.0)
        try:
            [worker] = pool._workers
            assert worker.process is not None
            old = worker.process.pid
            slow = await pool.run("address:a", sleepy, (30.0, "slow"))
            assert pool._idle is not None
            for _ in range(400):  # the replacement starts and takes work
                await asyncio.sleep(0.05)
                if pool._idle.qsize():
                    break
            quick = await pool.run("address:a", sleepy, (0.0, "quick"))
            return slow, quick, old
        finally:
            pool.close()

    slow, quick, old = asyncio.run(main())
    assert slow.status == 503 and "longer than 1 s" in slow.content["error"]
    assert quick.status == 200 and quick.content["pid"] != old


def test_a_failing_job_is_a_500_without_its_details(tmp_path: Path) -> None:
    async def main() -> Answer:
        pool = await _pool(tmp_path)
        try:
            return await pool.run("address:a", broken, ())
        finally:
            pool.close()

    answer = asyncio.run(main())
    assert answer.status == 500 and "a bug" not in str(answer.content)


@pytest.mark.parametrize("processes", [False, True])
def test_jobs_run_in_threads_or_in_worker_processes(tmp_path: Path, processes: bool) -> None:
    async def main() -> Answer:
        pool = await _pool(tmp_path, processes=processes)
        try:
            return await pool.run("address:a", sleepy, (0.0, "here"))
        finally:
            pool.close()

    answer = asyncio.run(main())
    assert answer.status == 200 and (answer.content["pid"] == os.getpid()) is not processes
