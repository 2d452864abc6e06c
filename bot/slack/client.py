"""The Slack Web API client (pointed at SLACK_API_URL) and response_url posts, retried by slack_sdk's own handlers.

429 waits for Retry-After (AsyncRateLimitErrorRetryHandler), 500/503 and dropped
connections are tried again; each retry is counted in `leadbot_platform_retries_total`.
"""

from __future__ import annotations

import aiohttp
from prometheus_client import Counter
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.metrics import Metrics
from bot.settings import Settings

TIMEOUT_SECONDS = 10  # Slack answers in well under a second; a hung call must not hold a turn for 30 s
RETRIES = 2  # per kind of failure, on top of the first attempt


class _Counting:
    """Mixed into a slack_sdk retry handler: count every retry it decides to make."""

    counter: Counter

    async def prepare_for_next_attempt_async(self, **kwargs) -> None:
        self.counter.inc()
        await super().prepare_for_next_attempt_async(**kwargs)  # type: ignore[misc]


class CountingRateLimitRetry(_Counting, AsyncRateLimitErrorRetryHandler):
    pass


class CountingServerErrorRetry(_Counting, AsyncServerErrorRetryHandler):
    pass


class CountingConnectionErrorRetry(_Counting, AsyncConnectionErrorRetryHandler):
    pass


def retry_handlers(metrics: Metrics, rate_limits: bool = True) -> list[AsyncRetryHandler]:
    """slack_sdk's handlers, counting. rate_limits=False leaves a 429 to the caller, for the nudge
    fan-out: it holds the whole workspace for the Retry-After, not just the one call."""
    counter = metrics.retries.labels("slack")
    handlers: list[AsyncRetryHandler] = []
    kinds = (CountingConnectionErrorRetry, CountingRateLimitRetry, CountingServerErrorRetry)
    for cls in kinds if rate_limits else (CountingConnectionErrorRetry, CountingServerErrorRetry):
        handler = cls(max_retry_count=RETRIES)
        handler.counter = counter
        handlers.append(handler)
    return handlers


def build_web_client(
    settings: Settings,
    metrics: Metrics,
    token: str | None = None,
    session: aiohttp.ClientSession | None = None,
    handlers: list[AsyncRetryHandler] | None = None,
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        session=session,
        retry_handlers=handlers if handlers is not None else retry_handlers(metrics),
    )


def build_webhook_client(
    url: str, metrics: Metrics, session: aiohttp.ClientSession | None = None
) -> AsyncWebhookClient:
    """A response_url, sent to like a Web API call: the same time-out, retries and pooled session."""
    return AsyncWebhookClient(url=url, timeout=TIMEOUT_SECONDS, session=session, retry_handlers=retry_handlers(metrics))
