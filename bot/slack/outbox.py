"""Send rendered replies where a turn should answer: a channel or thread, or ephemerally.

A failed send is logged with Slack's error code (never the text), counted, and
ends that turn's sending; it never raises into Bolt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics
from bot.slack.blocks import Rendered
from bot.slack.messenger import classify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    """chat.postMessage into a channel or DM, in a thread when thread_ts is set."""

    channel: str
    thread_ts: str | None = None


@dataclass(frozen=True)
class Ephemeral:
    """Only the person sees it: through the response_url of their command or button press (Bolt's respond)."""

    respond: Any


Destination = Channel | Ephemeral


async def send(client: AsyncWebClient, dest: Destination, messages: list[Rendered], metrics: Metrics) -> list[str]:
    """Send each message in order; return the ts of each one posted to a channel."""
    posted: list[str] = []
    for message in messages:
        try:
            if isinstance(dest, Ephemeral):
                response = await dest.respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)
                if getattr(response, "status_code", 200) >= 300:
                    failed(metrics, "respond", f"http_{response.status_code}", "failed")
                    break
            else:
                result = await client.chat_postMessage(
                    channel=dest.channel, thread_ts=dest.thread_ts, text=message.text, blocks=message.blocks, unfurl_links=False, unfurl_media=False
                )
                posted.append(result.get("ts"))
        except Exception as exc:  # noqa: BLE001 - a send that fails is reported, never raised into Bolt
            delivery = classify(exc)
            failed(metrics, "chat.postMessage" if isinstance(dest, Channel) else "respond", delivery.detail, delivery.outcome)
            break
    return posted


async def update(client: AsyncWebClient, channel: str, ts: str, text: str, blocks: list[dict], metrics: Metrics) -> bool:
    try:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except Exception as exc:  # noqa: BLE001
        delivery = classify(exc)
        failed(metrics, "chat.update", delivery.detail, delivery.outcome)
        return False
    return True


def failed(metrics: Metrics, method: str, detail: str | None, outcome: str) -> None:
    metrics.delivery_failures.labels("slack").inc()
    level = logging.INFO if outcome == "gone" else logging.WARNING
    log.log(level, "slack send failed", extra={"method": method, "detail": detail, "outcome": outcome})
