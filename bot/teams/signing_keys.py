"""The Bot Framework's token-signing keys, fetched off the event loop, with time-outs and kept between fetches.

botbuilder's `JwtTokenExtractor` keeps one `_OpenIdMetadata` per metadata URL
and refreshes it with two blocking `requests.get` calls with no time-out, on
the event loop, inside a request (every day, and when a token names a key it
has not seen, at most hourly). Outbound HTTPS that hangs (a stuck proxy) then
freezes the whole process: `/healthz`, every other request, SIGTERM.

`install()` makes the SDK use `OffLoopKeys` instead, through its own lookup
(`JwtTokenExtractor.get_open_id_metadata`); the checks themselves stay the SDK's.
A refresh runs in a worker thread with HTTP time-outs, one at a time per URL;
a request waits for it at most `WAIT_SECONDS`. While it runs or after it fails,
keys already fetched are used; with none yet, the request is told to try again
(the endpoint answers 503), and a failed fetch is not retried for
`RETRY_SECONDS`, so a burst does not queue up threads behind a dead proxy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from datetime import datetime

import requests
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

log = logging.getLogger(__name__)

WAIT_SECONDS = 0.5  # how long one request waits for a fetch in progress before it is answered without it
HTTP_TIMEOUT = (3.05, 5)  # connect, read: per call of the fetch, in the worker thread
RETRY_SECONDS = 10.0  # after a failed fetch, requests with no keys to use get 503 at once for this long

_executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="signing-keys")


class KeysUnavailable(requests.RequestException):
    """No signing keys to check the token with right now (the endpoint answers 503, not 401)."""


class OffLoopKeys(_OpenIdMetadata):
    def __init__(self, url: str):
        super().__init__(url)
        self._lock = threading.Lock()
        self._pending: concurrent.futures.Future | None = None
        self._failed_at = float("-inf")

    def _fetch(self) -> None:
        """In a worker thread: the SDK's two calls, with time-outs."""
        try:
            response = requests.get(self.url, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            keys_response = requests.get(response.json()["jwks_uri"], timeout=HTTP_TIMEOUT)
            keys_response.raise_for_status()
            keys = keys_response.json()["keys"]
        except Exception as exc:
            self._failed_at = time.monotonic()
            log.warning("teams signing keys not fetched", extra={"error_type": type(exc).__name__})
            raise
        self.keys, self.last_updated = keys, datetime.now()

    def _start(self) -> concurrent.futures.Future | None:
        with self._lock:
            if self._pending is not None and not self._pending.done():
                return self._pending  # one fetch at a time; everyone waits on the same one
            if time.monotonic() - self._failed_at < RETRY_SECONDS:
                return None  # failed just now: do not start another straight away
            self._pending = _executor.submit(self._fetch)
            return self._pending

    async def _refresh(self) -> None:
        pending = self._start()
        if pending is None:
            if self.keys:
                return
            raise KeysUnavailable("signing keys could not be fetched a moment ago")
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending)), WAIT_SECONDS)
        except TimeoutError:
            if not self.keys:
                raise KeysUnavailable("signing keys are still being fetched") from None
        except Exception as exc:
            if not self.keys:
                raise KeysUnavailable(f"signing keys could not be fetched ({type(exc).__name__})") from None
        # With keys from before, the check goes on with them; the fetch finishes (or fails) on its own.


_keys: dict[str, OffLoopKeys] = {}


def _metadata_for(metadata_url: str) -> OffLoopKeys:
    keys = _keys.get(metadata_url)
    if keys is None:
        keys = _keys.setdefault(metadata_url, OffLoopKeys(metadata_url))
    return keys


def prefetch(metadata_url: str) -> None:
    """Start fetching a URL's keys now, in the background, so the first request after start-up
    need not wait for them (a cold fetch on a busy host can take longer than `WAIT_SECONDS`)."""
    _metadata_for(metadata_url)._start()


def install() -> None:
    """Make botbuilder's token checks use OffLoopKeys (idempotent; process-wide, as the SDK's own cache is)."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_metadata_for)
