"""WorkQueue semantics: one entry per key, no key handed out twice at once, delays, back-off."""
import asyncio

from sandbox.controllers.base import WorkQueue


def test_a_key_added_many_times_is_queued_once():
    async def main():
        q = WorkQueue()
        for key in ("a", "b", "a", "a"):
            q.add(key)
        assert len(q) == 2
        assert [await q.get(), await q.get()] == ["a", "b"]
    asyncio.run(main())


def test_a_key_added_while_processing_comes_back_after_done():
    async def main():
        q = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")
        assert len(q) == 0  # not handed to a second worker meanwhile
        q.done(key)
        assert len(q) == 1 and await q.get() == "a"
    asyncio.run(main())


def test_add_after_keeps_the_earliest_delay_and_shutdown_wakes_workers():
    async def main():
        q = WorkQueue()
        q.add_after("a", 30)
        q.add_after("a", 0.01)
        assert await asyncio.wait_for(q.get(), 5) == "a"
        waiter = asyncio.create_task(q.get())
        await asyncio.sleep(0)
        q.shutdown()
        assert await asyncio.wait_for(waiter, 5) is None
    asyncio.run(main())


def test_rate_limited_back_off_grows_until_forgotten():
    async def main():
        q = WorkQueue()
        loop = asyncio.get_running_loop()
        for _ in range(4):
            q.add_rate_limited("a")
        delay = q._timers["a"].when() - loop.time()
        assert delay <= 0.006  # the earliest of the pending delays (5 ms) wins
        assert q._failures["a"] == 4
        q.forget("a")
        assert "a" not in q._failures
        q.shutdown()
    asyncio.run(main())
