"""Slack end to end: a signed DM event to `leadbot serve` -> the reply arriving at a local fake Web API.

Side by side in the same run, against the same fake Slack and with the same
signing: `leadbot serve` (its own process, as deployed: Bolt, the dialogs, the
database) and a bare slack-bolt AsyncApp, also in its own process on the same
aiohttp adapter, whose only listener echoes the message back. This process runs
the fake Web API and the managers. Rounds alternate bare / leadbot so that
neither gets the warmer machine.

Four loads (issue 15's measures):
- one at a time: one manager, each DM sent when the last reply arrived: the
  cost of a turn with nothing else going on (p50 / p99);
- paced: 20 managers each sending one DM every --pace-ms (default 200 ms, 100
  DMs a second in all): latency when the server is not flat out (p99);
- saturated: 20 managers, each sending the next DM the moment the last reply
  arrives (closed loop, no think time): replies per second;
- burst: --burst DMs and as many `/leadbot nudge on` commands (default 2,000
  each, every one from its own person and channel), interleaved, sent at twice
  leadbot's saturated rate without waiting for answers; what each got back is
  counted: answered, told to retry, silent, duplicated (benchmarks/burst.py).

    python benchmarks/slack_bench.py [--managers 20] [--messages 25] [--single 100] [--rounds 2]
                                     [--pace-ms 200] [--burst 2000] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

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

from benchmarks import burst as bursts  # noqa: E402
from benchmarks import common  # noqa: E402
from benchmarks.common import cpu_seconds, free_port, pct, wait_ready  # noqa: E402
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

    def merge(self, other: Result) -> None:
        self.latencies += other.latencies
        self.wall += other.wall


async def run_load(
    url: str, fake: FakeSlackApi, session: aiohttp.ClientSession, managers: int, messages: int, pace: float
) -> Result:
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


async def run_burst(
    url: str, fake: FakeSlackApi, session: aiohttp.ClientSession, each: int, rate: float
) -> bursts.BurstCounts:
    """`each` DMs and `each` `/leadbot nudge on`, interleaved, at `rate` a second; count what each got back."""
    sender = rq.SlackSender(session, url, SECRET)
    tag = uuid.uuid4().hex[:6].upper()
    got: dict[str, list[str]] = {}

    def arrived(call: Call) -> None:
        if call.method == "chat.postMessage" and str(call.args.get("channel", "")).startswith(f"DB{tag}"):
            got.setdefault(call.args["channel"], []).append(call.text)
        elif call.method == "respond" and str(call.args.get("_name", "")).startswith(f"b{tag}"):
            got.setdefault(call.args["_name"], []).append(call.args.get("text") or "")

    async def dm(i: int) -> int:
        event = rq.dm_event(TEAM, f"UB{tag}{i:05d}", f"DB{tag}{i:05d}", TEXTS[i % len(TEXTS)])
        return (await sender.event(rq.event_envelope(TEAM, event, BOT_USER))).status

    async def nudge_on(i: int) -> int:
        form = rq.slash_form(
            TEAM, f"UB{tag}{i:05d}", f"CB{tag}{i:05d}", "nudge on", fake.response_url(f"b{tag}{i:05d}")
        )
        return (await sender.command(form)).status

    sends = [f for i in range(each) for f in (lambda i=i: dm(i), lambda i=i: nudge_on(i))]
    keys = [k for i in range(each) for k in (f"DB{tag}{i:05d}", f"b{tag}{i:05d}")]
    fake.on_call.append(arrived)
    counts = bursts.BurstCounts(sent=len(sends), rate=rate)
    t0 = time.monotonic()
    try:
        await bursts.fire(sends, rate, counts)
        await bursts.settle(lambda: sum(len(v) for v in got.values()), len(sends))
    finally:
        fake.on_call.remove(arrived)
    counts.seconds = time.monotonic() - t0
    bursts.classify(counts, [got.get(k, []) for k in keys])
    return counts


def row(name: str, r: Result, cpu_s: float) -> dict:
    return {
        "name": name,
        "replies": len(r.latencies),
        "p50_ms": round(pct(r.latencies, 0.50) * 1000, 1),
        "p99_ms": round(pct(r.latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(r.latencies) * 1000, 1),
        "replies_per_s": round(len(r.latencies) / r.wall, 1),
        # the server process's own CPU per reply (user + system): what a reply costs, whatever the host's load
        "cpu_ms_per_reply": round(cpu_s * 1000 / max(1, len(r.latencies)), 2),
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
        database_url = (
            args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{pg_name}"
        )
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
        "bare": subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port), "--api-url", fake.api_url],
            env=bare_env,
            cwd=tmp.name,
        ),
    }
    urls = {"leadbot": f"http://127.0.0.1:{lb_port}", "bare": f"http://127.0.0.1:{bare_port}"}
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    results: dict[tuple[str, str], Result] = {}
    cpu: dict[tuple[str, str], float] = {}
    burst_counts: dict[str, bursts.BurstCounts] = {}
    load_before = os.getloadavg()
    loads = (
        ("single", 1, args.single, 0.0),
        ("paced", args.managers, args.messages, args.pace_ms / 1000),
        ("saturated", args.managers, args.messages, 0.0),
    )
    try:
        for key in ("bare", "leadbot"):
            await wait_ready(session, urls[key], procs[key])
            await run_load(urls[key], fake, session, 4, 4, 0)  # warm up: auth.test, the model, pools
        for load, managers, messages, pace in loads:
            for _ in range(args.rounds):
                for key in ("bare", "leadbot"):
                    before = cpu_seconds(procs[key].pid)
                    r = await run_load(urls[key], fake, session, managers, messages, pace)
                    cpu[(load, key)] = cpu.get((load, key), 0.0) + cpu_seconds(procs[key].pid) - before
                    results.setdefault((load, key), Result()).merge(r)
        if args.burst:
            capacity = len(results[("saturated", "leadbot")].latencies) / results[("saturated", "leadbot")].wall
            burst_rate = 2 * capacity
            for key in ("bare", "leadbot"):
                burst_counts[key] = await run_burst(urls[key], fake, session, args.burst, burst_rate)
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

    db = (
        "PostgreSQL" if pg_name else "SQLite" + (" (what-if: synchronous=NORMAL)" if args.what_if_sqlite_normal else "")
    )
    load_after = os.getloadavg()
    print(
        f"Slack DM -> reply at the fake Web API; leadbot on {db}; {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f} / {load_before[1]:.2f} before, {load_after[0]:.2f} / {load_after[1]:.2f} after (1 / 5 min)"
    )
    summary: dict = {"database": db, "load_average": [round(load_before[0], 2), round(load_after[0], 2)]}
    labels = {
        "single": f"one at a time (1 manager x {args.single} DMs x {args.rounds} rounds)",
        "paced": f"paced ({args.managers} managers, 1 DM each every {args.pace_ms} ms = {args.managers * 1000 / args.pace_ms:.0f}/s)",
        "saturated": f"saturated ({args.managers} managers, no think time)",
    }
    for load in ("single", "paced", "saturated"):
        print(f"\n{labels[load]}")
        print(f"  {'':26}{'replies':>8}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'replies/s':>11}{'CPU ms/reply':>14}")
        rows = [
            row(name, results[(load, key)], cpu[(load, key)])
            for name, key in (("bare slack-bolt echo", "bare"), ("leadbot serve", "leadbot"))
        ]
        for r in rows:
            print(
                f"  {r['name']:26}{r['replies']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['mean_ms']:>9}"
                f"{r['replies_per_s']:>11}{r['cpu_ms_per_reply']:>14}"
            )
        d50 = rows[1]["p50_ms"] - rows[0]["p50_ms"]
        d99 = rows[1]["p99_ms"] - rows[0]["p99_ms"]
        share = rows[1]["replies_per_s"] / rows[0]["replies_per_s"]
        print(f"  leadbot - bare: p50 {d50:+.1f} ms, p99 {d99:+.1f} ms; replies/s {share:.2f}x the bare app's")
        summary[load] = {
            "rows": rows,
            "p50_diff_ms": round(d50, 1),
            "p99_diff_ms": round(d99, 1),
            "throughput_share": round(share, 2),
        }
    if burst_counts:
        print(
            f"\nburst: {args.burst} DMs + {args.burst} '/leadbot nudge on', interleaved, each from its own person and channel, "
            f"at twice leadbot's saturated rate"
        )
        for key, name in (("bare", "bare slack-bolt echo"), ("leadbot", "leadbot serve")):
            print(f"  {name:26}{burst_counts[key].line()}")
        summary["burst"] = {k: vars(v) for k, v in burst_counts.items()}
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--messages", type=int, default=25, help="DMs each manager sends, one after another")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pace-ms", type=int, default=200, help="paced load: one DM per manager every this many ms")
    parser.add_argument("--single", type=int, default=100, help="one-at-a-time load: DMs per round")
    parser.add_argument(
        "--burst", type=int, default=2000, help="burst: this many DMs and as many nudge commands (0: no burst)"
    )
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="run leadbot on a scratch database on this PostgreSQL server"
    )
    parser.add_argument(
        "--what-if-sqlite-normal", action="store_true", help="experiment: run leadbot with SQLite synchronous=NORMAL"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.api_url)
        sys.exit(0)
    sys.exit(asyncio.run(main(args)))
