"""What a failed call to the Bot Framework connector means, as a `bot.delivery.Delivery`.

By the time an error reaches here the connector client has already retried
429 and 5xx (`bot.teams.retry`), so a 429 means "still throttled" and a 5xx
means "still failing". Replies, proactive posts and poll updates all map failures here.
"""

from __future__ import annotations

import requests
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.delivery import Delivery

GONE = {403, 404}  # bot removed, conversation or team deleted, user blocked the bot


def _retry_after(response) -> float | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def _error_code(exc: HttpOperationError) -> str | None:
    try:
        code = exc.error.error.code  # the connector's ErrorResponse: {"error": {"code": ..., "message": ...}}
    except AttributeError:
        return None
    return code[:64] if isinstance(code, str) and code else None


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def delivery_for(exc: BaseException) -> Delivery:
    if isinstance(exc, HttpOperationError):
        status = status_of(exc)
        detail = _error_code(exc) or f"http_{status}"
        if status in GONE:
            return Delivery(outcome="gone", detail=detail, status=status)
        if status == 429:
            return Delivery(outcome="throttled", retry_after=_retry_after(exc.response), detail=detail, status=status)
        return Delivery(outcome="failed", detail=detail, status=status)
    if isinstance(exc, ClientRequestError):
        inner = exc.inner_exception
        if isinstance(inner, requests.exceptions.ConnectTimeout):
            return Delivery(outcome="failed", detail="connect_timeout")  # never reached the service
        if isinstance(inner, requests.exceptions.Timeout):
            return Delivery(outcome="unknown", detail="timeout")  # sent, no answer: it may have arrived
        if isinstance(inner, requests.exceptions.ConnectionError) and "Connection aborted" in str(inner):
            return Delivery(outcome="unknown", detail="connection_dropped")
        return Delivery(outcome="failed", detail="connection_error")
    if isinstance(exc, PermissionError):
        return Delivery(outcome="failed", detail="bot_token_unavailable")  # MSAL could not get the bot a token
    if isinstance(exc, TimeoutError):
        return Delivery(outcome="unknown", detail="timeout")
    return Delivery(outcome="failed", detail=type(exc).__name__[:64])
