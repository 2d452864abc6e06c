"""A burst at a fixed rate (open loop) and the count of what became of each message, for slack_bench and teams_bench.

Each message goes to a conversation of its own, so what the platform's fake
received for that conversation says what became of it: one real answer
(answered), one "try again in a minute" (told to retry), nothing (silent), or
more than one (duplicated).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

BUSY_WORDS = "try again in a minute"
ACK_SECONDS = 3.0  # Slack's limit for the acknowledgement


@dataclass
class BurstCounts:
    sent: int = 0
    not_acknowledged: int = 0  # a non-2xx answer or no answer to the HTTP request itself (the platform would retry)
    acked_late: int = 0  # acknowledged after ACK_SECONDS: Slack counts that as a failure and sends the event again
    answered: int = 0
    told_to_retry: int = 0
    of_which_not_busy: int = 0  # told to retry for another reason than the bound (the database, an error)
    silent: int = 0
    duplicated: int = 0
    seconds: float = 0.0  # from the first send to the last answer
    rate: float = 0.0

    def line(self) -> str:
        return (
            f"sent {self.sent} at {self.rate:.0f}/s: answered {self.answered}, told to retry {self.told_to_retry} "
            f"({self.of_which_not_busy} of them not for being busy), "
            f"silent {self.silent}, duplicated {self.duplicated}; HTTP not acknowledged {self.not_acknowledged}, "
            f"acknowledged after {ACK_SECONDS:.0f} s {self.acked_late}; "
            f"last answer after {self.seconds:.1f} s"
        )


async def fire(sends: list[Callable[[], Awaitable[int]]], rate: float, counts: BurstCounts) -> None:
    """Start sends[k] at k / rate seconds, not waiting for earlier ones; count the acknowledgements that failed or came late."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def one(k: int, send: Callable[[], Awaitable[int]]) -> None:
        await asyncio.sleep(max(0.0, t0 + k / rate - loop.time()))
        started = loop.time()
        try:
            status = await send()
        except Exception:
            status = 0
        if not 200 <= status < 300:
            counts.not_acknowledged += 1
        elif loop.time() - started > ACK_SECONDS:
            counts.acked_late += 1

    await asyncio.gather(*(one(k, s) for k, s in enumerate(sends)))


async def settle(answers: Callable[[], int], expected: int, quiet: float = 10.0, cap: float = 120.0) -> None:
    """Wait until `expected` answers have arrived, or none has for `quiet` seconds, or `cap` seconds."""
    start = last_change = time.monotonic()
    seen = answers()
    while seen < expected and time.monotonic() - last_change < quiet and time.monotonic() - start < cap:
        await asyncio.sleep(0.25)
        now = answers()
        if now != seen:
            seen, last_change = now, time.monotonic()


def classify(counts: BurstCounts, replies_per_conversation: list[list[str]]) -> None:
    """replies_per_conversation: for each message sent, the texts its conversation received."""
    for texts in replies_per_conversation:
        if not texts:
            counts.silent += 1
        elif len(texts) > 1:
            counts.duplicated += 1
        elif BUSY_WORDS in texts[0].lower():
            counts.told_to_retry += 1
            if "lots of people" not in texts[0].lower():
                counts.of_which_not_busy += 1
        else:
            counts.answered += 1
