"""A conversation turn's storage alone: `SqlStore.turn` read + claim-and-save, in process.

What the README's "Where each trip runs" figures are: CPU (`time.process_time`,
this process and its threads) and wall time per turn, 20 conversations taking
turns, each turn a new delivery and a step of its conversation. Best of
--repeats runs of --turns turns after a warm-up, on a fresh SQLite file, and on
a scratch PostgreSQL database with --postgres. With --compare DIR the same runs
are made with the checkout in DIR (another commit, e.g. `git worktree add`), in
a subprocess, alternated with this one.

    python benchmarks/store_bench.py [--turns 500] [--repeats 3] [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--compare DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def measure(url: str, turns: int, repeats: int) -> dict[str, float]:
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade
    from bot.storage.sql_store import SqlStore
    from dialogs.models import ConversationKey

    engine = make_engine(url)
    await upgrade(engine)
    store = SqlStore(engine)
    keys = [
        ConversationKey(platform="slack", workspace_id="T1", user_id=f"U{i}", conversation_id=f"D{i}")
        for i in range(20)
    ]
    state = {"stage": "offered", "first_move": "manage", "steps": ["a", "b"], "asked": 1}
    counter = iter(range(10**9))

    async def run(n: int) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            async with store.turn(keys[i % len(keys)], f"Ev{next(counter)}") as turn:
                await turn.save(state)
        return (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n

    try:
        await run(200)  # warm-up: connections, compiled statements, the first rows
        runs = [await run(turns) for _ in range(repeats)]
    finally:
        await store.close()
        await engine.dispose()
    return {"cpu_ms": min(c for c, _ in runs), "wall_ms": min(w for _, w in runs)}


async def one_pass(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = await measure(f"sqlite+aiosqlite:///{Path(tmp) / 'store.db'}", args.turns, args.repeats)
    if args.postgres:
        from benchmarks.common import scratch_postgres

        async with scratch_postgres(args.postgres, prefix="leadbot_store") as url:
            results["PostgreSQL"] = await measure(url, args.turns, args.repeats)
    return results


def in_checkout(directory: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The same pass with another checkout's code, in a subprocess (its own imports)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--json-only", "--turns", str(args.turns)]
    cmd += ["--repeats", str(args.repeats)] + (["--postgres", args.postgres] if args.postgres else [])
    out = subprocess.run(cmd, cwd=directory, env={"PYTHONPATH": str(directory)}, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the pass in {directory} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also on a scratch database on this server")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="alternate with the checkout in DIR")
    parser.add_argument("--rounds", type=int, default=2, help="with --compare: alternations")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json_only:
        sys.path.insert(0, str(Path.cwd()))
        print(json.dumps(asyncio.run(one_pass(args))))
        return 0
    sys.path.insert(0, str(ROOT))
    checkouts = [("this checkout", ROOT)] + ([(str(args.compare), args.compare.resolve())] if args.compare else [])
    print(f"SqlStore.turn, {args.turns} turns, best of {args.repeats}: CPU and wall time per turn")
    for _ in range(args.rounds if args.compare else 1):
        for label, directory in checkouts:
            figures = in_checkout(directory, args)
            for database, f in figures.items():
                print(f"  {label:40s} {database:11s} CPU {f['cpu_ms']:.3f} ms  wall {f['wall_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
