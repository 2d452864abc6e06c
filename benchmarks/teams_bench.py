"""Teams latency: a personal-chat Activity to `leadbot serve` -> the reply at a local fake connector.

Side by side, in the same run, with a bare botbuilder echo bot (CloudAdapter +
ActivityHandler, the SDK's own sample shape) answering through the same fake
connector. Rounds alternate between the two bots so both see the same machine.
Loads (issue 15's measures):

- one at a time: one manager, each message sent when the last reply arrived;
- saturated: 20 managers, each sending the next message the moment the last
  reply arrives: the highest rate each bot sustains (printed);
- paced: 20 managers sending, between them, the bare bot's saturated rate
  (the highest rate it sustains on this machine), each at even intervals: p99;
- burst: --burst personal-chat messages and as many `@leadbot nudge on` in
  channels (every one its own conversation), interleaved, at twice leadbot's
  saturated rate without waiting: answered / told to retry / silent /
  duplicated (benchmarks/burst.py).

    python benchmarks/teams_bench.py [--managers 20] [--messages 15] [--single 60] [--rounds 3] [--burst 2000] [--database-url URL]

Both bots run unauthenticated (no MICROSOFT_APP_ID; loopback service URL), as
separate processes. Latency is measured from the moment the Activity is POSTed
to the moment the bot's reply reaches the fake connector. Prints p50, p99 and
throughput for each, and our p99 as a multiple of the bare bot's (target <= 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from benchmarks import burst as bursts  # noqa: E402
from benchmarks import common  # noqa: E402
from benchmarks.common import cpu_seconds, free_port, wait_ready  # noqa: E402

TENANT = "bench-tenant-0000-4000-8000-000000000000"
BOT_ID = "28:bench-bot"
PROBLEMS = [
    "Nobody in my team knows what we are supposed to be prioritising this quarter",
    "Half the team logs cases properly and half don't, and the backlog reports are meaningless",
    "My new starters are scared to make any decision without checking with me first",
    "Everyone does the rota differently and shifts keep getting missed",
    "Since the restructure people keep asking what the point of our service is",
    "I have to approve every small purchase and it is slowing the whole team down",
    "The team has lost its confidence after the inspection went badly",
    "Deadlines slip because nobody owns the handover between teams",
    "My team keeps missing deadlines and I'm not sure why",
    "People agree in meetings and then nothing happens afterwards",
]
_ids = itertools.count(1)


# --- the bare SDK bot -------------------------------------------------------------------------


def serve_echo(port: int) -> None:
    """botbuilder's minimal bot: CloudAdapter + ActivityHandler that echoes, as in the SDK samples."""
    common.serve_bare(port, teams=True)


# --- the fake connector: records when each reply arrives --------------------------------------


class Connector:
    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future] = {}
        self.got: dict[str, list[str]] | None = None  # during a burst: every reply's body, by conversation
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/uk/v3/conversations/{conversation}/activities", self.arrived)
        app.router.add_post("/uk/v3/conversations/{conversation}/activities/{activity}", self.arrived)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/uk/"

    async def arrived(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        body = await request.read()
        if self.got is not None:
            self.got.setdefault(request.match_info["conversation"], []).append(body.decode("utf-8", "replace"))
        future = self.waiting.pop(request.match_info["conversation"], None)
        if future is not None and not future.done():
            future.set_result(now)
        return web.json_response({"id": f"1:{next(_ids)}"}, status=201)


def activity(service_url: str, manager: int, text: str, run: str) -> dict:
    user = f"aad-{run}-{manager}"
    return {
        "type": "message",
        "id": f"{run}-{manager}-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{user}", "name": "Bench Manager", "aadObjectId": user},
        "recipient": {"id": BOT_ID, "name": "leadbot"},
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:{run}-{manager}"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": text,
        "textFormat": "plain",
        "locale": "en-GB",
    }


def channel_nudge_on(service_url: str, n: int, run: str) -> dict:
    """`@leadbot nudge on` posted in a channel of its own: the reply goes to the thread, its own conversation."""
    user, channel, post = f"aad-{run}-c{n}", f"19:{run}c{n}@thread.tacv2", f"{run}-c{n}-{next(_ids)}"
    mention = "<at>leadbot</at>"
    return {
        "type": "message",
        "id": post,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{user}", "name": "Bench Manager", "aadObjectId": user},
        "recipient": {"id": BOT_ID, "name": "leadbot"},
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"{channel};messageid={post}",
        },
        "channelData": {
            "teamsChannelId": channel,
            "teamsTeamId": channel,
            "channel": {"id": channel},
            "team": {"id": channel},
            "tenant": {"id": TENANT},
        },
        "entities": [{"type": "mention", "mentioned": {"id": BOT_ID, "name": "leadbot"}, "text": mention}],
        "text": f"{mention} nudge on\n",
        "textFormat": "plain",
        "locale": "en-GB",
    }


async def run_burst(
    url: str, connector: Connector, each: int, rate: float, session: aiohttp.ClientSession
) -> bursts.BurstCounts:
    run = uuid.uuid4().hex[:8]
    bodies = [
        b
        for n in range(each)
        for b in (
            activity(connector.service_url, n, PROBLEMS[n % len(PROBLEMS)], run),
            channel_nudge_on(connector.service_url, n, run),
        )
    ]

    def send(body: dict):
        async def post() -> int:
            async with session.post(f"{url}/api/messages", json=body) as response:
                await response.read()
                return response.status

        return post

    counts = bursts.BurstCounts(sent=len(bodies), rate=rate)
    connector.got = {}
    t0 = time.monotonic()
    try:
        await bursts.fire([send(b) for b in bodies], rate, counts)
        await bursts.settle(lambda: sum(len(v) for v in connector.got.values()), len(bodies))
        counts.seconds = time.monotonic() - t0
        bursts.classify(counts, [connector.got.get(b["conversation"]["id"], []) for b in bodies])
    finally:
        connector.got = None
    return counts


async def one_round(
    url: str, connector: Connector, managers: int, messages: int, session: aiohttp.ClientSession, pace: float = 0.0
) -> tuple[list[float], float]:
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def manager(n: int) -> None:
        if pace:
            await asyncio.sleep(pace * n / managers)  # spread the managers over one period
        for i in range(messages):
            body = activity(connector.service_url, n, PROBLEMS[(n + i) % len(PROBLEMS)], run)
            future = loop.create_future()
            connector.waiting[body["conversation"]["id"]] = future
            started = time.perf_counter()
            async with session.post(f"{url}/api/messages", json=body) as response:
                await response.read()
                if response.status >= 300:
                    raise RuntimeError(f"{url} answered {response.status}")
            arrived = await asyncio.wait_for(future, 60)
            latencies.append(arrived - started)
            if pace:
                await asyncio.sleep(max(0.0, pace - (time.perf_counter() - started)))

    started = time.perf_counter()
    await asyncio.gather(*(manager(n) for n in range(managers)))
    return latencies, time.perf_counter() - started


async def main(args) -> int:
    connector = Connector()
    await connector.start()
    workdir = Path(tempfile.mkdtemp(prefix="teams-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_", "SLACK_"))}
    env.update(
        DATABASE_URL=args.database_url or f"sqlite+aiosqlite:///{workdir / 'leadbot.db'}",
        LEADBOT_CACHE_DIR=env.get("LEADBOT_CACHE_DIR", str(workdir / "cache")),
    )
    ours_port, echo_port = free_port(), free_port()
    leadbot = common.LEADBOT
    log = open(workdir / "servers.log", "w")  # noqa: SIM115 - the servers write to it until stop_all
    procs = {
        "leadbot": subprocess.Popen(
            [leadbot, "serve", "--host", "127.0.0.1", "--port", str(ours_port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=log,
        ),
        "bare echo bot": subprocess.Popen(
            [sys.executable, __file__, "--serve-echo", str(echo_port)], env=env, cwd=workdir, stdout=log, stderr=log
        ),
    }
    urls = {"leadbot": f"http://127.0.0.1:{ours_port}", "bare echo bot": f"http://127.0.0.1:{echo_port}"}
    names = list(procs)
    results: dict[tuple[str, str], tuple[list[float], float, int]] = {}
    cpu: dict[tuple[str, str], float] = {}
    burst_counts: dict[str, bursts.BurstCounts] = {}
    load_before = os.getloadavg()
    connector_limit = aiohttp.TCPConnector(limit=0)

    async def measure(load: str, managers: int, messages: int, pace: float = 0.0) -> None:
        for _ in range(args.rounds):
            for name, url in urls.items():
                before = cpu_seconds(procs[name].pid)
                lat, elapsed = await one_round(url, connector, managers, messages, session, pace)
                cpu[(load, name)] = cpu.get((load, name), 0.0) + cpu_seconds(procs[name].pid) - before
                old_lat, old_elapsed, old_n = results.get((load, name), ([], 0.0, 0))
                results[(load, name)] = (old_lat + lat, old_elapsed + elapsed, old_n + len(lat))

    bare_rate = 0.0
    try:
        async with aiohttp.ClientSession(connector=connector_limit) as session:
            for name, url in urls.items():
                await wait_ready(session, url, procs[name])
                await one_round(url, connector, args.managers, 3, session)  # warm up: imports, model, connections
            await measure("single", 1, args.single)
            await measure("saturated", args.managers, args.messages)
            lat, elapsed, n = results[("saturated", "bare echo bot")]
            bare_rate = n / elapsed
            await measure("paced", args.managers, args.messages, pace=args.managers / bare_rate)
            if args.burst:
                lat, elapsed, n = results[("saturated", "leadbot")]
                rate = 2 * n / elapsed
                for name, url in urls.items():
                    burst_counts[name] = await run_burst(url, connector, args.burst, rate, session)
    finally:
        for process in procs.values():
            process.terminate()
        for process in procs.values():
            process.wait(timeout=15)
        log.close()

    load_after = os.getloadavg()
    print(
        f"Teams -> reply at the fake connector; database: {'PostgreSQL' if args.database_url else 'SQLite'}; {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f} / {load_before[1]:.2f} before, {load_after[0]:.2f} / {load_after[1]:.2f} after (1 / 5 min)"
    )
    labels = {
        "single": f"one at a time (1 manager x {args.single} messages x {args.rounds} rounds)",
        "saturated": f"saturated ({args.managers} managers, no think time): the highest rate each sustains",
        "paced": f"paced at the bare bot's saturated rate, {bare_rate:.0f}/s from {args.managers} managers",
    }
    for load in ("single", "saturated", "paced"):
        print(f"\n{labels[load]}")
        print(
            f"  {'bot':<16}{'replies':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'msg/s':>8}{'CPU ms/msg':>12}"
        )
        for name in names:
            lat, elapsed, n = results[(load, name)]
            print(
                f"  {name:<16}{n:>9}{common.pct(lat, 0.50) * 1000:>9.1f}{common.pct(lat, 0.90) * 1000:>9.1f}{common.pct(lat, 0.99) * 1000:>9.1f}"
                f"{max(lat) * 1000:>9.1f}{n / elapsed:>8.1f}{cpu[(load, name)] / n * 1000:>12.1f}"
            )
        ours, bare = results[(load, "leadbot")], results[(load, "bare echo bot")]
        print(
            f"  leadbot - bare: p50 {(common.pct(ours[0], 0.5) - common.pct(bare[0], 0.5)) * 1000:+.1f} ms, "
            f"p99 {(common.pct(ours[0], 0.99) - common.pct(bare[0], 0.99)) * 1000:+.1f} ms; "
            f"msg/s {(ours[2] / ours[1]) / (bare[2] / bare[1]):.2f}x the bare bot's"
        )
    if burst_counts:
        print(
            f"\nburst: {args.burst} personal-chat messages + {args.burst} '@leadbot nudge on' in channels, interleaved, at twice leadbot's saturated rate"
        )
        for name in names:
            print(f"  {name:<16}{burst_counts[name].line()}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--messages", type=int, default=15, help="messages per manager per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=60, help="one-at-a-time load: messages per round")
    parser.add_argument(
        "--burst",
        type=int,
        default=2000,
        help="burst: this many personal messages and as many channel nudge commands (0: none)",
    )
    parser.add_argument("--database-url", help="run leadbot on this database (default: a fresh SQLite file)")
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_echo:
        serve_echo(arguments.serve_echo)
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
