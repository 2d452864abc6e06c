"""Retries for calls to the Bot Framework connector, using the SDK's own HTTP stack.

botframework-connector sends through msrest, which sends through `requests`
with a urllib3 `Retry` taken from `client.config.retry_policy`. msrest's default
policy does not retry 429 at all and, under urllib3 2, not POST either (it sets
the old `method_whitelist` name), so every connector client we create gets this
policy instead:

- 429, 500, 502, 503 and 504 are retried, for every method (sends are POSTs);
- at most `ATTEMPTS` attempts in all, with capped exponential backoff;
- `Retry-After` is honoured on 429 and 503, capped at `RETRY_AFTER_MAX` seconds;
- a failed connection (nothing reached the service) is retried;
- a read timeout or a connection dropped mid-call is NOT retried: the message
  may have arrived, and a second copy is worse than a missing one (it surfaces
  as "unknown" to proactive callers);
- after the last attempt the final response is returned, so callers see its
  status code and Retry-After rather than a generic "too many retries".

Each retry is counted in `metrics.retries` (urllib3 calls `increment` once per retry).
"""

from __future__ import annotations

from collections.abc import Callable

from urllib3.util.retry import Retry

ATTEMPTS = 4
BACKOFF_FACTOR = 0.5  # 0 s, 1 s, 2 s between attempts when there is no Retry-After
BACKOFF_MAX = 8
RETRY_AFTER_MAX = 10  # longer waits are not worth holding a reply for; the caller hears "throttled"
TIMEOUT_SECONDS = 20  # per attempt; msrest's default is 100
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class CountingRetry(Retry):
    """urllib3's Retry that reports each retry it allows."""

    on_retry: Callable[[], None] | None = None

    def new(self, **kw):
        fresh = super().new(**kw)
        fresh.on_retry = self.on_retry
        return fresh

    def increment(self, *args, **kwargs):
        fresh = super().increment(*args, **kwargs)  # raises MaxRetryError when there are no retries left
        if self.on_retry is not None:
            self.on_retry()
        return fresh


def connector_retry(on_retry: Callable[[], None] | None = None) -> CountingRetry:
    retry = CountingRetry(
        total=ATTEMPTS - 1,
        connect=ATTEMPTS - 1,  # the request never reached the server: safe to send again
        read=False,  # re-raise read errors as they are: requests then reports a timeout as a timeout
        other=0,
        status=ATTEMPTS - 1,
        redirect=0,
        allowed_methods=None,  # every method, POST included
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        retry_after_max=RETRY_AFTER_MAX,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    retry.on_retry = on_retry
    return retry
