#!/usr/bin/env python3
"""Lays out one BullMQ queue in every state with the real BullMQ code (the Python package
`bullmq`, which runs the same Lua scripts as BullMQ 5 for Node), then prints BullMQ's own
counts as one JSON line and keeps a worker holding one active job until stdin closes.

  bullmq-oracle.py REDIS_URL QUEUE PAUSE(0|1)

Used by RedisCollectorTests (BullMQOracleTests) as the oracle for bullmq_queue_jobs.
"""
import asyncio
import json
import sys

from bullmq import FlowProducer, Queue, Worker


async def wait_for(predicate, timeout=20.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("state not reached")


async def main():
    url, name, pause = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    opts = {"connection": url}
    queue = Queue(name, opts)
    await queue.obliterate({"force": True})

    # completed and failed: processed by a worker, then the worker is closed.
    for i in range(3):
        await queue.add("ok", {"i": i}, {"removeOnComplete": False})
    for i in range(2):
        await queue.add("bad", {"i": i}, {"attempts": 1, "removeOnFail": False})

    async def process(job, token):
        if job.name == "bad":
            raise Exception("planned failure")
        if job.name == "hold":
            await asyncio.sleep(3600)
        return "done"

    worker = Worker(name, process, {"connection": url, "concurrency": 1})
    await wait_for(lambda: counts_equal(queue, {"completed": 3, "failed": 2}))
    await worker.close()

    # active: a second worker holds one job until we are told to stop.
    await queue.add("hold", {})
    holder = Worker(name, process, {"connection": url, "concurrency": 1})
    await wait_for(lambda: counts_equal(queue, {"active": 1}))

    # The holder must not take more: pause it locally before adding the rest.
    await holder.pause(True) if asyncio.iscoroutinefunction(holder.pause) else holder.pause(True)

    for i in range(4):
        await queue.add("waiting", {"i": i})
    for i in range(3):
        await queue.add("later", {"i": i}, {"delay": 3_600_000})
    for i in range(2):
        await queue.add("urgent", {"i": i}, {"priority": 5})
    flow = FlowProducer({"connection": url})
    await flow.add({"name": "parent", "queueName": name, "data": {},
                    "children": [{"name": "child", "queueName": name, "data": {}}]})
    await flow.close()
    if pause:
        await queue.pause()

    counts = await queue.getJobCounts("wait", "active", "paused", "delayed", "prioritized", "waiting-children", "completed", "failed")
    print(json.dumps({"counts": counts, "paused": await queue.isPaused()}), flush=True)

    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await holder.close(force=True)
    await queue.obliterate({"force": True})
    await queue.close()


async def counts_equal(queue, expected):
    counts = await queue.getJobCounts(*expected.keys())
    return all(counts.get(k) == v for k, v in expected.items())


if __name__ == "__main__":
    asyncio.run(main())
