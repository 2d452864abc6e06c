"""`leadbot serve --socket-mode`: Bolt's Socket Mode handler on the same listeners, and a clear error without a token."""

from __future__ import annotations

import subprocess

import pytest

from bot.metrics import Metrics
from bot.server.app import create_app
from bot.slack.errors import SlackSetupError
from bot.slack.mount import BOLT
from bot.slack.socket_mode import build_socket_mode_handler
from tests.conftest import LEADBOT
from tests.fakes import slack_requests as rq
from tests.fakes.parts import services_for
from tests.fakes.slack_harness import SlackWorld, slack_settings

APP_TOKEN = "xapp-1-A0LEADBOT-1234-abcdef"


@pytest.fixture
async def socket_world():
    world = await SlackWorld().start()
    world.fake.add_workspace("T0SOCK", "xoxb-sock", bot_user_id="U0BOTS")
    yield world
    await world.stop()


async def test_a_dm_over_socket_mode_is_acknowledged_and_answered(socket_world, tmp_path, cache_dir):
    world = socket_world
    # no signing secret: nothing arrives over HTTP, so /slack/events is not served at all
    settings = slack_settings(
        f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        world.fake,
        cache_dir,
        token="xoxb-sock",
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
    )
    bot = await world.add_leadbot(settings, socket_mode=True)
    await world.fake.wait_until(lambda: bool(world.fake.sockets))
    [opened] = world.fake.of("apps.connections.open")
    assert opened.token == APP_TOKEN

    envelope = rq.event_envelope("T0SOCK", rq.dm_event("T0SOCK", "U0SOCK", "D0SOCK", "help"), "U0BOTS")
    await world.fake.send_envelope("env-1", "events_api", envelope)
    [_ack] = await world.fake.wait_for("socket_ack", envelope_id="env-1")
    [reply] = await world.fake.wait_for("chat.postMessage", channel="D0SOCK")
    assert reply.token == "xoxb-sock" and reply.header()

    async with world.session.get(f"{bot.url}/healthz") as resp:
        assert resp.status == 200
    async with world.session.post(f"{bot.url}/slack/events", json=envelope) as resp:
        assert resp.status in (404, 405)


async def test_the_handler_is_built_from_settings(socket_world, tmp_path, cache_dir):
    settings = slack_settings(
        f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        socket_world.fake,
        cache_dir,
        token="xoxb-sock",
        slack_app_token=APP_TOKEN,
    )
    services = await services_for(settings)
    try:
        app = create_app(services, Metrics(), background=False)
        handler = build_socket_mode_handler(app[BOLT], settings)
        assert handler.app_token == APP_TOKEN
        assert handler.client.web_client.base_url == socket_world.fake.api_url, (
            "SLACK_API_URL is used for apps.connections.open too"
        )
        await handler.close_async()
    finally:
        await services.close()


@pytest.mark.parametrize("app_token, says", [(None, "SLACK_APP_TOKEN"), ("xoxb-not-an-app-token", "xapp-")])
async def test_socket_mode_without_an_app_token_fails_clearly(socket_world, tmp_path, cache_dir, app_token, says):
    extra = {"slack_app_token": app_token} if app_token else {}
    settings = slack_settings(
        f"sqlite+aiosqlite:///{tmp_path / 's.db'}", socket_world.fake, cache_dir, token="xoxb-sock", **extra
    )
    services = await services_for(settings)
    try:
        with pytest.raises(SlackSetupError, match=says):
            create_app(services, Metrics(), background=False, socket_mode=True)
    finally:
        await services.close()


@pytest.mark.process
def test_leadbot_serve_socket_mode_without_a_token_exits_with_a_message(tmp_path, cache_dir):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "SLACK_BOT_TOKEN": "xoxb-sock",
        "LEADBOT_CACHE_DIR": str(cache_dir),
    }
    done = subprocess.run(
        [LEADBOT, "serve", "--socket-mode", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "SLACK_APP_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


async def test_an_app_token_slack_refuses_stops_start_up_with_a_clear_error(socket_world, tmp_path, cache_dir):
    settings = slack_settings(
        f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        socket_world.fake,
        cache_dir,
        token="xoxb-sock",
        slack_app_token=APP_TOKEN,
    )
    socket_world.fake.fail_next("apps.connections.open", status=200, error="invalid_auth")
    with pytest.raises(SlackSetupError, match="invalid_auth"):
        await socket_world.add_leadbot(settings, socket_mode=True)
