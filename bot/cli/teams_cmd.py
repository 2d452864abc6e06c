"""`leadbot teams package`: write the Teams app package (a zip) that an administrator uploads."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import ValidationError

from bot.cli.common import settings_or_exit


def register(sub) -> None:
    p = sub.add_parser("teams", help="Microsoft Teams tools")
    actions = p.add_subparsers(dest="teams_action", metavar="ACTION")
    pkg = actions.add_parser(
        "package", help="write the Teams app package (manifest and icons in a zip) to upload in Teams"
    )
    pkg.add_argument("--app-id", help="the Azure Bot's Microsoft app id (default: MICROSOFT_APP_ID)")
    pkg.add_argument(
        "--host",
        help="the public host leadbot runs on, e.g. leadbot.example.gov.uk (messaging endpoint https://HOST/api/messages)",
    )
    pkg.add_argument(
        "--out",
        type=Path,
        default=Path("leadbot-teams.zip"),
        help="where to write the zip (default: leadbot-teams.zip)",
    )
    pkg.add_argument(
        "--version", default="1.0.0", help="the app's version; raise it for every changed upload (default: 1.0.0)"
    )
    pkg.add_argument("--teams-app-id", help="the Teams app's own id, if it should differ from the bot's app id")
    pkg.add_argument(
        "--developer-name", default="leadbot", help="who publishes the app in your organisation (up to 32 characters)"
    )
    pkg.add_argument("--website-url", help="https address of a page about leadbot in your organisation")
    pkg.add_argument(
        "--privacy-url",
        help="https address of its privacy notice (default: LEADBOT_PRIVACY_URL, else https://HOST/privacy, which leadbot serves)",
    )
    pkg.add_argument(
        "--terms-url",
        help="https address of its terms of use (default: LEADBOT_TERMS_URL, else https://HOST/terms, which leadbot serves)",
    )
    pkg.set_defaults(run=run_package)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def run_package(args) -> int:
    from bot.teams.app_package import PackageOptions, write_package

    app_id, privacy_url, terms_url = args.app_id, args.privacy_url, args.terms_url
    if not (app_id and privacy_url and terms_url):
        # Defaults from the settings leadbot serve reads: the bot's app id, and the organisation's own
        # privacy notice and terms if it has them (otherwise the pages leadbot serves on --host).
        settings = settings_or_exit()
        app_id = app_id or settings.microsoft_app_id
        privacy_url = privacy_url or settings.privacy_url
        terms_url = terms_url or settings.terms_url
    if not app_id:
        print("leadbot: give --app-id, or set MICROSOFT_APP_ID: the Azure Bot's Microsoft app id", file=sys.stderr)
        return 2
    try:
        options = PackageOptions(
            app_id=app_id,
            host=args.host,
            teams_app_id=args.teams_app_id,
            version=args.version,
            developer_name=args.developer_name,
            website_url=args.website_url,
            privacy_url=privacy_url,
            terms_url=terms_url,
        )
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]).replace("_", "-") if err["loc"] else "?"
            print(f"leadbot: --{field}: {err['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    out = write_package(options, args.out)
    print(f"wrote {out}: upload it in the Teams admin centre (Teams apps > Manage apps > Upload new app)")
    if options.uses_placeholder_links:
        print(
            "note: no --host or developer links were given, so the app's developer links point to leadbot.invalid; give --host (or --website-url, --privacy-url and --terms-url) for your organisation",
            file=sys.stderr,
        )
    return 0
