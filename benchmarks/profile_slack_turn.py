"""Profile Slack DM turns end to end in one process: signed request in, reply at the fake Web API.

leadbot's real aiohttp app (Bolt, the router, the dialogs, SQLite or PostgreSQL)
and the fake Web API run in this process under cProfile; DMs go one at a time,
so the profile is one turn's work and nothing else's. With --senders N, N people
each send their next DM when the last reply arrived (saturated): the profile of
a busy event loop. Prints the functions with the most cumulative and own time,
and the wall time per turn (the profile includes the fake and the senders; work
on other threads, such as the SQLite thread's, is not in it).

    python benchmarks/profile_slack_turn.py [--turns 300] [--senders 1] [--database-url URL] [--sort cumulative|tottime] [--top 40]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes import slack_requests as rq  # noqa: E402
from tests.fakes.slack_harness import SECRET, SlackWorld, slack_settings  # noqa: E402

TEXTS = [
    "Cases are piling up and nobody knows who owns them",
    "help",
    "The team doesn't understand why we are changing the rota",
    "thanks",
]


async def run(turns: int, senders: int, database_url: str | None, profile: cProfile.Profile) -> float:
    world = await SlackWorld().start()
    tmp = tempfile.TemporaryDirectory()
    try:
        ws = world.fake.add_workspace("T0PROF", "xoxb-prof", bot_user_id="U0PROFBOT")
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp.name) / 'prof.db'}"
        bot = await world.add_leadbot(
            slack_settings(url, world.fake, Path(tmp.name) / "cache", token="xoxb-prof", LEADBOT_LOG_LEVEL="WARNING")
        )
        sender = world.sender(bot)

        posted: dict[str, int] = {}

        def count(call) -> None:
            if call.method == "chat.postMessage":
                posted[call.args.get("channel")] = posted.get(call.args.get("channel"), 0) + 1

        world.fake.on_call.append(count)

        def replies_in(channel: str) -> int:
            return posted.get(channel, 0)

        async def one(i: int, who: int) -> None:
            channel = f"D{who:04d}"
            envelope = rq.event_envelope(
                ws.team_id, rq.dm_event(ws.team_id, f"U{who:04d}", channel, TEXTS[i % len(TEXTS)]), ws.bot_user_id
            )
            before = replies_in(channel)
            resp = await sender.event(envelope)
            assert resp.status == 200
            await world.fake.wait_until(lambda: replies_in(channel) > before)
            if senders == 1:
                await bot.settle()  # the whole turn, also what follows its first reply

        async def person(who: int, count: int) -> None:
            for i in range(count):
                await one(i, who)

        for i in range(20):
            await one(i, i)  # warm up: auth.test, users.info, the model, the pool
            await bot.settle()
        profile.enable()
        t0 = time.perf_counter()
        await asyncio.gather(*(person(who, turns // senders) for who in range(senders)))
        await bot.settle()
        wall = time.perf_counter() - t0
        profile.disable()
        return wall / turns
    finally:
        await world.stop()
        tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--senders", type=int, default=1, help="people sending at once, each closed loop")
    parser.add_argument("--database-url")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callers", help="also print who calls the functions matching this")
    args = parser.parse_args()
    _ = SECRET
    profile = cProfile.Profile()
    turns = args.turns // args.senders * args.senders
    per_turn = asyncio.run(run(turns, args.senders, args.database_url, profile))
    how = "one at a time" if args.senders == 1 else f"from {args.senders} senders at once"
    print(f"{turns} DM turns {how}: {per_turn * 1000:.2f} ms each (wall, under the profiler)")
    stats = pstats.Stats(profile).sort_stats(args.sort)
    stats.print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
