"""What an IT team running `leadbot serve` relies on: the version, build and process metrics, readiness from
the start, /metrics on a port of its own, "serving" only once it is, and the privacy and terms pages."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import zipfile
from importlib.metadata import version
from urllib.parse import urlparse

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot.server import app as server_app
from bot.server.app import METRICS, create_app
from bot.services import build_services
from bot.settings import Settings
from dialogs.store import StoreUnavailable
from tests.conftest import LEADBOT
from tests.fakes.private_pg import free_port
from tests.fakes.serve_process import ServeProcess, metric, serve_env

APP_ID = "7d1f3c2a-5b6e-4f70-8a9b-0c1d2e3f4a5b"


def test_leadbot_version_names_the_installed_version():
    result = subprocess.run([LEADBOT, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith(f"leadbot {version('leadbot')} (Python 3.")


async def test_a_served_process_reports_its_build_is_ready_from_the_start_and_logs_serving_once_listening(
    tmp_path, diagnoser
):
    # (`diagnoser`: the session's model is fitted and cached before the process starts, so it need not fit one)
    served = await ServeProcess.start(serve_env(f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"), tmp_path / "serve")
    try:
        serving = await served.wait_log(lambda r: r.get("msg") == "leadbot serving")
        assert serving["port"] == served.port and serving["platforms"] == "teams"
        # Nothing has called /readyz: the alert `leadbot_ready == 0` must not fire on a healthy replica.
        text = await served.metrics()
        assert metric(text, "leadbot_ready") == 1
        assert metric(text, "leadbot_build_info", version=version("leadbot")) == 1
        assert metric(text, "process_resident_memory_bytes") > 10_000_000
        assert metric(text, "process_start_time_seconds") > 0 and metric(text, "process_cpu_seconds_total") > 0
        status, _ = await served.get("/readyz")
        assert status == 200
    finally:
        await served.kill()


async def test_serving_is_logged_only_when_the_port_answers(tmp_path, diagnoser):
    """Read the log as it is written: at the moment "leadbot serving" appears, a request must already get in."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        LEADBOT,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=str(tmp_path),
        env=serve_env(f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def serving_line() -> None:
            async for raw in proc.stderr:
                if json.loads(raw).get("msg") == "leadbot serving":
                    return

        await asyncio.wait_for(serving_line(), 120)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            assert resp.status == 200, "no retry needed: it said serving once it was"
    finally:
        proc.kill()
        await proc.wait()


async def test_metrics_on_their_own_port_are_not_on_the_public_one(tmp_path, diagnoser):
    metrics_port = free_port()
    served = await ServeProcess.start(
        serve_env(f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}", LEADBOT_METRICS_PORT=str(metrics_port)),
        tmp_path / "serve",
    )
    try:
        status, _ = await served.get("/metrics")
        assert status == 404, "not on the listener Slack and Teams reach"
        async with served.http.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
            assert resp.status == 200
            assert metric(await resp.text(), "leadbot_ready") == 1
        serving = await served.wait_log(lambda r: r.get("msg") == "leadbot serving")
        assert serving["metrics_port"] == metrics_port
    finally:
        await served.kill()


async def test_leadbot_ready_follows_the_database_without_anyone_calling_readyz(tmp_path, monkeypatch, diagnoser):
    monkeypatch.setattr(server_app, "READY_EVERY_SECONDS", 0.05)
    settings = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'ready.db'}")
    services = await build_services(settings)
    app = create_app(services)
    ready = app[METRICS].ready
    async with TestClient(TestServer(app)):
        assert ready._value.get() == 1
        ping = services.store.ping

        async def down() -> None:
            raise StoreUnavailable("test")

        services.store.ping = down  # the database stops answering
        for _ in range(100):
            if ready._value.get() == 0:
                break
            await asyncio.sleep(0.05)
        assert ready._value.get() == 0
        services.store.ping = ping  # and comes back
        for _ in range(100):
            if ready._value.get() == 1:
                break
            await asyncio.sleep(0.05)
        assert ready._value.get() == 1
    await services.close()


# --- /privacy and /terms ------------------------------------------------------------------------


async def _client(tmp_path, **settings) -> tuple[TestClient, object]:
    # Callers take the `diagnoser` fixture: the session's model is then cached for build_services.
    base = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'pages.db'}", **settings)
    services = await build_services(base)
    client = TestClient(TestServer(create_app(services, background=False)))
    await client.start_server()
    return client, services


async def test_privacy_and_terms_pages_come_from_content(tmp_path, content, diagnoser):
    client, services = await _client(tmp_path, LEADBOT_RETENTION_DAYS="45")
    try:
        resp = await client.get("/privacy")
        assert resp.status == 200 and resp.content_type == "text/html"
        html = await resp.text()
        assert '<html lang="en-GB">' in html and f"<h1>{content.pages.privacy.title}</h1>" in html
        stored = content.messages.stored[0]
        assert stored.what.replace("'", "&#x27;") in html, "the same list the bot gives when asked what it stores"
        assert "45 days after your last message" in html, "retention filled in from LEADBOT_RETENTION_DAYS"
        assert "{retention_days}" not in html
        resp = await client.get("/terms")
        assert resp.status == 200 and content.pages.terms.title in await resp.text()
    finally:
        await client.close()
        await services.close()


async def test_the_pages_are_in_welsh_for_a_browser_that_prefers_it(tmp_path, content, diagnoser):
    cy = content.in_language("cy")
    client, services = await _client(tmp_path, LEADBOT_RETENTION_DAYS="45")
    try:
        html = await (await client.get("/privacy", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})).text()
        assert '<html lang="cy">' in html and f"<h1>{cy.pages.privacy.title}</h1>" in html
        assert "45 diwrnod ar ôl eich neges olaf" in html
        assert 'href="?lang=en"' in html, "a link to the English page"
        english = await (await client.get("/terms?lang=en", headers={"Accept-Language": "cy"})).text()
        assert content.pages.terms.title in english, "?lang= wins over the browser"
        assert cy.pages.terms.title in await (await client.get("/terms?lang=cy")).text()
    finally:
        await client.close()
        await services.close()


async def test_the_organisations_own_pages_take_over_when_set(tmp_path, diagnoser):
    client, services = await _client(tmp_path, LEADBOT_PRIVACY_URL="https://intranet.example.gov.uk/leadbot/privacy")
    try:
        resp = await client.get("/privacy", allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"] == "https://intranet.example.gov.uk/leadbot/privacy"
        assert (await client.get("/terms")).status == 200, "terms still served from content"
    finally:
        await client.close()
        await services.close()


def _manifest(zip_path) -> dict:
    with zipfile.ZipFile(zip_path) as zf:
        return json.load(io.TextIOWrapper(zf.open("manifest.json"), encoding="utf-8"))


async def test_the_teams_package_links_to_pages_that_are_served(tmp_path, diagnoser):
    client, services = await _client(tmp_path)
    try:
        out = tmp_path / "leadbot-teams.zip"
        result = subprocess.run(
            [LEADBOT, "teams", "package", "--app-id", APP_ID, "--host", "leadbot.example.gov.uk", "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        developer = _manifest(out)["developer"]
        for key in ("privacyUrl", "termsOfUseUrl"):
            path = urlparse(developer[key]).path
            assert (await client.get(path)).status == 200, f"{key} {developer[key]} is served by leadbot serve"
    finally:
        await client.close()
        await services.close()


def test_the_teams_package_uses_the_organisations_own_pages_when_set(tmp_path):
    out = tmp_path / "leadbot-teams.zip"
    env = {
        "PATH": "/usr/bin:/bin",
        "LEADBOT_PRIVACY_URL": "https://intranet.example.gov.uk/privacy",
        "LEADBOT_TERMS_URL": "https://intranet.example.gov.uk/terms",
    }
    result = subprocess.run(
        [LEADBOT, "teams", "package", "--app-id", APP_ID, "--host", "leadbot.example.gov.uk", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    developer = _manifest(out)["developer"]
    assert developer["privacyUrl"] == "https://intranet.example.gov.uk/privacy"
    assert developer["termsOfUseUrl"] == "https://intranet.example.gov.uk/terms"
