"""Where the nudge scheduler gets its messengers: one `bot.delivery.Messenger` per platform.

`leadbot serve` uses the messengers its platform handlers already hold (one
pooled Slack session, the Teams CloudAdapter); `leadbot nudge send-due` builds
its own here. A platform with no messenger has its due channels left for later
(nothing is claimed), and the run says so.

A messenger may also offer `find(target, token) -> Lookup`: "did a message
stamped with this nudge token reach this channel?". With it, a send whose
outcome is unknown is looked up and, if it never arrived, sent; without it,
the unknown send is recorded as sent and never repeated (README, "Weekly nudges", says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel

from bot.delivery import Messenger, Target

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.services import Services
    from bot.settings import Settings


class Lookup(BaseModel):
    found: bool | None  # True: it is there; False: the platform says it is not; None: cannot tell
    ref: str | None = None


@runtime_checkable
class Reconciler(Protocol):
    async def find(self, target: Target, token: str) -> Lookup: ...


def build_messengers(settings: "Settings", services: "Services", metrics: "Metrics | None" = None, session=None) -> dict[str, Messenger]:
    """{platform: Messenger} for every platform this deployment can post to.

    Slack needs a bot token (SLACK_BOT_TOKEN, or OAuth installations in the database).
    Teams is always there: it posts only to channels whose conversation reference was
    stored when the bot was added, and without MICROSOFT_APP_ID only to this machine.
    `session`: an aiohttp.ClientSession for Slack's calls to share (otherwise one per call).
    """
    from bot.metrics import Metrics
    from bot.slack.messenger import build_messenger as slack_messenger
    from bot.teams.messenger import build_messenger as teams_messenger

    metrics = metrics or Metrics()
    out: dict[str, Messenger] = {"teams": teams_messenger(services, metrics)}
    if settings.slack_bot_token is not None or settings.slack_oauth:
        out["slack"] = slack_messenger(settings, services.db, metrics, session)
    return out
