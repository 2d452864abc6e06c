"""Build botbuilder's CloudAdapter from our Settings. A factory: nothing happens at import.

The SDK reads its configuration from an object with upper-case attributes
(`ConfigurationBotFrameworkAuthentication` and
`ConfigurationServiceClientCredentialFactory`): APP_ID, APP_PASSWORD, APP_TYPE
(MultiTenant | SingleTenant | UserAssignedMSI), APP_TENANTID and, for clouds
other than the public one, the endpoint keys below. We build that object from
`Settings` and hand it over; the SDK does the authentication.

Three things are added around the SDK, through its own extension points:

- the signing keys that tokens are checked against are fetched off the event
  loop, with time-outs, and kept (`bot.teams.signing_keys`);

- credentials are created once per (app id, scope, login endpoint) and reused,
  so MSAL's token cache works; the SDK's factory makes new credentials, and so
  a new token request, for every turn;
- connector clients are reused and carry our retry policy
  (`bot.teams.connectors`, `bot.teams.retry`), as botbuilder's older
  BotFrameworkAdapter did; the CloudAdapter builds new ones on every turn.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from msrest.authentication import Authentication
from pydantic import BaseModel

from bot.metrics import Metrics
from bot.settings import Settings
from bot.setup_errors import SetupError
from bot.teams import signing_keys
from bot.teams.connectors import ConnectorClients, ReusingConnectorFactory, app_id_of
from bot.teams.retry import TIMEOUT_SECONDS, connector_retry

log = logging.getLogger(__name__)


class TeamsConfigError(SetupError, ValueError):
    """The Microsoft settings do not make a working bot; the message names the setting to fix."""


class ChannelEndpoints(BaseModel):
    """Bot Framework endpoints for a cloud other than the public one (a private cloud, or a test double).

    Leave all unset for Microsoft's public cloud, which is what Teams uses. When any
    is set the SDK switches to its "parameterized" authentication and needs them all.
    """

    openid_metadata_url: str  # TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: keys that sign tokens sent to the bot
    token_issuer: str  # TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: the "iss" of those tokens
    login_url: str  # TO_CHANNEL_FROM_BOT_LOGIN_URL: where the bot gets its own token (an MSAL authority)
    oauth_scope: str = "https://api.botframework.com"  # TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: the audience of that token
    emulator_openid_metadata_url: str | None = None  # TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL


def check_settings(settings: Settings) -> None:
    """Refuse combinations that cannot work, naming our settings rather than the SDK's keys."""
    app_id, password, tenant = (
        settings.microsoft_app_id,
        settings.microsoft_app_password,
        settings.microsoft_app_tenant_id,
    )
    kind = settings.microsoft_app_type
    if not app_id:
        if password is not None:
            raise TeamsConfigError(
                "MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is not: set both, or neither for local testing"
            )
        if kind != "MultiTenant":
            raise TeamsConfigError(f"MICROSOFT_APP_TYPE={kind} needs MICROSOFT_APP_ID")
        return
    if kind in ("SingleTenant", "UserAssignedMSI") and not tenant:
        raise TeamsConfigError(
            f"MICROSOFT_APP_TYPE={kind} needs MICROSOFT_APP_TENANT_ID (your organisation's Microsoft Entra tenant id)"
        )
    if kind in ("SingleTenant", "MultiTenant") and (password is None or not password.get_secret_value()):
        raise TeamsConfigError(
            f"MICROSOFT_APP_TYPE={kind} needs MICROSOFT_APP_PASSWORD (the client secret of the app registration)"
        )
    if kind == "UserAssignedMSI" and password is not None:
        raise TeamsConfigError(
            "MICROSOFT_APP_TYPE=UserAssignedMSI uses the managed identity, not a password: unset MICROSOFT_APP_PASSWORD"
        )


def sdk_configuration(settings: Settings, endpoints: ChannelEndpoints | None = None) -> SimpleNamespace:
    """The configuration object the SDK's Configuration* classes read."""
    config = SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else None,
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    if endpoints is not None:
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = endpoints.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = endpoints.token_issuer
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = endpoints.login_url
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = endpoints.oauth_scope
        config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
            endpoints.emulator_openid_metadata_url or endpoints.openid_metadata_url
        )
    return config


class ReusedCredentialsFactory(ServiceClientCredentialsFactory):
    """The SDK's credentials factory, but one credentials object (and MSAL token cache) per audience."""

    def __init__(self, inner: ServiceClientCredentialsFactory):
        self._inner = inner
        self._made: dict[tuple, Authentication] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return await self._inner.is_valid_app_id(app_id)

    async def is_authentication_disabled(self) -> bool:
        return await self._inner.is_authentication_disabled()

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        credentials = self._made.get(key)
        if credentials is None:
            credentials = await self._inner.create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
            self._made[key] = credentials
        return credentials


class SharedClientsAuthentication(BotFrameworkAuthentication):
    """Delegates every check to the SDK's authentication; shares the clients it hands out.

    Connector clients come from `bot.teams.connectors` (reused, with our retry
    policy); user-token clients, which leadbot never uses (no sign-in), are made
    once per app id rather than on every turn.
    """

    def __init__(self, inner: BotFrameworkAuthentication, metrics: Metrics | None, timeout: float = TIMEOUT_SECONDS):
        self._inner = inner
        counter = metrics.retries.labels("teams") if metrics is not None else None
        self._clients = ConnectorClients(connector_retry(counter.inc if counter is not None else None), timeout)
        self._token_clients: dict[str | None, UserTokenClient] = {}

    def _wrap(
        self, factory: ConnectorFactory | None, claims_identity: ClaimsIdentity | None
    ) -> ConnectorFactory | None:
        return (
            ReusingConnectorFactory(factory, app_id_of(claims_identity), self._clients) if factory is not None else None
        )

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        result.connector_factory = self._wrap(result.connector_factory, result.claims_identity)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_streaming_request(auth_header, channel_id_header)
        result.connector_factory = self._wrap(result.connector_factory, result.claims_identity)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._wrap(self._inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = app_id_of(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            if len(self._token_clients) < 16:  # one bot, one app id: anything else is not worth keeping
                self._token_clients[app_id] = client
        return client

    def create_bot_framework_client(self):
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


def build_adapter(
    settings: Settings,
    metrics: Metrics | None = None,
    endpoints: ChannelEndpoints | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> CloudAdapter:
    """A CloudAdapter authenticating with the configured Azure Bot registration (or none, locally).

    `timeout` is per attempt of each call to the connector.
    """
    check_settings(settings)
    signing_keys.install()  # the SDK's key fetch, off the event loop and with time-outs
    config = sdk_configuration(settings, endpoints)
    if not authentication_disabled(settings):
        signing_keys.prefetch(
            endpoints.openid_metadata_url
            if endpoints
            else AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
        )
    credentials = ReusedCredentialsFactory(ConfigurationServiceClientCredentialFactory(config, logger=log))
    auth = ConfigurationBotFrameworkAuthentication(config, credentials_factory=credentials, logger=log)
    return CloudAdapter(SharedClientsAuthentication(auth, metrics, timeout))


def authentication_disabled(settings: Settings) -> bool:
    return not settings.microsoft_app_id
