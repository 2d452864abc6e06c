"""Bot Framework authentication, end to end, with the SDK doing the checking.

With an app id, a request without a valid token is refused (401) before
anything is processed or sent. A valid token is accepted: the SDK fetches the
signing keys from a local fake of the Bot Framework's OpenID metadata, and the
bot's replies carry its own token from a local fake token endpoint (MSAL).
Without an app id the bot runs unauthenticated for local testing only.
"""

from __future__ import annotations

import logging

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from bot.server.app import create_app
from bot.settings import Settings
from bot.storage.tables import conversation_state
from bot.teams.adapter import TeamsConfigError, build_adapter
from tests.fakes.bot_connector import FakeIdentity
from tests.fakes.parts import services_for
from tests.fakes.teams_client import BOT_APP_ID, TeamsClient, TeamsUser, personal_message, running_leadbot

TENANT = "4f8b5c7d-0000-4000-8000-000000000004"
CHRIS = TeamsUser(TENANT, "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", name="Chris Evans")
PASSWORD = "a-client-secret-for-tests"


def settings_for(tmp_path, cache_dir, **microsoft) -> Settings:
    return Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}",
        LEADBOT_CACHE_DIR=str(cache_dir),
        **microsoft,
    )


SINGLE_TENANT = {
    "MICROSOFT_APP_ID": BOT_APP_ID,
    "MICROSOFT_APP_PASSWORD": PASSWORD,
    "MICROSOFT_APP_TYPE": "SingleTenant",
    "MICROSOFT_APP_TENANT_ID": TENANT,
}


@pytest.fixture
def identity(tmp_path, monkeypatch):
    fake = FakeIdentity(BOT_APP_ID, PASSWORD, tmp_path).start()
    # MSAL and the SDK's key fetch use `requests`, which trusts this bundle: the fake's own certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
    yield fake
    fake.stop()


async def _turns_saved(bot) -> int:
    async with bot.services.db.begin() as conn:
        return (await conn.execute(select(func.count()).select_from(conversation_state))).scalar_one()


async def test_missing_token_with_an_app_id_is_refused_and_nothing_is_processed(tmp_path, cache_dir, connector):
    async with running_leadbot(settings_for(tmp_path, cache_dir, **SINGLE_TENANT)) as bot:
        teams = TeamsClient(bot, connector)
        try:
            status, body = await teams.post(personal_message(connector.service_url, CHRIS, "help"))
            assert status == 401 and body == {"error": "unauthorised"}
            status, _ = await teams.post(
                personal_message(connector.service_url, CHRIS, "help"), authorization="Bearer not.a.token"
            )
            assert status == 401
            status, _ = await teams.post(
                personal_message(connector.service_url, CHRIS, "help"), authorization="Basic dXNlcjpwYXNz"
            )
            assert status == 401
            await bot.settle()
            assert connector.attempts == [], "nothing was sent"
            assert await _turns_saved(bot) == 0, "nothing was processed"
            assert bot.counter("leadbot_requests_total", platform="teams", surface="dm", status="4xx") == 3
        finally:
            await teams.close()


@pytest.fixture
async def authenticated(tmp_path, cache_dir, connector, identity):
    connector.check_token = identity.check_bot_token
    async with running_leadbot(settings_for(tmp_path, cache_dir, **SINGLE_TENANT), identity=identity) as bot:
        teams = TeamsClient(bot, connector, identity)
        yield teams
        await teams.close()


async def test_a_valid_token_is_accepted_and_replies_carry_the_bots_own_token(authenticated, connector, identity):
    teams = authenticated
    (reply,) = await teams.say(CHRIS, "help")
    assert reply.texts[0] == "How leadbot works"
    assert identity.check_bot_token(reply.authorization), (
        "the reply was sent with a token the bot got from the token endpoint"
    )
    assert connector.refused == 0
    (again,) = await teams.say(CHRIS, "what do you store?")
    assert identity.check_bot_token(again.authorization)
    assert identity.token_requests == 1, "the bot's token is reused, not requested for every turn"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda ident, url: ident.channel_token(
                url, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
            ),
            id="signed-with-another-key",
        ),
        pytest.param(lambda ident, url: ident.channel_token(url, audience="some-other-bot"), id="for-another-bot"),
        pytest.param(lambda ident, url: ident.channel_token(url, expires_in=-3600), id="expired"),
        pytest.param(lambda ident, url: ident.channel_token("https://attacker.example/"), id="for-another-service-url"),
        pytest.param(
            lambda ident, url: ident.channel_token(url, issuer="https://sts.windows.net/someone/"), id="wrong-issuer"
        ),
        pytest.param(lambda ident, url: "Bearer " + "x" * 40, id="garbage"),
    ],
)
async def test_a_bad_token_is_refused(authenticated, connector, identity, forge):
    teams = authenticated
    activity = personal_message(connector.service_url, CHRIS, "help")
    status, _ = await teams.post(activity, authorization=forge(identity, connector.service_url))
    assert status == 401
    await teams.bot.settle()
    assert connector.attempts == [] and await _turns_saved(teams.bot) == 0


async def test_without_an_app_id_it_warns_loudly_and_answers_only_this_machine(tmp_path, cache_dir, connector, caplog):
    caplog.set_level(logging.WARNING, logger="bot.teams")
    async with running_leadbot(settings_for(tmp_path, cache_dir)) as bot:
        assert any("NOT AUTHENTICATED" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
        teams = TeamsClient(bot, connector)
        try:
            far = personal_message("https://smba.trafficmanager.net/uk/", CHRIS, "help")
            status, _ = await teams.post(far)
            assert status == 401, "an unauthenticated bot must not post to other machines"
            near = personal_message(connector.service_url, CHRIS, "help")
            async with teams.http.post(
                f"{bot.url}/api/messages", json=near, headers={"X-Forwarded-For": "203.0.113.9"}
            ) as response:
                assert response.status == 401, "nor answer requests that came through a proxy from elsewhere"
            await bot.settle()
            assert connector.attempts == []
            (reply,) = await teams.say(CHRIS, "help")  # the local fake connector is fine
            assert reply.texts[0] == "How leadbot works"
        finally:
            await teams.close()


@pytest.mark.parametrize(
    "microsoft,setting",
    [
        (
            {"MICROSOFT_APP_ID": BOT_APP_ID, "MICROSOFT_APP_PASSWORD": PASSWORD, "MICROSOFT_APP_TYPE": "SingleTenant"},
            "MICROSOFT_APP_TENANT_ID",
        ),
        ({"MICROSOFT_APP_ID": BOT_APP_ID, "MICROSOFT_APP_TYPE": "MultiTenant"}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_PASSWORD": PASSWORD}, "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": BOT_APP_ID, "MICROSOFT_APP_TYPE": "UserAssignedMSI"}, "MICROSOFT_APP_TENANT_ID"),
        (
            {
                "MICROSOFT_APP_ID": BOT_APP_ID,
                "MICROSOFT_APP_PASSWORD": PASSWORD,
                "MICROSOFT_APP_TYPE": "UserAssignedMSI",
                "MICROSOFT_APP_TENANT_ID": TENANT,
            },
            "MICROSOFT_APP_PASSWORD",
        ),
    ],
)
async def test_settings_that_cannot_work_stop_start_up_naming_the_setting(tmp_path, cache_dir, microsoft, setting):
    services = await services_for(settings_for(tmp_path, cache_dir, **microsoft))
    try:
        with pytest.raises(TeamsConfigError, match=setting):
            create_app(services, background=False)
    finally:
        await services.close()


@pytest.mark.parametrize(
    "microsoft",
    [
        {"MICROSOFT_APP_ID": BOT_APP_ID, "MICROSOFT_APP_PASSWORD": PASSWORD},  # MultiTenant by default
        SINGLE_TENANT,
        {"MICROSOFT_APP_ID": BOT_APP_ID, "MICROSOFT_APP_TYPE": "UserAssignedMSI", "MICROSOFT_APP_TENANT_ID": TENANT},
    ],
)
def test_each_supported_app_type_builds_without_touching_the_network(tmp_path, cache_dir, microsoft):
    adapter = build_adapter(settings_for(tmp_path, cache_dir, **microsoft))
    assert adapter.bot_framework_authentication is not None
