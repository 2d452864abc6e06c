"""Weekly nudge fan-out at scale: 5,000 channels on two platforms against throttling fakes.

    python benchmarks/nudge_bench.py [--channels 5000] [--database sqlite|postgresql|both]

The fakes of the Slack Web API and the Bot Framework connector (tests/fakes)
run in their own process (so the memory figure is the bot's) and throttle like
the real ones: a per-workspace token bucket that answers 429 with Retry-After
when exceeded (Slack: 20 messages/s per workspace; Teams: 30/s per tenant),
with a few large workspaces and many small ones. The bot posts through its real
Slack messenger (a bot token per workspace, as OAuth installs give) and Teams
messenger (the CloudAdapter, from conversation references in the database).

Prints: total time, messages per second, the best time the rate limits allow,
429s received, peak memory (getrusage), duplicates and losses (both must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATES = {"slack": (20.0, 20.0), "teams": (30.0, 30.0)}  # (messages per second per workspace, burst)
MONDAY = datetime(2025, 1, 13, 9, 0, tzinfo=UTC)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def layout(n: int) -> list[tuple[str, str, str]]:
    """Half on each platform; per platform one workspace of 10%, four of 5%, the rest in workspaces of 25."""
    out = []
    for platform in ("slack", "teams"):
        total = n // 2 if platform == "slack" else n - n // 2
        sizes = [total // 10] + [total // 20] * 4
        rest = total - sum(sizes)
        sizes += [25] * (rest // 25) + ([rest % 25] if rest % 25 else [])
        for w, size in enumerate(sizes):
            out += [(platform, f"{platform[0].upper()}W{w:03d}", f"C{w:03d}-{c:04d}") for c in range(size)]
    return out


def ideal_seconds(keys) -> float:
    from collections import Counter

    per_ws = Counter((p, w) for p, w, _ in keys)
    return max((n - RATES[p][1]) / RATES[p][0] for (p, w), n in per_ws.items() if n > RATES[p][1]) if per_ws else 0.0


# --- the fakes, in a child process ------------------------------------------------------------


def slack_token(workspace: str) -> str:
    return f"xoxb-{workspace}"


async def _serve_fakes(n: int) -> None:
    from collections import Counter

    from aiohttp import web

    from tests.fakes.bot_connector import FakeConnector
    from tests.fakes.slack_api import FakeSlackApi
    from tests.fakes.throttle import Throttle

    keys = layout(n)
    tenant_of = {c: w for p, w, c in keys if p == "teams"}
    slack, connector = FakeSlackApi(), FakeConnector()
    await slack.start()
    await connector.start()
    for w in sorted({w for p, w, _ in keys if p == "slack"}):
        slack.add_workspace(w, slack_token(w))

    def reset() -> None:
        slack.calls.clear()
        slack.attempts.clear()
        connector.sent.clear()
        slack.throttle = Throttle(*RATES["slack"])
        connector.throttle = Throttle(*RATES["teams"])
        connector.throttle_key = lambda conversation: tenant_of.get(conversation or "", "?")

    async def stats(_request):
        per = Counter(("slack", c.team_id, c.args.get("channel")) for c in slack.of("chat.postMessage"))
        per.update(
            ("teams", tenant_of.get(s.conversation_id or ""), s.conversation_id)
            for s in connector.sent
            if s.kind == "send"
        )
        return web.json_response(
            {
                "posts": sum(per.values()),
                "channels": len(per),
                "duplicates": sum(k - 1 for k in per.values() if k > 1),
                "throttled": slack.throttle.refused + connector.throttle.refused,
            }
        )

    async def do_reset(_request):
        reset()
        return web.json_response({"ok": True})

    reset()
    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", do_reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    control = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    print(json.dumps({"control": control, "slack": slack.api_url, "teams": connector.service_url}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


# --- the bot side ------------------------------------------------------------------------------


async def _database(kind: str) -> tuple[str, object]:
    if kind == "sqlite":
        path = Path(f"/tmp/nudge-bench-{uuid.uuid4().hex[:8]}.db")
        return f"sqlite+aiosqlite:///{path}", lambda: [
            p.unlink(missing_ok=True) for p in path.parent.glob(path.name + "*")
        ]
    import asyncpg

    name = f"nudge_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

    async def drop():
        c = await asyncpg.connect(PG_ADMIN)
        await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await c.close()

    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", drop


async def _stats(session, urls: dict[str, str]) -> dict:
    async with session.get(f"{urls['control']}/stats") as resp:
        return await resp.json()


async def _reset(urls: dict[str, str]) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as s:
        await (await s.post(f"{urls['control']}/reset")).release()


def _messengers(db, urls: dict[str, str], session):
    """The real Slack and Teams messengers, pointed at the fakes."""
    from types import SimpleNamespace

    from bot.metrics import Metrics
    from bot.settings import Settings
    from bot.slack.messenger import SlackMessenger
    from bot.teams.messenger import build_messenger as teams_messenger

    settings = Settings(_env_file=None, DATABASE_URL="sqlite+aiosqlite://", SLACK_API_URL=urls["slack"])
    metrics = Metrics()

    async def tokens(workspace: str) -> str:
        return slack_token(workspace)  # what the OAuth installation store answers, without the lookup

    return {
        "slack": SlackMessenger(settings, metrics, tokens, session),
        "teams": teams_messenger(SimpleNamespace(settings=settings, db=db), metrics),
    }


async def _references(db, keys, service_url: str) -> None:
    from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

    from bot.teams.inbound import Place
    from bot.teams.references import ReferenceStore

    store = ReferenceStore(db)
    for platform, tenant, channel in keys:
        if platform == "teams":
            reference = ConversationReference(
                channel_id="msteams",
                service_url=service_url,
                bot=ChannelAccount(id="28:leadbot"),
                conversation=ConversationAccount(
                    id=channel, conversation_type="channel", tenant_id=tenant, is_group=True
                ),
            )
            await store.save(Place(tenant, "channel", channel, channel, channel, None), reference)


async def bench(kind: str, n: int, urls: dict[str, str]) -> dict:
    import aiohttp

    from bot.nudges.fanout import NudgeSender
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade
    from bot.storage.nudge_store import SqlNudgeStore
    from dialogs.content_loader import load_content
    from tests.nudge_support import ledger, subscribe

    url, cleanup = await _database(kind)
    db = make_engine(url)
    session = aiohttp.ClientSession()
    messengers = _messengers(db, urls, session)
    try:
        await upgrade(db)
        keys = layout(n)
        await subscribe(db, keys, on_at=MONDAY - timedelta(days=1))
        await _references(db, keys, urls["teams"])
        sender = NudgeSender(SqlNudgeStore(db), load_content())
        await _reset(urls)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = await sender.send_due(MONDAY, messengers)
        elapsed = time.perf_counter() - started
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        async with aiohttp.ClientSession() as s:
            after = await _stats(s, urls)
        rows = await ledger(db)
        posts = after["posts"]
        return {
            "database": kind,
            "channels": n,
            "seconds": elapsed,
            "posts": posts,
            "per_second": posts / elapsed,
            "ideal_seconds": ideal_seconds(keys),
            "throttled": after["throttled"],
            "duplicates": after["duplicates"],
            "lost": n - sum(1 for r in rows.values() if r.status == "sent"),
            "sent": report.sent,
            "ok": report.ok,
            "rss_before_mb": rss_before / 1024,
            "rss_peak_mb": rss_peak / 1024,
        }
    finally:
        await session.close()
        await db.dispose()
        done = cleanup()
        if asyncio.iscoroutine(done):
            await done


async def bare(n: int, urls: dict[str, str]) -> dict:
    """The same posts through the same messengers with no ledger, no claims and no guarantees: the floor.

    Teams' messenger still reads each channel's conversation reference, so it gets an in-memory SQLite database.
    """
    import aiohttp

    from bot.delivery import Target
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade
    from dialogs.content_loader import load_content
    from dialogs.nudges.render import render_nudge

    content = load_content()
    reply = render_nudge(content, next(iter(content.nudges.values())), "2025-W03")
    keys = layout(n)
    url, cleanup = await _database("sqlite")
    db = make_engine(url)
    await upgrade(db)
    await _references(db, keys, urls["teams"])
    session = aiohttp.ClientSession()
    messengers = _messengers(db, urls, session)
    platform_sems = {p: asyncio.Semaphore(48) for p in ("slack", "teams")}
    ws_sems: dict = {}

    async def one(platform, workspace, channel):
        sem = ws_sems.setdefault((platform, workspace), asyncio.Semaphore(4))
        while True:
            async with sem, platform_sems[platform]:
                d = await messengers[platform].post(
                    Target(platform=platform, workspace_id=workspace, channel_id=channel), reply
                )
            if d.outcome != "throttled":
                return d.outcome
            await asyncio.sleep(d.retry_after or 1)

    try:
        await _reset(urls)
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one(*k) for k in keys))
        elapsed = time.perf_counter() - started
        async with aiohttp.ClientSession() as s:
            after = await _stats(s, urls)
    finally:
        await session.close()
        await db.dispose()
        cleanup()
    return {
        "database": "bare (no ledger)",
        "seconds": elapsed,
        "posts": after["posts"],
        "per_second": after["posts"] / elapsed,
        "ideal_seconds": ideal_seconds(keys),
        "throttled": after["throttled"],
        "duplicates": after["duplicates"],
        "lost": n - outcomes.count("sent"),
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=5000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--serve-fakes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fakes:
        asyncio.run(_serve_fakes(args.channels))
        return 0
    fakes = subprocess.Popen(
        [sys.executable, __file__, "--serve-fakes", "--channels", str(args.channels)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        urls = json.loads(fakes.stdout.readline())
        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        results = [asyncio.run(bare(args.channels, urls))]
        for kind in kinds:
            # One fresh process per database would be fairer for memory; one run each keeps it simple and honest
            # about order: the first run's peak is the one to read.
            results.append(asyncio.run(bench(kind, args.channels, urls)))
    finally:
        fakes.stdin.close()
        fakes.wait(timeout=10)
    print(
        f"Weekly nudge fan-out: {args.channels} channels, Slack {RATES['slack'][0]:.0f}/s and Teams {RATES['teams'][0]:.0f}/s per workspace"
    )
    print(
        f"{'database':12}{'total s':>9}{'msg/s':>9}{'limit-bound s':>15}{'429s':>7}{'peak MB':>9}{'dupes':>7}{'lost':>6}"
    )
    for r in results:
        print(
            f"{r['database']:12}{r['seconds']:9.1f}{r['per_second']:9.0f}{r['ideal_seconds']:15.1f}{r['throttled']:7}{r['rss_peak_mb']:9.0f}{r['duplicates']:7}{r['lost']:6}"
        )
    print(
        "bare: the same posts through the same messengers with no ledger (no exactly-once guarantee): the floor on this machine"
    )
    print("limit-bound: the shortest time the fakes' rate limits allow (largest workspace / its rate)")
    print("peak MB: this process's peak resident memory so far (getrusage); the fakes run in another process")
    bad = [r for r in results if r["duplicates"] or r["lost"] or r["posts"] != args.channels]
    if bad:
        print("FAILED: duplicates or losses", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
