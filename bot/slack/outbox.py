"""Send rendered replies where a turn should answer: a channel or thread, or ephemerally.

A failed send is reported once (`bot.delivery.report_undelivered`: Slack's error
code, never the text) and ends that turn's sending; it never raises into Bolt.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Delivery, report_undelivered
from bot.metrics import Metrics
from bot.slack.blocks import Rendered
from bot.slack.client import build_webhook_client
from bot.slack.failures import delivery_for


@dataclass(frozen=True)
class Channel:
    """chat.postMessage into a channel or DM, in a thread when thread_ts is set."""

    channel: str
    thread_ts: str | None = None


@dataclass(frozen=True)
class Ephemeral:
    """Only the person sees it: through the response_url of their command or button press.

    Sent with slack_sdk's webhook client over the pooled session and with the Web API's
    retry handlers (429 after Retry-After, 5xx, dropped connections), where Bolt's own
    `respond` opens a new session per call and retries nothing but one dropped connection.
    """

    response_url: str | None


Destination = Channel | Ephemeral


async def send(client: AsyncWebClient, dest: Destination, messages: list[Rendered], metrics: Metrics) -> list[str]:
    """Send each message in order; return the ts of each one posted to a channel."""
    posted: list[str] = []
    method = "chat.postMessage" if isinstance(dest, Channel) else "respond"
    for message in messages:
        try:
            if isinstance(dest, Ephemeral):
                if not dest.response_url:
                    failed(metrics, method, Delivery(outcome="failed", detail="no_response_url"))
                    break
                webhook = build_webhook_client(dest.response_url, metrics, client.session)
                response = await webhook.send_dict(
                    {
                        "text": message.text,
                        "blocks": message.blocks,
                        "response_type": "ephemeral",
                        "replace_original": False,
                    }
                )
                status = response.status_code
                if status >= 300:
                    failed(metrics, method, Delivery(outcome="failed", detail=f"http_{status}", status=status))
                    break
            else:
                result = await client.chat_postMessage(
                    channel=dest.channel,
                    thread_ts=dest.thread_ts,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                posted.append(result.get("ts"))
        except Exception as exc:
            failed(metrics, method, delivery_for(exc))
            break
    return posted


async def update(
    client: AsyncWebClient, channel: str, ts: str, text: str, blocks: list[dict], metrics: Metrics
) -> bool:
    try:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except Exception as exc:
        failed(metrics, "chat.update", delivery_for(exc))
        return False
    return True


def failed(metrics: Metrics, method: str, delivery: Delivery) -> None:
    report_undelivered(metrics, "slack", method, delivery)
