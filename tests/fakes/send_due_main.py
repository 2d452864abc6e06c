"""`python -m tests.fakes.send_due_main`: one OS process running `send_due` against a shared database.

What `leadbot nudge send-due` does, with the generic HTTP messenger (which can
look messages up, unlike Slack and Teams) pointed at the generic fake API.
Prints the run's report as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime

from bot.nudges.fanout import Limits, NudgeSender
from bot.storage.db import make_engine
from bot.storage.migrate import upgrade
from bot.storage.nudge_store import SqlNudgeStore
from dialogs.content_loader import load_content
from tests.fakes.http_messenger import BlindHttpMessenger, HttpMessenger


async def main(args) -> int:
    db = make_engine(args.database_url)
    await upgrade(db)
    kind = BlindHttpMessenger if args.blind else HttpMessenger
    messengers = {p: kind(p, args.fake) for p in ("slack", "teams")}
    limits = Limits(
        per_platform={"slack": args.concurrency, "teams": args.concurrency}, per_workspace=args.per_workspace
    )
    sender = NudgeSender(SqlNudgeStore(db), load_content(), limits=limits)
    at = datetime.fromisoformat(args.at).astimezone(UTC) if args.at else datetime.now(UTC)
    if args.start_at:
        # Processes started together line up here, after their imports, so that their runs really overlap.
        await asyncio.sleep(max(0.0, args.start_at - time.time()))
    try:
        report = await sender.send_due(at, messengers)
    finally:
        for m in messengers.values():
            await m.close()
        await db.dispose()
    out = dict(vars(report).items())
    print(json.dumps(out), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--at")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-workspace", type=int, default=4)
    parser.add_argument("--blind", action="store_true", help="a messenger that cannot look messages up")
    parser.add_argument("--start-at", type=float, help="a Unix time to start the run at")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
