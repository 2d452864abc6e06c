"""Show a poll's current counts on the channel's nudge message, through that platform's Messenger.

Many people vote at once. Votes that arrive while the message is being updated
are folded into one more update, and the counts are read again after each, so
the last update always carries the final counts. Below `min_votes`
(LEADBOT_POLL_MIN_VOTES) the message shows no count at all.
"""

from __future__ import annotations

import asyncio
import logging

from bot.delivery import Messenger, Target
from dialogs.content_loader import Content
from dialogs.nudges.render import DEFAULT_MIN_VOTES, render_nudge
from dialogs.nudges.store import NudgeStore
from dialogs.nudges.turns import PollRefresh

log = logging.getLogger(__name__)
THROTTLED_WAIT_MAX = 30  # seconds; a longer Retry-After is not worth holding the voter's turn for


class PollBoard:
    def __init__(
        self, content: Content, store: NudgeStore, messengers: dict[str, Messenger], min_votes: int = DEFAULT_MIN_VOTES
    ):
        self.content = content
        self.min_votes = min_votes
        self.store = store
        self.messengers = messengers  # the composition root's dict: each platform's messenger is added as it starts
        self._refreshing: set[tuple] = set()
        self._dirty: set[tuple] = set()

    async def refresh(self, poll: PollRefresh) -> None:
        channel, week = poll.channel, poll.week
        messenger = self.messengers.get(channel[0])
        nudge = self.content.nudges.get(poll.nudge_id or "")
        if messenger is None or nudge is None:
            return
        k = (channel, week)
        if k in self._refreshing:
            self._dirty.add(k)  # the update under way reads the counts again when it is done
            return
        self._refreshing.add(k)
        target = Target(platform=channel[0], workspace_id=channel[1], channel_id=channel[2])
        try:
            counts = await self.store.counts(channel, week)
            while True:
                self._dirty.discard(k)
                delivery = await messenger.update(
                    target,
                    poll.ref,
                    render_nudge(
                        self.content, nudge, week, counts=counts, language=poll.language, min_votes=self.min_votes
                    ),
                )
                if delivery.outcome != "sent":
                    log.info("poll update not delivered", extra={"platform": channel[0], "outcome": delivery.outcome})
                    if delivery.outcome == "throttled" and delivery.retry_after:
                        await asyncio.sleep(min(delivery.retry_after, THROTTLED_WAIT_MAX))
                        self._dirty.add(k)
                latest = await self.store.counts(channel, week)
                if latest == counts and k not in self._dirty:
                    return
                counts = latest
        finally:
            self._refreshing.discard(k)
