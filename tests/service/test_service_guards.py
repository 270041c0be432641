"""The time limit, the bounded pool and the commit right of work that runs over, in process."""

from __future__ import annotations

import asyncio
import threading

import pytest

from matcher.service.guards import Pool, ServiceError, Ticket


def test_work_over_the_time_limit_is_refused_and_commits_nothing() -> None:
    late, done = threading.Event(), threading.Event()
    committed: list[bool] = []

    def work(ticket: Ticket) -> str:
        late.wait(10)
        committed.append(ticket.commit())
        done.set()
        return "answer"

    async def main() -> None:
        pool = Pool(threads=1, queue=0, seconds=0.05)
        with pytest.raises(ServiceError) as refusal:
            await pool.run(work, solve=True)
        assert (refusal.value.status, refusal.value.code) == (503, "timeout")
        late.set()
        assert await asyncio.to_thread(done.wait, 10)
        pool.close()

    asyncio.run(main())
    assert committed == [False]


def test_work_that_committed_is_answered_even_when_late() -> None:
    committed, release = threading.Event(), threading.Event()

    def work(ticket: Ticket) -> str:
        assert ticket.commit()
        committed.set()
        release.wait(10)
        return "answer"

    async def main() -> str:
        pool = Pool(threads=1, queue=0, seconds=0.05)
        task = asyncio.ensure_future(pool.run(work, solve=False))
        await asyncio.to_thread(committed.wait, 10)
        await asyncio.sleep(0.1)  # past the limit
        release.set()
        answer = await task
        pool.close()
        return answer

    assert asyncio.run(main()) == "answer"


def test_a_full_pool_is_busy() -> None:
    release = threading.Event()

    async def main() -> None:
        pool = Pool(threads=1, queue=1, seconds=30)
        held = [
            asyncio.ensure_future(pool.run(lambda t: release.wait(10), solve=True))
            for _ in range(2)
        ]
        await asyncio.sleep(0.05)
        with pytest.raises(ServiceError) as refusal:
            await pool.run(lambda t: True, solve=True)
        assert (refusal.value.status, refusal.value.code) == (503, "busy")
        release.set()
        assert await asyncio.gather(*held) == [True, True]
        assert await pool.run(lambda t: 7, solve=True) == 7  # slots are given back
        pool.close()

    asyncio.run(main())
