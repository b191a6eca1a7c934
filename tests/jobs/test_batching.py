"""The coalescer: concurrent calls go together, each caller gets its own result, a failed batch
fails each of its callers, and nothing waits when there is nothing to wait for."""

from __future__ import annotations

import asyncio

import pytest

from imas.jobs.batching import Coalescer


class Recorder:
    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_on = fail_on

    async def __call__(self, items: list[str]) -> list[str]:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)  # a round trip
        if self.fail_on in items:
            raise ConnectionError("the database went away")
        return [item.upper() for item in items]


async def test_calls_made_while_a_batch_runs_form_the_next_batch():
    run = Recorder()
    coalesce = Coalescer(run)
    first = asyncio.create_task(coalesce("a"))
    await asyncio.sleep(0)  # the first batch starts with "a" alone
    rest = [asyncio.create_task(coalesce(x)) for x in "bcd"]
    assert await first == "A"
    assert [await t for t in rest] == ["B", "C", "D"]
    assert run.batches == [["a"], ["b", "c", "d"]]


async def test_a_lone_call_is_not_kept_waiting():
    run = Recorder()
    coalesce = Coalescer(run)
    async with asyncio.timeout(1):
        assert await coalesce("x") == "X"
    assert run.batches == [["x"]]


async def test_a_failed_batch_fails_each_of_its_callers_and_only_them():
    run = Recorder(fail_on="bad")
    coalesce = Coalescer(run)
    first = asyncio.create_task(coalesce("ok"))
    await asyncio.sleep(0)
    doomed = [asyncio.create_task(coalesce(x)) for x in ("bad", "innocent")]
    assert await first == "OK"
    for task in doomed:
        with pytest.raises(ConnectionError):
            await task
    assert await coalesce("later") == "LATER"


async def test_batches_are_capped():
    run = Recorder()
    coalesce = Coalescer(run, max_batch=2)
    results = await asyncio.gather(*(coalesce(x) for x in "abcde"))
    assert results == list("ABCDE")
    assert [len(b) for b in run.batches] == [2, 2, 1]


async def test_a_caller_cut_off_does_not_disturb_the_others():
    run = Recorder()
    coalesce = Coalescer(run)
    first = asyncio.create_task(coalesce("a"))
    await asyncio.sleep(0)
    cut, kept = asyncio.create_task(coalesce("b")), asyncio.create_task(coalesce("c"))
    await asyncio.sleep(0)
    cut.cancel()
    assert await first == "A"
    assert await kept == "C"
    assert cut.cancelled()
    assert run.batches == [["a"], ["b", "c"]]  # its write still happened (at least once)
