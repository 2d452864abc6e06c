"""Slack end to end: a signed DM event to `leadbot serve` -> the reply arriving at a local fake Web API.

Side by side in the same run, against the same fake Slack and with the same
signing: `leadbot serve` (its own process, as deployed: Bolt, the dialogs, the
database) and a bare slack-bolt AsyncApp, also in its own process on the same
aiohttp adapter, whose only listener echoes the message back. This process runs
the fake Web API and the managers. Rounds alternate bare / leadbot so that
neither gets the warmer machine.

Two loads, both with 20 managers by default:
- saturated: each manager sends its next DM the moment the last reply arrives
  (closed loop, no think time): throughput, and latency including queueing;
- paced: each manager sends one DM every --pace-ms (default 1000 ms, i.e. 20
  DMs a second in all, far more than 20 real managers type): latency when the
  server is not flat out.

    python benchmarks/slack_bench.py [--managers 20] [--messages 25] [--rounds 2]
                                     [--pace-ms 1000] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

With --postgres a scratch database is created on that server and dropped at
the end (the default is a temporary SQLite file). Prints p50 / p99 latency and
replies per second, and leadbot's p99 as a multiple of the bare app's (target:
within 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks.common import free_port, pct, wait_ready  # noqa: E402
from tests.fakes import slack_requests as rq  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlackApi  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TEAM = "T0BENCH"
BOT_USER = "U0BENCHBOT"
LEADBOT = common.LEADBOT
# What managers type: team problems (a diagnosis or the quick test), help, thanks, a sensitive matter.
TEXTS = [
    "Cases are piling up and nobody knows who owns them",
    "The team doesn't understand why we are changing the rota",
    "help",
    "Everyone does the handover differently and things get missed",
    "thanks",
    "They know the job but have lost confidence since the restructure",
    "what do you store?",
    "my colleague keeps making racist comments about her",
]


# An experiment, not leadbot's configuration: `leadbot serve` with SQLite's WAL journal synced at
# NORMAL (the SQLite documentation's advice for WAL) instead of FULL, to show what a turn's two
# fsync'd commits cost. Only with --what-if-sqlite-normal.
WHAT_IF_SQLITE_NORMAL = """
import sys
from sqlalchemy import event
import bot.services, bot.storage.db as db
made = db.make_engine
def make_engine(url):
    engine = made(url)
    @event.listens_for(engine.sync_engine, "connect")
    def _normal(conn, _record):
        cur = conn.cursor()
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
    return engine
db.make_engine = bot.services.make_engine = make_engine
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


# --- the bare app (run in its own process with --serve-bare) --------------------------


def serve_bare(port: int, api_url: str) -> None:
    """slack-bolt as its README shows it, echoing each DM, served with the same aiohttp adapter."""
    common.serve_bare(port, slack={"secret": SECRET, "api_url": api_url, "token": TOKEN})


# --- load --------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0

    def merge(self, other: "Result") -> None:
        self.latencies += other.latencies
        self.wall += other.wall


async def run_load(url: str, fake: FakeSlackApi, session: aiohttp.ClientSession, managers: int, messages: int, pace: float) -> Result:
    sender = rq.SlackSender(session, url, SECRET)
    waiting: dict[str, asyncio.Future] = {}
    tag = uuid.uuid4().hex[:6].upper()

    def arrived(call: Call) -> None:
        fut = waiting.get(call.args.get("channel"))
        if call.method == "chat.postMessage" and fut and not fut.done():
            fut.set_result(call.at)

    fake.on_call.append(arrived)
    result = Result()
    loop = asyncio.get_running_loop()

    async def manager(i: int) -> None:
        user, channel = f"U{tag}{i:03d}", f"D{tag}{i:03d}"
        if pace:
            await asyncio.sleep(pace * i / managers)  # spread the managers over one period
        for n in range(messages):
            started = time.monotonic()
            envelope = rq.event_envelope(TEAM, rq.dm_event(TEAM, user, channel, TEXTS[(i + n) % len(TEXTS)]), BOT_USER)
            fut = loop.create_future()
            waiting[channel] = fut
            resp = await sender.event(envelope)
            assert resp.status == 200, resp.status
            result.latencies.append(await asyncio.wait_for(fut, 60) - started)
            if pace:
                await asyncio.sleep(max(0.0, pace - (time.monotonic() - started)))

    t0 = time.monotonic()
    await asyncio.gather(*(manager(i) for i in range(managers)))
    result.wall = time.monotonic() - t0
    fake.on_call.remove(arrived)
    return result


def row(name: str, r: Result) -> dict:
    return {
        "name": name,
        "replies": len(r.latencies),
        "p50_ms": round(pct(r.latencies, 0.50) * 1000, 1),
        "p99_ms": round(pct(r.latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(r.latencies) * 1000, 1),
        "replies_per_s": round(len(r.latencies) / r.wall, 1),
    }


# --- processes -----------------------------------------------------------------------------


async def admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> int:
    fake = FakeSlackApi()
    await fake.start()
    fake.add_workspace(TEAM, TOKEN, bot_user_id=BOT_USER)
    tmp = tempfile.TemporaryDirectory()
    pg_name = None
    if args.postgres:
        pg_name = f"leadbot_bench_{uuid.uuid4().hex[:10]}"
        await admin(args.postgres, f'CREATE DATABASE "{pg_name}"')
        database_url = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{pg_name}"
    else:
        database_url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"

    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": tmp.name,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "LEADBOT_LOG_LEVEL": "WARNING",
        "LEADBOT_CACHE_DIR": os.environ.get("LEADBOT_CACHE_DIR", str(Path(tmp.name) / "cache")),
    }
    bare_env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    lb_port, bare_port = free_port(), free_port()
    procs = {
        "leadbot": subprocess.Popen(
            ([sys.executable, "-c", WHAT_IF_SQLITE_NORMAL] if args.what_if_sqlite_normal else [LEADBOT])
            + ["serve", "--host", "127.0.0.1", "--port", str(lb_port)],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=tmp.name,
        ),
        "bare": subprocess.Popen([sys.executable, __file__, "--serve-bare", str(bare_port), "--api-url", fake.api_url], env=bare_env, cwd=tmp.name),
    }
    urls = {"leadbot": f"http://127.0.0.1:{lb_port}", "bare": f"http://127.0.0.1:{bare_port}"}
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    results: dict[tuple[str, str], Result] = {}
    try:
        for key in ("bare", "leadbot"):
            await wait_ready(session, urls[key], procs[key])
            await run_load(urls[key], fake, session, 4, 4, 0)  # warm up: auth.test, the model, pools
        for load, pace in (("saturated", 0.0), ("paced", args.pace_ms / 1000)):
            for _ in range(args.rounds):
                for key in ("bare", "leadbot"):
                    r = await run_load(urls[key], fake, session, args.managers, args.messages, pace)
                    results.setdefault((load, key), Result()).merge(r)
    finally:
        await session.close()
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(15)
        await fake.stop()
        if pg_name:
            await admin(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        tmp.cleanup()

    db = "PostgreSQL" if pg_name else "SQLite" + (" (what-if: synchronous=NORMAL)" if args.what_if_sqlite_normal else "")
    print(f"Slack DM -> reply at the fake Web API; {args.managers} managers x {args.messages} DMs x {args.rounds} rounds; leadbot on {db}; {os.cpu_count()} CPUs")
    summary = {}
    for load in ("saturated", "paced"):
        label = "saturated (no think time)" if load == "saturated" else f"paced (1 DM per manager every {args.pace_ms} ms)"
        print(f"\n{label}")
        print(f"  {'':26}{'replies':>8}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'replies/s':>11}")
        rows = [row("bare slack-bolt echo", results[(load, "bare")]), row("leadbot serve", results[(load, "leadbot")])]
        for r in rows:
            print(f"  {r['name']:26}{r['replies']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['mean_ms']:>9}{r['replies_per_s']:>11}")
        ratio = rows[1]["p99_ms"] / rows[0]["p99_ms"]
        print(f"  leadbot p99 / bare p99 = {ratio:.2f}  (target <= 1.5)")
        summary[load] = {"rows": rows, "p99_ratio": round(ratio, 2)}
    if args.json:
        print(json.dumps({"database": db, **summary}))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--messages", type=int, default=25, help="DMs each manager sends, one after another")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pace-ms", type=int, default=1000, help="paced load: one DM per manager every this many ms")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="run leadbot on a scratch database on this PostgreSQL server")
    parser.add_argument("--what-if-sqlite-normal", action="store_true", help="experiment: run leadbot with SQLite synchronous=NORMAL")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.api_url)
        sys.exit(0)
    sys.exit(asyncio.run(main(args)))
