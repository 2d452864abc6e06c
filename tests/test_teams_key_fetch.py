"""With MICROSOFT_APP_ID set and outbound HTTPS hanging, checking a token never freezes the process.

botbuilder fetches the Bot Framework's signing keys with a blocking `requests`
call and no time-out. Here the OpenID metadata address points at a server that
accepts connections and never answers (a stuck proxy); a request with a token
that needs those keys gets 503 at once, `/healthz` keeps answering meanwhile,
and once keys have been fetched they are used while a later refresh hangs.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.fakes.bot_connector import FakeIdentity
from tests.fakes.hanging_server import HangingServer
from tests.fakes.teams_client import BOT_APP_ID, TeamsClient, personal_message, running_leadbot
from tests.test_teams_auth import CHRIS, PASSWORD, SINGLE_TENANT, settings_for


class _Endpoints:
    """What running_leadbot reads from an identity: the cloud's endpoints (here, one that hangs)."""

    def __init__(self, endpoints):
        self._endpoints = endpoints

    def endpoints(self):
        return self._endpoints


@pytest.fixture
def identity(tmp_path, monkeypatch):
    fake = FakeIdentity(BOT_APP_ID, PASSWORD, tmp_path).start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
    yield fake
    fake.stop()


@pytest.fixture
def hanging():
    server = HangingServer(cap=10).start()
    yield server
    server.stop()


async def test_a_token_check_while_the_key_fetch_hangs_gets_503_and_healthz_still_answers(
    tmp_path, cache_dir, connector, identity, hanging
):
    endpoints = identity.endpoints().model_copy(
        update={"openid_metadata_url": f"{hanging.url}/v1/.well-known/openidconfiguration"}
    )
    async with running_leadbot(
        settings_for(tmp_path, cache_dir, **SINGLE_TENANT), identity=_Endpoints(endpoints)
    ) as bot:
        teams = TeamsClient(bot, connector, identity)
        try:
            post = asyncio.create_task(teams.post(personal_message(connector.service_url, CHRIS, "help")))
            while not hanging.connected.is_set() and not post.done():
                await asyncio.sleep(0.01)
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{bot.url}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as health,
            ):
                assert health.status == 200
            status, _ = await asyncio.wait_for(post, 5)
            assert status == 503, "the keys cannot be checked right now: try again, not 'unauthorised'"
            assert not hanging.gave_up.is_set(), "answered while the key fetch was still hanging, not after it"
            status, _ = await asyncio.wait_for(teams.post(personal_message(connector.service_url, CHRIS, "help")), 5)
            assert status == 503 and not hanging.gave_up.is_set(), (
                "the next request does not wait for the hung fetch either"
            )
            await bot.settle()
            assert connector.attempts == []
        finally:
            await teams.close()


async def test_keys_already_fetched_are_used_while_a_later_refresh_hangs(tmp_path, cache_dir, connector, identity):
    from datetime import datetime, timedelta

    from bot.teams import signing_keys

    connector.check_token = identity.check_bot_token
    async with running_leadbot(settings_for(tmp_path, cache_dir, **SINGLE_TENANT), identity=identity) as bot:
        teams = TeamsClient(bot, connector, identity)
        try:
            await teams.say(CHRIS, "help")
            assert identity.key_requests == 1
            # A day on, the SDK refreshes the keys before checking a token; now the refresh hangs.
            keys = signing_keys._keys[identity.endpoints().openid_metadata_url]
            keys.last_updated = datetime.now() - timedelta(days=2)
            identity.keys_hang.set()
            status, _ = await asyncio.wait_for(teams.post(personal_message(connector.service_url, CHRIS, "help")), 5)
            assert status == 202, "checked with the keys fetched before"
            await bot.settle()
            assert len(connector.messages()) == 2, "and answered"
            assert identity.key_requests == 2, "one refresh was started, not one per request"
        finally:
            identity.keys_hang.clear()
            await teams.close()


async def test_the_signing_keys_are_fetched_at_start_so_the_first_message_need_not_wait(
    tmp_path, cache_dir, connector, identity
):
    connector.check_token = identity.check_bot_token
    async with running_leadbot(settings_for(tmp_path, cache_dir, **SINGLE_TENANT), identity=identity) as bot:
        teams = TeamsClient(bot, connector, identity)
        try:
            for _ in range(500):
                if identity.key_requests:
                    break
                await asyncio.sleep(0.01)
            assert identity.key_requests == 1, "the keys were fetched before any message arrived"
            await teams.say(CHRIS, "help")
            assert len(connector.messages()) == 1, "the first message is answered"
            assert identity.key_requests == 1, "with the keys fetched at start, not fetched again"
        finally:
            await teams.close()
