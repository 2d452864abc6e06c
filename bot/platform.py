"""What a platform adapter hands the server when it mounts itself (`bot.slack.mount`, `bot.teams.mount`).

The server (the composition root) needs three things from each platform: its
name, its messenger for proactive sends once it has started, and a way to
finish the work it has acknowledged when the process stops. Adapters never
import the server; the server never reaches into an adapter for more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.delivery import Messenger
from bot.inflight import InFlight


@dataclass
class Mounted:
    name: str
    inflight: InFlight
    messenger: Callable[[], Messenger]  # called once the app has started (the SDK clients exist by then)
    drain: Callable[[float], Awaitable[object]]  # stop taking work, finish what was accepted within the seconds given
    drain_cap: float  # the most this platform waits, whatever is left of the shared shutdown budget
