"""Connector clients: one per (bot, service URL, audience), reused, each with our retry policy.

The CloudAdapter asks its connector factory for a new client on every turn,
and building one is not cheap: msrest's configuration computes its default
retry status list in a loop over 999 codes each time (about 7 ms of CPU on the
event loop, twice per turn with the user-token client), and a new client
means a new `requests` session, so a new TCP and TLS connection for every
reply. botbuilder's older BotFrameworkAdapter cached connector clients and
credentials for this reason; this restores that through the SDK's factory
interfaces. The credentials inside a client fetch and refresh their token
through MSAL on each request, so reuse does not outlive a token.
"""

from __future__ import annotations

from collections import OrderedDict

from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity, ConnectorFactory
from urllib3.util.retry import Retry

from bot.teams.retry import TIMEOUT_SECONDS

CLIENTS_MAX = 256  # service URLs are few (one per region); this only bounds a misbehaving sender


def app_id_of(claims_identity: ClaimsIdentity | None) -> str | None:
    """The bot's app id in these claims, as the SDK's connector factory reads it (audience, else appid)."""
    claims = (claims_identity.claims if claims_identity is not None else None) or {}
    return claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(AuthenticationConstants.APP_ID_CLAIM)


def configure_client(client: ConnectorClient, retry: Retry, timeout: float = TIMEOUT_SECONDS) -> ConnectorClient:
    """Put our retry policy and timeout on a connector client.

    msrest copies `config.retry_policy` into its requests session when the client
    is built, so the policy is applied through msrest's per-send session hook
    (`session_configuration_callback`), which sees the session actually used.
    """

    def use_our_retry(session, global_config, local_config, **kwargs):
        for prefix in ("http://", "https://"):
            adapter = session.adapters.get(prefix)
            if adapter is not None and adapter.max_retries is not retry:
                adapter.max_retries = retry
        return kwargs

    client.config.retry_policy.policy = retry
    client.config.session_configuration_callback = use_our_retry
    client.config.connection.timeout = timeout
    return client


class ConnectorClients:
    """The clients made so far, least recently used first."""

    def __init__(self, retry: Retry, timeout: float = TIMEOUT_SECONDS):
        self.retry = retry
        self.timeout = timeout
        self._clients: OrderedDict[tuple, ConnectorClient] = OrderedDict()

    async def get(
        self, inner: ConnectorFactory, app_id: str | None, service_url: str, audience: str | None
    ) -> ConnectorClient:
        key = (app_id, service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = configure_client(await inner.create(service_url, audience), self.retry, self.timeout)
            self._clients[key] = client
            while len(self._clients) > CLIENTS_MAX:
                self._clients.popitem(last=False)
        self._clients.move_to_end(key)
        return client


class ReusingConnectorFactory(ConnectorFactory):
    """Wraps the SDK's per-turn connector factory: hands out the shared client for its app id."""

    def __init__(self, inner: ConnectorFactory, app_id: str | None, clients: ConnectorClients):
        self._inner = inner
        self._app_id = app_id
        self._clients = clients

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._clients.get(self._inner, self._app_id, service_url, audience)
