"""Teams' part of `leadbot doctor`: do the Microsoft settings fit together, and does Microsoft Entra
issue the bot a token with them? Uses botbuilder's own credentials, as replies do. Changes nothing."""

from __future__ import annotations

import asyncio
import threading

from botframework.connector.auth import AuthenticationConstants

from bot.findings import Finding, from_setup_error, note, ok, problem
from bot.settings import Settings
from bot.teams.adapter import TeamsConfigError, check_settings, sdk_configuration


def _in_daemon_thread(work, timeout: float):
    """Run blocking `work` (MSAL uses `requests`) with a time-out; a hung call cannot keep the process alive."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def settle(result=None, error: BaseException | None = None) -> None:
        if not done.done():
            done.set_exception(error) if error is not None else done.set_result(result)

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the caller gave up and its loop is closed

    threading.Thread(target=run, daemon=True, name="doctor-teams-token").start()
    return asyncio.wait_for(done, timeout)


def _login_endpoint(settings: Settings) -> str:
    if settings.microsoft_app_type == "SingleTenant":
        return AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + settings.microsoft_app_tenant_id
    return AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL


async def teams_checks(settings: Settings, timeout: float) -> list[Finding]:
    try:
        check_settings(settings)
    except TeamsConfigError as exc:
        return [from_setup_error("teams", exc)]
    if not settings.microsoft_app_id:
        return [
            note(
                "teams",
                "no MICROSOFT_APP_ID: /api/messages is unauthenticated, for local testing with the Bot Framework Emulator only",
                "set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TYPE and MICROSOFT_APP_TENANT_ID from the Azure Bot before connecting Teams",
            )
        ]
    from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory

    findings = [ok("teams", f"MICROSOFT_APP_TYPE={settings.microsoft_app_type} has the settings it needs")]
    factory = ConfigurationServiceClientCredentialFactory(sdk_configuration(settings))
    try:
        credentials = await factory.create_credentials(
            settings.microsoft_app_id,
            AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
            _login_endpoint(settings),
            True,
        )
        await _in_daemon_thread(credentials.get_access_token, timeout)
    except TimeoutError:
        where = (
            "the managed identity endpoint (this works only on the Azure host)"
            if settings.microsoft_app_type == "UserAssignedMSI"
            else "login.microsoftonline.com"
        )
        findings.append(
            problem(
                "teams",
                f"no token from {where} within {timeout:.0f} s",
                "allow outbound HTTPS to login.microsoftonline.com and login.botframework.com from this host",
            )
        )
    except PermissionError:
        findings.append(
            problem(
                "teams",
                "Microsoft Entra refused the bot's credentials",
                "check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD (expired secret?) and, for SingleTenant, MICROSOFT_APP_TENANT_ID against the Azure Bot",
            )
        )
    except Exception as exc:
        findings.append(
            problem(
                "teams",
                f"no token for the bot ({type(exc).__name__})",
                "check outbound HTTPS to login.microsoftonline.com and the four MICROSOFT_* settings",
            )
        )
    else:
        findings.append(ok("teams", "Microsoft Entra issues the bot a token with these credentials"))
    return findings
