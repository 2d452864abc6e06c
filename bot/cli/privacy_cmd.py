"""`leadbot privacy report [--json] [--out FILE]`: a DPIA and record of processing from the running configuration."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.cli.common import settings_or_exit


def register(sub) -> None:
    p = sub.add_parser("privacy", help="information governance: a DPIA and record of processing for this deployment")
    psub = p.add_subparsers(dest="privacy_command", metavar="ACTION")
    rp = psub.add_parser(
        "report",
        help="write the DPIA (ICO template headings) and ROPA from the running settings, content and audit log",
    )
    rp.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    rp.add_argument("--out", metavar="FILE", help="write to FILE instead of the screen")
    rp.set_defaults(run=run)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


async def _last_runs(settings) -> tuple[dict | None, dict | None, bool]:
    from bot.storage.audit import AuditLog
    from bot.storage.migrate import open_migrated
    from dialogs.store import StoreUnavailable

    try:
        db = await open_migrated(settings.database_url)
    except StoreUnavailable:
        return None, None, False
    try:
        log = AuditLog(db)
        return await log.last("forget_me"), await log.last("retention"), True
    except StoreUnavailable:
        return None, None, False
    finally:
        await db.dispose()


def run(args) -> int:
    from bot.privacy.markdown import render_markdown
    from bot.privacy.report import build_report
    from bot.storage.database_url import location
    from dialogs.content_loader import load_content

    settings = settings_or_exit()
    content = load_content(settings.content_dir)
    forget_me, retention, readable = asyncio.run(_last_runs(settings))
    if not readable:
        print(
            f"leadbot: cannot reach the database at DATABASE_URL ({location(settings.database_url)}); "
            "the report says the last forget-me and retention runs are unknown",
            file=sys.stderr,
        )
    report = build_report(settings, content, forget_me, retention, audit_readable=readable)
    text = json.dumps(report, indent=2) + "\n" if args.json else render_markdown(report)
    if not args.out:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"leadbot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        print("  fix: choose a file in a folder that exists and that you can write to", file=sys.stderr)
        return 1
    print(f"leadbot: privacy report written to {out}", file=sys.stderr)
    return 0
