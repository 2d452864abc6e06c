"""A local fake of the Bot Framework: the connector a bot replies through, and its token service.

`FakeConnector` is an aiohttp server speaking the connector's v3 REST API
(what `botframework.connector` calls): it records every activity the bot
sends, answers with activity ids, and can be told to answer 429 (with
Retry-After), 5xx, 403/404, or to hold a request, for the next N calls.
Point an Activity's `serviceUrl` at `FakeConnector.service_url`.

`FakeIdentity` is the other half, for tests with an app id: it publishes
OpenID metadata and signing keys the way login.botframework.com does (so the
SDK can check tokens sent to the bot), mints those channel tokens, and is an
MSAL token endpoint that issues the bot its own token for calling the
connector. The SDK fetches keys and tokens with blocking `requests` calls on
the event loop, so this server runs in a thread of its own, over TLS because
MSAL only talks https (trusted through REQUESTS_CA_BUNDLE in the test).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fakes.throttle import Throttle

SERVICE_PREFIX = "/uk"  # Teams' service URL in the UK is https://smba.trafficmanager.net/uk/


@dataclass
class Sent:
    """One call the bot made to the connector that the fake answered with success."""

    kind: str  # "send" (new message), "reply" (to an activity), "update", "create" (a conversation)
    conversation_id: str | None
    activity_id: str | None  # the activity replied to or updated
    body: dict
    authorization: str | None
    id: str | None = None  # the id the fake gave the new activity or conversation

    @property
    def card(self) -> dict | None:
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment.get("content")
        return None

    @property
    def texts(self) -> list[str]:
        """Every TextBlock's text on the card, in order (or the plain text of a text message)."""
        if self.card is None:
            return [self.body.get("text") or ""]
        out: list[str] = []

        def walk(items):
            for item in items or []:
                if item.get("type") == "TextBlock":
                    out.append(item.get("text", ""))
                walk(item.get("items"))

        walk(self.card.get("body"))
        return out

    @property
    def actions(self) -> list[dict]:
        return (self.card or {}).get("actions") or []

    def action(self, title: str) -> dict:
        for action in self.actions:
            if action.get("title") == title:
                return action
        raise AssertionError(f"no button {title!r}; buttons are {[a.get('title') for a in self.actions]}")


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    code: str | None = None
    kinds: set[str] | None = None  # only calls of these kinds; None for any


@dataclass
class FakeConnector:
    check_token: Callable[[str | None], bool] | None = None  # None: accept any Authorization (or none)
    sent: list[Sent] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # every call's kind, failed ones included
    refused: int = 0  # calls refused for a bad token
    throttle: Throttle | None = None  # new messages' rate limits, by throttle_key(conversation id)
    throttle_key: Callable[[str | None], str] = lambda conversation: "bot"  # default: one limit for the bot as a whole
    send_delay: float = 0.0  # seconds a new message waits after it is recorded, before it is answered
    on_sent: list[Callable[[Sent], None]] = field(default_factory=list)  # called with each recorded call (benchmarks)

    def __post_init__(self) -> None:
        self._failures: list[Failure] = []
        self._hold: asyncio.Event | None = None
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._n = 0
        self.port = 0

    # --- control ---------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        code: str | None = None,
        kinds: set[str] | None = None,
    ) -> None:
        self._failures.extend(Failure(status, retry_after, code, kinds) for _ in range(times))

    def hold_next(self) -> asyncio.Event:
        """Hold the next call open until the returned event is set (to make the bot's client time out)."""
        self._hold = asyncio.Event()
        return self._hold

    async def wait_for(self, count: int, timeout: float = 10.0, kind: str | None = None) -> list[Sent]:
        """Wait until at least `count` successful calls (of `kind`) were recorded; return them."""

        def matching() -> list[Sent]:
            return [s for s in self.sent if kind is None or s.kind == kind]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), timeout)
        return matching()

    def messages(self, conversation_id: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.kind in ("send", "reply") and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    # --- server ----------------------------------------------------------------------

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SERVICE_PREFIX}/"

    async def start(self) -> FakeConnector:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        base = f"{SERVICE_PREFIX}/v3/conversations"
        app.router.add_post(base, self._create)
        app.router.add_post(base + "/{conversation}/activities", self._send)
        app.router.add_post(base + "/{conversation}/activities/{activity}", self._reply)
        app.router.add_put(base + "/{conversation}/activities/{activity}", self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._hold is not None:
            self._hold.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(
        self, request: web.Request, kind: str, conversation: str | None, activity: str | None
    ) -> web.Response:
        self.attempts.append(kind)
        body = await request.json()
        if self._hold is not None:
            hold, self._hold = self._hold, None
            await hold.wait()
        auth = request.headers.get("Authorization")
        if self.check_token is not None and not self.check_token(auth):
            self.refused += 1
            return web.json_response({"error": {"code": "Unauthorized", "message": "token not valid"}}, status=401)
        if kind == "send" and self.throttle is not None:
            wait = self.throttle.check(self.throttle_key(conversation))
            if wait is not None:
                error = {"error": {"code": "TooManyRequests", "message": "throttled by the fake"}}
                return web.json_response(error, status=429, headers={"Retry-After": str(wait)})
        failure = next((f for f in self._failures if f.kinds is None or kind in f.kinds), None)
        if failure is not None:
            self._failures.remove(failure)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            error = {"error": {"code": failure.code or f"Http{failure.status}", "message": "injected by the fake"}}
            return web.json_response(error, status=failure.status, headers=headers)
        self._n += 1
        new_id = activity if kind == "update" else (f"a:personal-{self._n}" if kind == "create" else f"1:{self._n}")
        sent = Sent(kind, conversation, activity, body, auth, new_id)
        async with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()
        for hook in self.on_sent:
            hook(sent)
        if kind == "send" and self.send_delay:
            await asyncio.sleep(self.send_delay)  # it has arrived; the answer is still on its way
        if kind == "create":
            return web.json_response({"id": new_id, "activityId": None}, status=201)
        return web.json_response({"id": new_id}, status=200 if kind == "update" else 201)

    async def _create(self, request: web.Request) -> web.Response:
        return await self._answer(request, "create", None, None)

    async def _send(self, request: web.Request) -> web.Response:
        return await self._answer(request, "send", unquote(request.match_info["conversation"]), None)

    async def _reply(self, request: web.Request) -> web.Response:
        m = request.match_info
        return await self._answer(request, "reply", unquote(m["conversation"]), unquote(m["activity"]))

    async def _update(self, request: web.Request) -> web.Response:
        m = request.match_info
        return await self._answer(request, "update", unquote(m["conversation"]), unquote(m["activity"]))


# --- identity: token keys for the channel, a token endpoint for the bot ---------------------------

CHANNEL_ISSUER = "https://api.botframework.com"  # the "iss" of tokens the Bot Framework sends to bots
CONNECTOR_AUDIENCE = "https://api.botframework.com"  # the audience of the bot's token for the connector


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    import ipaddress

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-login.test")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class FakeIdentity:
    def __init__(self, app_id: str, app_password: str, workdir: Path):
        self.app_id = app_id
        self.app_password = app_password
        self.signing_key = _rsa()
        self.kid = "fake-key-1"
        self.token_requests = 0
        self.key_requests = 0
        self.keys_hang = (
            threading.Event()
        )  # set: /v1/keys takes connections and does not answer until cleared (a stuck proxy)
        tls_key = _rsa()
        cert = _self_signed(tls_key)
        self.ca_file = workdir / "fake-identity-ca.pem"
        self.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file = workdir / "fake-identity-key.pem"
        key_file.write_bytes(
            tls_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(self.ca_file, key_file)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- what the bot is configured with --------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def endpoints(self):
        from bot.teams.adapter import ChannelEndpoints

        return ChannelEndpoints(
            openid_metadata_url=f"{self.base_url}/v1/.well-known/openidconfiguration",
            token_issuer=CHANNEL_ISSUER,
            login_url=f"{self.base_url}/adfs",  # MSAL discovers an ADFS-style authority without asking Microsoft
            oauth_scope=CONNECTOR_AUDIENCE,
        )

    # --- tokens ---------------------------------------------------------------------

    def channel_token(
        self,
        service_url: str,
        audience: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 3600,
        issuer: str = CHANNEL_ISSUER,
    ) -> str:
        """An Authorization header as the Bot Framework sends it to the bot."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        token = jwt.encode(claims, key or self.signing_key, algorithm="RS256", headers={"kid": self.kid})
        return f"Bearer {token}"

    def check_bot_token(self, header: str | None) -> bool:
        """For FakeConnector: was this call made with a token this identity issued to the bot?"""
        if not header or not header.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(
                header[7:], self.signing_key.public_key(), algorithms=["RS256"], audience=CONNECTOR_AUDIENCE
            )
        except jwt.PyJWTError:
            return False
        return claims.get("appid") == self.app_id

    # --- server ---------------------------------------------------------------------

    def start(self) -> FakeIdentity:
        identity = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, data: dict, status: int = 200) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                base = identity.base_url
                if self.path == "/v1/.well-known/openidconfiguration":
                    return self._json(
                        {
                            "issuer": CHANNEL_ISSUER,
                            "jwks_uri": f"{base}/v1/keys",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                if self.path == "/v1/keys":
                    identity.key_requests += 1
                    deadline = time.monotonic() + 10
                    while identity.keys_hang.is_set() and time.monotonic() < deadline:
                        time.sleep(0.05)
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(identity.signing_key.public_key()))
                    jwk.update(kid=identity.kid, use="sig", endorsements=["msteams", "emulator"])
                    return self._json({"keys": [jwk]})
                if self.path.startswith("/adfs/.well-known/openid-configuration"):
                    return self._json(
                        {
                            "issuer": f"{base}/adfs",
                            "authorization_endpoint": f"{base}/adfs/oauth2/authorize",
                            "token_endpoint": f"{base}/adfs/oauth2/token",
                        }
                    )
                self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                if not self.path.startswith("/adfs/oauth2/token"):
                    return self._json({"error": "not_found"}, 404)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if (
                    form.get("grant_type") != "client_credentials"
                    or form.get("client_id") != identity.app_id
                    or form.get("client_secret") != identity.app_password
                ):
                    return self._json({"error": "invalid_client", "error_description": "bad client credentials"}, 401)
                identity.token_requests += 1
                now = int(time.time())
                claims = {
                    "iss": f"{identity.base_url}/adfs",
                    "aud": CONNECTOR_AUDIENCE,
                    "appid": identity.app_id,
                    "iat": now,
                    "nbf": now,
                    "exp": now + 3600,
                    "jti": uuid.uuid4().hex,
                }
                token = jwt.encode(claims, identity.signing_key, algorithm="RS256", headers={"kid": identity.kid})
                self._json({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": token})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = self._tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
