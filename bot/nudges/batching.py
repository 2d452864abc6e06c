"""Group commit for the fan-out: many workers' claims (or results) go to the database in one transaction.

A worker submits its item and waits for its own answer; meanwhile others join
the same batch. Nothing changes in what is written or in who wins a claim: a
batch is the same statements for several channels at once, so the database
does a fraction of the commits and the process a fraction of the round trips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(
        self, flush: Callable[[list[T]], Awaitable[list[R] | None]], max_batch: int = 100, linger: float = 0.005
    ):
        self._flush = flush
        self.max_batch = max_batch
        self.linger = linger
        self._queue: list[tuple[T, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def submit(self, item: T) -> R | None:
        future = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.linger)  # let the workers that are ready at the same moment join in
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                try:
                    results = await self._flush([item for item, _ in batch])
                except asyncio.CancelledError:
                    for _, future in batch:
                        future.cancel()
                    raise
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for i, (_, future) in enumerate(batch):
                    if not future.done():
                        future.set_result(results[i] if results is not None else None)
            self._wake.clear()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
