"""What the benchmarks share: the bare SDK echo apps, process helpers, percentiles, scratch databases.

Imported as `benchmarks.common` (each bench puts the project root on sys.path).
The bare apps are the SDKs as their own samples show them, served by the same
aiohttp stack as `leadbot serve`, so a side-by-side run compares leadbot with
the least any bot on that SDK can do:

- bare slack-bolt: an AsyncApp whose listeners echo each DM (and each button
  press) back with chat.postMessage; one workspace's token, or a static
  team -> token map through Bolt's `authorize` for several workspaces;
- bare botbuilder: CloudAdapter + an ActivityHandler that echoes each message
  (or Action.Submit value) with send_activity, unauthenticated as in the
  SDK samples run against the Emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LEADBOT = str(Path(sys.executable).parent / "leadbot")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# The public dev set lives in ../shared next to the checkout (two levels up from a worktree in wt/).
PUBLIC_DEV = next(
    (
        p
        for p in (
            ROOT.parent / "shared" / "eval" / "public_dev.jsonl",
            ROOT.parent.parent / "shared" / "eval" / "public_dev.jsonl",
        )
        if p.exists()
    ),
    ROOT.parent / "shared" / "eval" / "public_dev.jsonl",
)
EVAL_SETS = [PUBLIC_DEV, ROOT / "benchmarks" / "data" / "holdout.jsonl"]


# --- figures --------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, q in 0..1 (the value below which a fraction q of the samples lie)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc); 0 where that is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MiB (Linux /proc); 0 where that is not available."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(session: aiohttp.ClientSession, url: str, proc: subprocess.Popen, seconds: float = 120) -> float:
    """Poll GET /readyz until it answers 200; return the monotonic time it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            async with session.get(f"{url}/readyz") as resp:
                if resp.status == 200:
                    return time.monotonic()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.02)  # polling a process we started, not a test
    raise RuntimeError(f"{url} did not become ready")


def stop_all(procs: list[subprocess.Popen], timeout: float = 15) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.asynccontextmanager
async def scratch_postgres(admin_url: str = PG_ADMIN, prefix: str = "leadbot_bench") -> AsyncIterator[str]:
    """A new database on the server at admin_url for the duration; yields its SQLAlchemy asyncpg URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    finally:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


# --- what managers type ---------------------------------------------------------------------


def eval_texts(paths: list[Path] | None = None) -> list[str]:
    """The messages of the labelled sets (public dev set and our held-out set), in file order."""
    texts: list[str] = []
    for path in paths or EVAL_SETS:
        if not path.exists():
            print(f"(no {path}: skipped)", file=sys.stderr)
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    if not texts:
        raise SystemExit(f"no messages found in {', '.join(str(p) for p in paths or EVAL_SETS)}")
    return texts


# --- the bare SDK apps ----------------------------------------------------------------------


def bare_slack_handler(
    secret: str, api_url: str, token: str | None = None, workspaces: dict[str, tuple[str, str]] | None = None
):
    """slack-bolt as its README shows it: echo each DM and each button press back to the channel, and
    each slash command to its response_url.

    One workspace with `token`, or several with `workspaces` (team id -> (bot token, bot user id)),
    resolved by Bolt's `authorize` hook from that static map.
    """
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult
    from slack_sdk.web.async_client import AsyncWebClient

    if workspaces:

        async def authorize(enterprise_id, team_id, user_id):
            bot_token, bot_user = workspaces[team_id]
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=bot_token, bot_user_id=bot_user
            )

        bolt = AsyncApp(signing_secret=secret, authorize=authorize, client=AsyncWebClient(base_url=api_url))
    else:
        bolt = AsyncApp(signing_secret=secret, client=AsyncWebClient(token=token, base_url=api_url))

    @bolt.event("message")
    async def echo(event, client):
        await client.chat_postMessage(channel=event["channel"], text=event.get("text") or "")

    @bolt.action(re.compile(".*"))
    async def pressed(ack, body, action, client):
        await ack()
        await client.chat_postMessage(channel=body["channel"]["id"], text=f"You pressed: {action.get('value')}")

    @bolt.command(re.compile(".*"))
    async def command(ack, respond, command):
        await ack()
        await respond(text=f"You typed: {command.get('text')}", response_type="ephemeral")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    return events


def bare_teams_handler():
    """botbuilder's minimal bot: CloudAdapter + ActivityHandler that echoes, as in the SDK samples."""
    from types import SimpleNamespace

    from botbuilder.core import ActivityHandler, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext):
            activity = turn_context.activity
            if activity.value is not None:
                await turn_context.send_activity(f"You pressed: {json.dumps(activity.value, sort_keys=True)}")
            else:
                await turn_context.send_activity(f"You said: {activity.text}")

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(SimpleNamespace(APP_ID=None, APP_PASSWORD=None)))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    return messages


def serve_bare(port: int, slack: dict | None = None, teams: bool = False) -> None:
    """Serve the bare apps in this process on the same aiohttp stack as leadbot (blocks until killed).

    slack: keyword arguments for bare_slack_handler, mounted at POST /slack/events;
    teams: mount the bare botbuilder bot at POST /api/messages. GET /readyz answers 200.
    """

    async def make() -> web.Application:
        app = web.Application()
        if slack is not None:
            app.router.add_post("/slack/events", bare_slack_handler(**slack))
        if teams:
            app.router.add_post("/api/messages", bare_teams_handler())

        async def ready(request: web.Request) -> web.Response:
            return web.json_response({"status": "ready"})

        app.router.add_get("/readyz", ready)
        return app

    web.run_app(make(), host="127.0.0.1", port=port, access_log=None, print=None)
