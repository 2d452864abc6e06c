"""Where the nudge scheduler gets its messengers: one `bot.delivery.Messenger` per platform.

Phase 1 has no platform adapters on this branch, so `build_messengers` returns
{}: `leadbot nudge send-due` and the scheduler then leave every due channel
for later (nothing is claimed) and say so. The Slack and Teams adapters fill
this in.

A messenger may also offer `find(target, token) -> Lookup`: "did a message
stamped with this nudge token reach this channel?". With it, a send whose
outcome is unknown is looked up and, if it never arrived, sent; without it,
the unknown send is recorded as sent and never repeated (docs/nudges.md says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel

from bot.delivery import Messenger, Target

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings


class Lookup(BaseModel):
    found: bool | None  # True: it is there; False: the platform says it is not; None: cannot tell
    ref: str | None = None


@runtime_checkable
class Reconciler(Protocol):
    async def find(self, target: Target, token: str) -> Lookup: ...


def build_messengers(settings: "Settings", services: "Services") -> dict[str, Messenger]:
    """{platform: Messenger} for every configured platform. Phase 2 adds Slack and Teams here."""
    return {}
