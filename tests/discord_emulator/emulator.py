"""The :class:`DiscordEmulator`: an aiohttp server speaking Discord's REST API v10 and gateway locally."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yarl
from aiohttp import web

from . import codec
from .errors import (
    ApiError,
    BotCrashed,
    ComponentNotFound,
    EmulatorError,
    EmulatorTimeout,
    Failure,
    FieldError,
    invalid_form_body,
    missing_access,
    missing_permissions,
)
from .gateway import (
    INTENT_DIRECT_MESSAGE_POLLS,
    INTENT_DIRECT_MESSAGE_REACTIONS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGE_POLLS,
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    Compression,
    Gateway,
    GatewaySession,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    ModalRecord,
    OptionBuilder,
    assign_component_ids,
    component_click_data,
    modal_submission,
    resolve_command,
    visible_commands,
)
from .ratelimits import RateLimiter, RateLimitRule
from .spec import Spec, load_spec
from .state import (
    DM,
    FLAG_EPHEMERAL,
    FLAG_IS_COMPONENTS_V2,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    GUILD_TEXT,
    AttachmentRecord,
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    MessageRecord,
    Overwrite,
    RoleRecord,
    UserRecord,
    World,
    find_components,
)
from .util import ALL_PERMISSIONS, BOT_DEFAULT, EVERYONE_BASIC, PERMISSIONS, perms

T = TypeVar("T")

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
OLD_MESSAGE_AGE = 3600.0


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RequestRecord:
    """One REST request received from the bot."""

    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    reason: str | None = None
    status: int = 0
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        """``"POST /channels/{channel_id}/messages"``."""
        return f"{self.method} {self.route}"


@dataclass
class RequestGate:
    """Holds the next matching REST request, so that a test can act (kill the bot) while it is in flight.

    ``stage="before"``: held before Discord handles it; ``release(deliver=False)`` then loses it, as a request
    that never reached Discord, and ``release()`` handles it late (delivered after the sender died).
    ``stage="after"``: Discord has handled it (the message exists); only the response is held.
    """

    method: str
    route: str
    stage: str = "before"
    when: Callable[[RequestRecord], bool] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    held: RequestRecord | None = None
    deliver: bool = True
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, record: RequestRecord) -> bool:
        return (
            self.held is None
            and record.method == self.method
            and record.route == self.route
            and (self.when is None or self.when(record))
        )

    async def hold(self, record: RequestRecord) -> None:
        self.held = record
        self.arrived.set()
        await self._released.wait()

    def release(self, *, deliver: bool = True) -> None:
        self.deliver = deliver
        self._released.set()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with exactly ``Content-Type: application/json`` (discord.py rejects a charset)."""
    all_headers = {"Content-Type": "application/json"}
    if headers:
        all_headers.update(headers)
    if status == 204:
        return web.Response(status=204, headers={k: v for k, v in all_headers.items() if k != "Content-Type"})
    # body= (not text=): aiohttp would append "; charset=utf-8" to a text response's Content-Type.
    return web.Response(status=status, body=codec.dumps(body), headers=all_headers)


class DiscordEmulator:
    """A local Discord: REST under ``/api/v10`` and the gateway WebSocket on an ephemeral 127.0.0.1 port.

    See the package docstring for a usage example.
    """

    def __init__(
        self,
        *,
        token: str = "emulator.bot.token",
        gateway_compression: Compression = "auto",
        spec_path: Path | None = None,
        validate: bool = True,
        interaction_deadline: float = 3.0,
        default_rate_limit: RateLimitRule | None = None,
        edit_rate_limit: RateLimitRule | None = None,
        bot_permissions: Any = BOT_DEFAULT,
        default_guild: bool = True,
        heartbeat_interval: int = 41250,
        capture_bot_errors: bool = True,
    ) -> None:
        self.token = token
        self.capture_bot_errors = capture_bot_errors
        self._log_handler: logging.Handler | None = None
        #: Errors discord.py logged while a bot was shutting down (not failures: teardown races).
        self.shutdown_errors: list[str] = []
        self._live_bots = 0
        self._closed_bots = 0
        self.world = World()
        self.failures: list[Failure] = []
        self.requests: list[RequestRecord] = []
        self.rate_limited: list[RequestRecord] = []
        # The next N interaction callbacks are answered 429 (Discord's edge does so to a bot answering too fast),
        # each with this retry_after in seconds.
        self.callbacks_to_limit = 0
        self.callback_retry_after = 0.05
        self.interactions: dict[int, InteractionRecord] = {}
        self._interactions_by_token: dict[str, InteractionRecord] = {}
        self.synced_commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interaction_deadline = interaction_deadline
        self.fail_old_message_edits = False
        self.application_flags = (1 << 15) | (1 << 19) | (1 << 23)
        self.limiter = RateLimiter(default=default_rate_limit or RateLimitRule(50, 1.0))
        self.limiter.rules["message_edit"] = edit_rate_limit or RateLimitRule(5, 5.0)
        self.gateway = Gateway(self, compression=gateway_compression, heartbeat_interval=heartbeat_interval)
        self.spec: Spec | None = load_spec(spec_path) if validate else None
        self.spec_validation = self.spec is not None
        self._changed = asyncio.Event()
        self._watched: list[asyncio.Task[Any]] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        self._patches: list[tuple[Any, str, Any]] = []
        # (author, nonce) → (message id, when): Discord dedupes an enforced nonce for "a few minutes".
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.nonce_window = 300.0
        self.gates: list[RequestGate] = []
        from .rest import RestApi  # local import: rest.py uses this module's types

        self.rest = RestApi(self)
        self.guild: GuildRecord | None = None
        self.members: dict[str, MemberRecord] = {}
        self.roles: dict[str, RoleRecord] = {}
        self.bot_role: RoleRecord | None = None
        if default_guild:
            self._build_default_guild(perms(bot_permissions))

    # -- default scenario ----------------------------------------------------------------------------------
    def _build_default_guild(self, bot_permissions: int) -> None:
        world = self.world
        guild = world.add_guild("Tribune Test", locale="fr", everyone_permissions=EVERYONE_BASIC)
        self.guild = guild
        self.roles["@everyone"] = guild.everyone
        self.roles["Modérateur"] = world.add_role(guild, "Modérateur", PERMISSIONS["manage_guild"], hoist=True)
        self.roles["Administrateur"] = world.add_role(guild, "Administrateur", PERMISSIONS["administrator"])
        self.bot_role = world.add_role(guild, "Tribune", bot_permissions, managed=True, bot_id=world.bot_user.id)
        self.roles["Tribune"] = self.bot_role
        world.add_channel(guild, "general", topic="Discussions générales")
        world.add_channel(guild, "actualites", topic="Actualités du jour")
        world.add_member(guild, world.bot_user, [self.bot_role], key="bot")
        world.add_member(guild, world.owner_user, [], key="owner")
        self.add_member("alice", locale="fr", dispatch=False)
        self.add_member("bob", locale="en-US", dispatch=False)
        self.add_member("mod", locale="fr", roles=[self.roles["Modérateur"]], dispatch=False)
        self.add_member("admin", locale="fr", roles=[self.roles["Administrateur"]], dispatch=False)

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> DiscordEmulator:
        """Start the HTTP/WebSocket server on 127.0.0.1 with an ephemeral port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        self.rest.register(app.router)
        app.router.add_route("*", "/{tail:.*}", self._unknown_route)
        # A short shutdown: a test that forgot to close its bot must not wait aiohttp's 60 s default.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.world.base_url = self.base_url
        if self.capture_bot_errors:
            self._log_handler = _DiscordErrorHandler(self)
            logging.getLogger("discord").addHandler(self._log_handler)
        return self

    async def stop(self) -> None:
        """Close every gateway connection and stop the server."""
        if self._log_handler is not None:
            logging.getLogger("discord").removeHandler(self._log_handler)
            self._log_handler = None
        self.gateway.resume_service()  # release connections held by an unfinished gateway_outage()
        await self.gateway.close_all(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (and ``GET /gateway/bot``)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` sent in READY (a distinct path, so tests can see RESUME used it)."""
        return f"ws://127.0.0.1:{self.port}/gateway/resume"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at the emulator (``Route.BASE``, ``DEFAULT_GATEWAY``) and restore them after."""
        import discord.gateway
        import discord.http

        saved_base = discord.http.Route.BASE
        saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = saved_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        self._patch_cm = self.patch_discord()
        self._patch_cm.__enter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            self._patch_cm.__exit__(None, None, None)
        finally:
            await self.stop()

    @contextlib.contextmanager
    def gate(
        self,
        method: str,
        route: str,
        *,
        stage: str = "before",
        when: Callable[[RequestRecord], bool] | None = None,
    ) -> Iterator[RequestGate]:
        """Hold the next request to ``route`` (e.g. ``"/channels/{channel_id}/messages"``) that ``when`` accepts."""
        if stage not in ("before", "after"):
            raise ValueError(f"unknown gate stage {stage!r}")
        gate = RequestGate(method=method, route=route, stage=stage, when=when)
        self.gates.append(gate)
        try:
            yield gate
        finally:
            self.gates.remove(gate)
            if not gate._released.is_set():
                gate.release()

    def gate_for(self, record: RequestRecord) -> RequestGate | None:
        return next((g for g in self.gates if g.matches(record)), None)

    # -- failures, waiting and notification ----------------------------------------------------------------
    def record_failure(self, failure: Failure) -> None:
        """Record something real Discord would reject; the pytest fixture fails the test on it."""
        self.failures.append(failure)
        self.notify()

    def clear_failures(self) -> list[Failure]:
        """Forget recorded failures (after a test deliberately provoked them); returns them."""
        taken, self.failures = self.failures, []
        return taken

    @contextlib.contextmanager
    def expect_failures(self, kind: str | None = None) -> Iterator[list[Failure]]:
        """Within the block, failures (of ``kind``) are expected: they are moved to the yielded list.

        Raises AssertionError on exit when none was recorded.
        """
        start = len(self.failures)
        caught: list[Failure] = []
        yield caught
        fresh = self.failures[start:]
        keep = self.failures[:start]
        for failure in fresh:
            (caught if kind is None or failure.kind == kind else keep).append(failure)
        self.failures = keep
        if not caught:
            raise AssertionError(f"expected a {kind or 'recorded'} failure, none was recorded")

    def notify(self) -> None:
        """Wake up :meth:`wait_for` callers (state changed)."""
        # Swap in a fresh event so no waiter can clear a signal another waiter has not seen yet.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def watch(self, task: asyncio.Task[Any]) -> None:
        """Make waits fail fast with :class:`BotCrashed` if ``task`` (the bot's connect task) dies."""
        self._watched.append(task)
        task.add_done_callback(lambda _t: self.notify())

    def unwatch(self, task: asyncio.Task[Any]) -> None:
        """Stop watching ``task``."""
        self._watched = [t for t in self._watched if t is not task]

    def check_watched(self) -> None:
        """Raise :class:`BotCrashed` if a watched task ended with an exception."""
        for task in self._watched:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise BotCrashed(f"the bot task {task.get_name()!r} died: {task.exception()!r}") from task.exception()

    async def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 3.0,  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        message: str | None = None,
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value; no blind sleeps.

        The predicate is re-checked on every emulator state change and at least every 20 ms (so it may also
        look at the bot's own state, e.g. its database).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            value = predicate()
            if value:
                return value
            self.check_watched()
            remaining = deadline - loop.time()
            if remaining <= 0:
                text = message or f"condition not met within {timeout}s"
                if self.failures:
                    # The reason is often a swallowed bot error or a rejected request: show it.
                    text += "; recorded failures: " + " | ".join(str(f) for f in self.failures[-3:])
                raise EmulatorTimeout(text)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.02))

    # -- HTTP plumbing -------------------------------------------------------------------------------------
    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        att = self.world.attachments.get(int(request.match_info["attachment_id"]))
        if att is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=att.data, content_type=att.content_type or "application/octet-stream")

    async def _unknown_route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix("/api/v10")
        record = RequestRecord(
            method=request.method, path=path, route=path, params={}, query=dict(request.query), status=404
        )
        with contextlib.suppress(Exception):
            raw = await request.read()
            record.json = codec.loads(raw) if raw else None
        self.requests.append(record)
        self.record_failure(
            Failure(
                kind="unknown_route",
                message="route not emulated (add it to tests/discord_emulator/rest.py)",
                method=request.method,
                path=path,
                status=404,
            )
        )
        return json_response(404, {"message": "404: Not Found", "code": 0})

    async def read_body(self, request: web.Request, record: RequestRecord) -> None:
        """Parse a JSON or multipart body into ``record.json`` / ``record.files``."""
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                name = part.name or ""  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    try:
                        record.json = codec.loads(bytes(data).decode())
                    except ValueError:
                        raise ApiError(
                            400, 50109, "The request body contains invalid JSON.", failure="invalid_json"
                        ) from None
                else:
                    record.files.append(
                        UploadedFile(
                            name=name,
                            filename=part.filename or name,  # type: ignore[union-attr]
                            content_type=part.headers.get("Content-Type", "application/octet-stream"),  # type: ignore[union-attr]
                            data=bytes(data),
                        )
                    )
            return
        raw = await request.read()
        if not raw:
            return
        try:
            record.json = codec.loads(raw)
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.", failure="invalid_json") from None

    def validate(self, pointer: str | None, body: Any, extra: list[FieldError]) -> None:
        """Raise 400/50035 (recorded) if ``body`` breaks the schema at ``pointer`` or the ``extra`` limits."""
        errors: list[FieldError] = []
        if pointer is not None and self.spec is not None:
            errors += self.spec.validate(pointer, body)
        errors += extra
        if errors:
            raise invalid_form_body(errors)

    # -- permissions ---------------------------------------------------------------------------------------
    def require(self, channel: ChannelRecord, *names: str) -> None:
        """Refuse (403) unless the bot has every permission in ``names`` in ``channel``."""
        value = self.world.bot_permissions(channel)
        if not value & PERMISSIONS["view_channel"]:
            raise missing_access()
        for name in names:
            if not value & PERMISSIONS[name]:
                raise missing_permissions()

    # -- messages ------------------------------------------------------------------------------------------
    def build_attachments(
        self,
        channel: ChannelRecord,
        body: dict[str, Any],
        files: list[UploadedFile],
        existing: list[AttachmentRecord],
        *,
        ephemeral: bool = False,
    ) -> list[AttachmentRecord]:
        """Map ``attachments`` / ``files[n]`` like Discord: keep listed existing ones, add uploads."""
        by_name = {f.name: f for f in files}
        used: set[str] = set()
        result: list[AttachmentRecord] = []
        declared = body.get("attachments")
        existing_ids = {a.id: a for a in existing}
        if isinstance(declared, list):
            for index, item in enumerate(declared):
                if not isinstance(item, dict):
                    continue
                raw_id = item.get("id")
                try:
                    att_id = int(raw_id)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    att_id = -1
                if att_id in existing_ids:
                    result.append(existing_ids[att_id])
                    continue
                upload = by_name.get(f"files[{att_id}]")
                if upload is None:
                    raise invalid_form_body(
                        [
                            FieldError(
                                ("attachments", index, "id"),
                                "ATTACHMENT_NOT_FOUND",
                                "Unknown attachment or file",
                            )
                        ]
                    )
                used.add(upload.name)
                result.append(
                    self._store_upload(
                        channel,
                        upload,
                        item.get("filename"),
                        item.get("description"),
                        item.get("title"),
                        ephemeral,
                    )
                )
        else:
            result.extend(existing)
        for upload in files:
            if upload.name not in used:
                result.append(self._store_upload(channel, upload, None, None, None, ephemeral))
        if len(result) > 10:
            raise invalid_form_body(
                [FieldError(("attachments",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")]
            )
        return result

    def _store_upload(
        self,
        channel: ChannelRecord,
        upload: UploadedFile,
        filename: str | None,
        description: str | None,
        title: str | None,
        ephemeral: bool,
    ) -> AttachmentRecord:
        if len(upload.data) > ATTACHMENT_SIZE_LIMIT:
            raise ApiError(413, 40005, "Request entity too large")
        att_id = self.world.new_id()
        name = filename or upload.filename
        att = AttachmentRecord(
            id=att_id,
            filename=name,
            data=upload.data,
            content_type=_guess_type(name, upload.content_type),
            description=description,
            title=title,
            ephemeral=ephemeral,
            url=f"{self.base_url}/attachments/{channel.id}/{att_id}/{name}",
        )
        self.world.attachments[att_id] = att
        return att

    def make_attachment(self, filename: str, data: bytes, content_type: str | None = None) -> AttachmentRecord:
        """A user-uploaded file (for attachment options and modal file uploads), served by the emulator."""
        att_id = self.world.new_id()
        att = AttachmentRecord(
            id=att_id,
            filename=filename,
            data=bytes(data),
            content_type=content_type or _guess_type(filename, None),
            url=f"{self.base_url}/attachments/0/{att_id}/{filename}",
        )
        self.world.attachments[att_id] = att
        return att

    def create_message(
        self,
        channel: ChannelRecord,
        author: UserRecord,
        body: dict[str, Any],
        files: list[UploadedFile] | None = None,
        *,
        type: int = 0,
        interaction: InteractionRecord | None = None,
        allow_ephemeral: bool = False,
        age: float = 0.0,
        dispatch: bool = True,
    ) -> MessageRecord:
        """Store a new message (bot REST, interaction reply or simulated user) and dispatch MESSAGE_CREATE."""
        world = self.world
        flags = int(body.get("flags") or 0)
        ephemeral = bool(flags & FLAG_EPHEMERAL) and allow_ephemeral
        kept_flags = flags & (FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2 | (1 << 12) | FLAG_LOADING)
        if ephemeral:
            kept_flags |= FLAG_EPHEMERAL
        reference = body.get("message_reference")
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            ref_id = int(reference["message_id"])
            ref = world.messages.get(ref_id)
            ref_channel = int(reference.get("channel_id") or channel.id)
            if (ref is None or ref.deleted or ref.channel_id != ref_channel) and reference.get(
                "fail_if_not_exists", True
            ):
                raise invalid_form_body(
                    [FieldError(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")]
                )
            reference = {
                "type": int(reference.get("type") or 0),
                "message_id": str(ref_id),
                "channel_id": str(ref_channel),
                **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
            }
            if type == 0:
                type = 19
        else:
            reference = None
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            previous = self._nonces.get((author.id, str(nonce)))
            if previous is not None and world.now() - previous[1] <= self.nonce_window:
                earlier = world.messages.get(previous[0])
                if earlier is not None and not earlier.deleted:
                    return earlier
                raise ApiError(404, 10008, "Unknown Message")  # created, then deleted: Discord does not re-create
        if body.get("poll"):
            _check_poll(body["poll"])
        message = MessageRecord(
            id=world.new_id(age),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=str(body.get("content") or ""),
            embeds=[_normalise_embed(e) for e in body.get("embeds") or []],
            components=assign_component_ids(codec.copy(body.get("components") or [])),
            flags=kept_flags,
            type=type,
            timestamp=world.now() - age,
            tts=bool(body.get("tts")),
            message_reference=reference,
            nonce=str(nonce) if nonce is not None else None,
            poll=_poll_payload(body.get("poll"), world.now()) if body.get("poll") else None,
            allowed_mentions=body.get("allowed_mentions"),
        )
        message.attachments = self.build_attachments(channel, body, files or [], [], ephemeral=ephemeral)
        if (
            not (message.content or message.embeds or message.components or message.attachments or message.poll)
            and not (flags & FLAG_LOADING)
            and type != 46
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if interaction is not None:
            self._mark_interaction_message(message, interaction)
        world.resolve_mentions(message, body.get("allowed_mentions"))
        world.messages[message.id] = message
        if nonce is not None:
            self._nonces[(author.id, str(nonce))] = (message.id, world.now())
        if not ephemeral:
            channel.message_ids.append(message.id)
            channel.last_message_id = message.id
            if channel.is_thread:
                message.position = channel.total_message_sent
                channel.message_count += 1
                channel.total_message_sent += 1
            if dispatch:
                self.dispatch_message("MESSAGE_CREATE", message)
        self.notify()
        return message

    def _mark_interaction_message(self, message: MessageRecord, interaction: InteractionRecord) -> None:
        world = self.world
        message.webhook_id = world.application_id
        message.application_id = world.application_id
        message.interaction_id = interaction.id
        if interaction.type == APPLICATION_COMMAND:
            message.type = 20 if (interaction.data.get("type", 1) or 1) == 1 else 23
        metadata: dict[str, Any] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": world.user_payload(interaction.member.user),
            "authorizing_integration_owners": {"0": str(interaction.member.guild_id)},
        }
        if interaction.type == APPLICATION_COMMAND:
            metadata["name"] = self._command_display_name(interaction)
            metadata["command_type"] = interaction.data.get("type", 1)
        elif interaction.type == MESSAGE_COMPONENT and interaction.source_message_id:
            metadata["interacted_message_id"] = str(interaction.source_message_id)
        if interaction.message_id is not None and interaction.message_id != message.id:
            metadata["original_response_message_id"] = str(interaction.message_id)
        message.interaction_metadata = metadata
        if interaction.type == APPLICATION_COMMAND:
            message.legacy_interaction = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": self._command_display_name(interaction),
                "user": world.user_payload(interaction.member.user),
                "member": world.member_payload(interaction.member, with_user=False),
            }

    @staticmethod
    def _command_display_name(interaction: InteractionRecord) -> str:
        names = [interaction.data.get("name", "")]
        options = interaction.data.get("options") or []
        while options and options[0].get("type") in (1, 2):
            names.append(options[0]["name"])
            options = options[0].get("options") or []
        return " ".join(names)

    def edit_message(
        self,
        message: MessageRecord,
        body: dict[str, Any],
        files: list[UploadedFile] | None = None,
        *,
        dispatch: bool = True,
    ) -> MessageRecord:
        """Apply an edit body to ``message`` (content, embeds, components, attachments, flags)."""
        channel = self.world.channels[message.channel_id]
        snapshot = message.snapshot()
        content = message.content
        embeds = message.embeds
        components = message.components
        if "content" in body:
            content = str(body.get("content") or "")
        if "embeds" in body:
            embeds = [_normalise_embed(e) for e in body.get("embeds") or []]
        if "components" in body:
            components = assign_component_ids(codec.copy(body.get("components") or []))
        attachments = message.attachments
        if "attachments" in body or files:
            attachments = self.build_attachments(
                channel, body, files or [], message.attachments, ephemeral=message.ephemeral
            )
        flags = message.flags
        if body.get("flags") is not None:
            requested = int(body["flags"])
            flags = (flags & ~FLAG_SUPPRESS_EMBEDS) | (requested & FLAG_SUPPRESS_EMBEDS)
            if requested & FLAG_IS_COMPONENTS_V2:
                flags |= FLAG_IS_COMPONENTS_V2
        flags &= ~FLAG_LOADING
        if not (content or embeds or components or attachments or message.poll):
            raise ApiError(400, 50006, "Cannot send an empty message")
        message.revisions.append(snapshot)
        message.content, message.embeds, message.components = content, embeds, components
        message.attachments, message.flags = attachments, flags
        message.edit_count += 1
        message.edited_timestamp = self.world.now()
        if "allowed_mentions" in body:
            message.allowed_mentions = body.get("allowed_mentions")
        self.world.resolve_mentions(message, message.allowed_mentions)
        if dispatch and not message.ephemeral:
            self.dispatch_message("MESSAGE_UPDATE", message)
        self.notify()
        return message

    def delete_message_record(self, message: MessageRecord) -> None:
        """Mark ``message`` deleted, drop it from its channel and dispatch MESSAGE_DELETE."""
        message.deleted = True
        channel = self.world.channels.get(message.channel_id)
        if channel is not None and message.id in channel.message_ids:
            channel.message_ids.remove(message.id)
            if channel.is_thread:
                channel.message_count = max(channel.message_count - 1, 0)
        if not message.ephemeral:
            data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id:
                data["guild_id"] = str(message.guild_id)
            self.gateway.dispatch(
                "MESSAGE_DELETE", data, guild_id=message.guild_id, intent=self._message_intent(message)
            )
        self.notify()

    # -- native polls ------------------------------------------------------------------------------------
    def native_vote(self, member: Any, message: MessageRecord | int, answer_id: int, *, add: bool = True) -> None:
        """A member votes on (or, with ``add=False``, removes their vote from) a native poll in the client.

        The vote is kept whether or not the bot is connected; MESSAGE_POLL_VOTE_ADD/REMOVE reach only the
        sessions with the polls intent, like Discord. A single-choice poll refuses a second answer.
        """
        record = self.message(message)
        poll = record.poll
        assert poll is not None, "not a native poll"
        if poll["results"]["is_finalized"]:
            raise AssertionError("the poll has ended: the client no longer lets members vote")
        user_id = getattr(member, "id", member)
        voters = record.poll_voters.setdefault(answer_id, [])
        if add:
            held = [a for a, users in record.poll_voters.items() if user_id in users]
            if user_id in voters or (held and not poll["allow_multiselect"]):
                return
            voters.append(user_id)
        else:
            if user_id not in voters:
                return
            voters.remove(user_id)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(record.channel_id),
            "message_id": str(record.id),
            "answer_id": answer_id,
        }
        if record.guild_id:
            data["guild_id"] = str(record.guild_id)
        poll["results"]["answer_counts"] = _answer_counts(record)  # Discord shows in-progress counts too
        event = "MESSAGE_POLL_VOTE_ADD" if add else "MESSAGE_POLL_VOTE_REMOVE"
        intent = INTENT_GUILD_MESSAGE_POLLS if record.guild_id else INTENT_DIRECT_MESSAGE_POLLS
        self.gateway.dispatch(event, data, guild_id=record.guild_id, intent=intent)
        self.notify()

    def finalize_native_poll(self, message: MessageRecord | int) -> MessageRecord:
        """End a native poll (its expiry passed, the expire endpoint, or its author in the client).

        The poll's results become final (``is_finalized``, counts per answer), MESSAGE_UPDATE is dispatched and
        Discord posts its result message (type 46, MESSAGE_POLL_RESULT) replying to the poll.
        """
        from .util import iso

        record = self.message(message)
        poll = record.poll
        assert poll is not None, "not a native poll"
        poll["expiry"] = iso(self.world.now())
        poll["results"] = {"is_finalized": True, "answer_counts": _answer_counts(record)}
        self.dispatch_message("MESSAGE_UPDATE", record)
        channel = self.world.channels[record.channel_id]
        self.create_message(
            channel,
            record.author,
            {"message_reference": {"message_id": record.id, "channel_id": record.channel_id}},
            type=46,
            allow_ephemeral=False,
        )
        return record

    def _message_intent(self, message: MessageRecord) -> int:
        return INTENT_GUILD_MESSAGES if message.guild_id else INTENT_DIRECT_MESSAGES

    def dispatch_message(self, event: str, message: MessageRecord) -> None:
        """Dispatch MESSAGE_CREATE/UPDATE; sessions without MESSAGE_CONTENT get no content, like Discord."""
        full = self.world.message_payload(message, gateway=True)

        def for_session(session: GatewaySession) -> dict[str, Any]:
            if session.intents & INTENT_MESSAGE_CONTENT or self._content_always_visible(message):
                return full
            stripped = dict(full)
            stripped.update({"content": "", "embeds": [], "attachments": [], "components": []})
            stripped.pop("poll", None)
            return stripped

        self.gateway.dispatch(event, for_session, guild_id=message.guild_id, intent=self._message_intent(message))

    def _content_always_visible(self, message: MessageRecord) -> bool:
        bot_id = self.world.bot_user.id
        return message.author.id == bot_id or message.guild_id is None or bot_id in message.mention_ids

    # -- channels and threads ------------------------------------------------------------------------------
    def dispatch_channel(self, event: str, channel: ChannelRecord) -> None:
        """CHANNEL_* / THREAD_* dispatch for ``channel``."""
        if channel.is_thread:
            data = self.world.thread_payload(channel, member_for=self.world.bot_user.id)
        else:
            data = self.world.channel_payload(channel)
        if event == "THREAD_CREATE":
            data["newly_created"] = True
        self.gateway.dispatch(event, data, guild_id=channel.guild_id, intent=INTENT_GUILDS)

    def create_thread(
        self,
        parent: ChannelRecord,
        name: str,
        owner: UserRecord,
        *,
        type: int = 11,
        starter: MessageRecord | None = None,
        auto_archive_duration: int = 1440,
        invitable: bool = True,
        rate_limit_per_user: int = 0,
    ) -> ChannelRecord:
        """Create a thread (from ``starter`` when given: same id as the message, like Discord)."""
        world = self.world
        guild = world.guilds[parent.guild_id]  # type: ignore[index]
        thread_id = starter.id if starter is not None else world.new_id()
        thread = ChannelRecord(
            id=thread_id,
            type=type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=owner.id,
            auto_archive_duration=auto_archive_duration,
            invitable=invitable,
            rate_limit_per_user=rate_limit_per_user,
            archive_timestamp=world.now(),
            created_at=world.now(),
            member_ids={owner.id},
            starter_message_id=starter.id if starter else None,
        )
        world.channels[thread.id] = thread
        guild.channel_ids.append(thread.id)
        if starter is not None:
            starter.thread_id = thread.id
        self.dispatch_channel("THREAD_CREATE", thread)
        if starter is not None and not starter.ephemeral:
            self.dispatch_message("MESSAGE_UPDATE", starter)
        self.notify()
        return thread

    def archive_thread(self, thread: ChannelRecord | int | str, *, locked: bool = False) -> ChannelRecord:
        """Archive a thread as Discord does after inactivity (THREAD_UPDATE)."""
        record = self.channel(thread)
        record.archived = True
        record.locked = record.locked or locked
        record.archive_timestamp = self.world.now()
        self.dispatch_channel("THREAD_UPDATE", record)
        self.notify()
        return record

    def delete_thread(self, thread: ChannelRecord | int | str) -> None:
        """A moderator deletes a thread in Discord (THREAD_DELETE); its starter message can get a new one."""
        record = self.channel(thread)
        record.deleted = True
        for message in self.world.messages.values():
            if message.thread_id == record.id:
                message.thread_id = None
        data = {
            "id": str(record.id),
            "guild_id": str(record.guild_id),
            "parent_id": str(record.parent_id),
            "type": record.type,
        }
        self.gateway.dispatch("THREAD_DELETE", data, guild_id=record.guild_id, intent=INTENT_GUILDS)
        self.notify()

    # -- lookups for tests ---------------------------------------------------------------------------------
    @property
    def bot_user(self) -> UserRecord:
        """The bot's user."""
        return self.world.bot_user

    @property
    def bot(self) -> MemberRecord:
        """The bot's member in the default guild."""
        return self.world.bot_member(self._guild().id)

    @property
    def application_id(self) -> int:
        """The application id (== what discord.py reads from READY and application info)."""
        return self.world.application_id

    @property
    def channels(self) -> dict[str, ChannelRecord]:
        """Text channels of the default guild by name (threads excluded; see :meth:`threads`)."""
        guild = self._guild()
        found: dict[str, ChannelRecord] = {}
        for cid in guild.channel_ids:
            channel = self.world.channels[cid]
            if not channel.is_thread and not channel.deleted:
                found.setdefault(channel.name, channel)
        return found

    def _guild(self, guild: GuildRecord | int | None = None) -> GuildRecord:
        if isinstance(guild, GuildRecord):
            return guild
        if guild is not None:
            return self.world.guilds[int(guild)]
        if self.guild is None:
            raise EmulatorError("no default guild: pass guild= explicitly")
        return self.guild

    def channel(self, ref: ChannelRecord | int | str | Any) -> ChannelRecord:
        """A channel or thread by record, id, object with ``.id``, or name (non-thread channels first)."""
        if isinstance(ref, ChannelRecord):
            return ref
        if isinstance(ref, str) and not ref.isdigit():
            name = ref.lstrip("#")
            candidates = [c for c in self.world.channels.values() if c.name == name and not c.deleted]
            if not candidates:
                raise EmulatorError(f"no channel named {ref!r}")
            candidates.sort(key=lambda c: (c.is_thread, c.id))
            return candidates[0]
        cid = int(getattr(ref, "id", ref))
        try:
            return self.world.channels[cid]
        except KeyError:
            raise EmulatorError(f"unknown channel {ref!r}") from None

    def message(self, ref: MessageRecord | int | Any) -> MessageRecord:
        """A stored message by record, id or ``discord.Message`` (deleted ones included)."""
        if isinstance(ref, MessageRecord):
            return ref
        mid = int(getattr(ref, "id", ref))
        try:
            return self.world.messages[mid]
        except KeyError:
            raise EmulatorError(f"unknown message {ref!r}") from None

    def messages_in(self, channel: ChannelRecord | int | str, *, include_deleted: bool = False) -> list[MessageRecord]:
        """Messages of a channel or thread, oldest first (ephemeral ones are never in a channel)."""
        target = self.channel(channel)
        if include_deleted:
            found = [m for m in self.world.messages.values() if m.channel_id == target.id and not m.ephemeral]
            return sorted(found, key=lambda m: m.id)
        return [self.world.messages[m] for m in sorted(target.message_ids)]

    def last_message(self, channel: ChannelRecord | int | str) -> MessageRecord | None:
        """The newest message of a channel, or None."""
        found = self.messages_in(channel)
        return found[-1] if found else None

    def threads(
        self, parent: ChannelRecord | int | str | None = None, *, include_deleted: bool = False
    ) -> list[ChannelRecord]:
        """Threads (optionally of one parent channel), oldest first."""
        parent_id = self.channel(parent).id if parent is not None else None
        found = [
            c
            for c in self.world.channels.values()
            if c.is_thread and (parent_id is None or c.parent_id == parent_id) and (include_deleted or not c.deleted)
        ]
        return sorted(found, key=lambda c: c.created_at)

    def thread_of(self, message: MessageRecord | int | Any) -> ChannelRecord | None:
        """The thread started from ``message``, if any."""
        record = self.message(message)
        return self.world.channels.get(record.thread_id) if record.thread_id else None

    def starter_message(self, thread: ChannelRecord | int | str) -> MessageRecord | None:
        """The message a thread was started from, if any."""
        record = self.channel(thread)
        return self.world.messages.get(record.starter_message_id) if record.starter_message_id else None

    def ephemeral_messages(self, member: MemberRecord | None = None) -> list[MessageRecord]:
        """Ephemeral interaction replies (optionally only those shown to ``member``)."""
        found = []
        for rec in self.interactions.values():
            if member is not None and rec.member.id != member.id:
                continue
            found.extend(m for m in rec.messages if m.ephemeral)
        return sorted({m.id: m for m in found}.values(), key=lambda m: m.id)

    def edits_of(self, message: MessageRecord | int | Any) -> int:
        """How many times ``message`` was edited."""
        return self.message(message).edit_count

    def requests_matching(self, method: str | None = None, route: str | None = None) -> list[RequestRecord]:
        """Logged REST requests filtered by method and route template or substring of the path."""
        found = []
        for req in self.requests:
            if method is not None and req.method != method.upper():
                continue
            if route is not None and route != req.route and route not in req.path:
                continue
            found.append(req)
        return found

    @property
    def rate_limited_count(self) -> int:
        """How many 429 answers were sent."""
        return len(self.rate_limited)

    def commands(self, guild: GuildRecord | int | None = None) -> list[dict[str, Any]]:
        """Commands the bot synced (global, or for ``guild``)."""
        key = None if guild is None else (guild.id if isinstance(guild, GuildRecord) else int(guild))
        return list(self.synced_commands.get(key, []))

    # -- scenario building ---------------------------------------------------------------------------------
    def add_member(
        self,
        key: str,
        *,
        roles: list[RoleRecord | str] | tuple[RoleRecord | str, ...] = (),
        locale: str = "en-US",
        nick: str | None = None,
        global_name: str | None = None,
        guild: GuildRecord | None = None,
        dispatch: bool = True,
    ) -> MemberRecord:
        """Add a simulated member (``emulator.members[key]``) with roles and a client locale."""
        target = self._guild(guild)
        role_records = [self.roles[r] if isinstance(r, str) else r for r in roles]
        user = self.world.add_user(key, locale=locale, global_name=global_name or key.capitalize())
        member = self.world.add_member(target, user, role_records, key=key)
        member.nick = nick
        if target is self.guild:
            self.members[key] = member
        if dispatch:
            data = {**self.world.member_payload(member), "guild_id": str(target.id)}
            self.gateway.dispatch("GUILD_MEMBER_ADD", data, guild_id=target.id, intent=INTENT_GUILD_MEMBERS)
        return member

    def add_members(
        self,
        count: int,
        *,
        prefix: str = "member",
        locale: str = "fr",
        roles: tuple[RoleRecord | str, ...] = (),
    ) -> list[MemberRecord]:
        """Add ``count`` plain members (for crowd tests: hundreds of concurrent clicks)."""
        start = len(self.members)
        return [
            self.add_member(f"{prefix}{start + i}", locale=locale, roles=roles, dispatch=False) for i in range(count)
        ]

    def add_role(self, name: str, permissions: Any = 0, *, guild: GuildRecord | None = None) -> RoleRecord:
        """Create a role and dispatch GUILD_ROLE_CREATE."""
        target = self._guild(guild)
        role = self.world.add_role(target, name, perms(permissions))
        if target is self.guild:
            self.roles[name] = role
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE",
            {"guild_id": str(target.id), "role": self.world.role_payload(role)},
            guild_id=target.id,
            intent=INTENT_GUILDS,
        )
        return role

    def set_role_permissions(self, role: RoleRecord | str, permissions: Any) -> None:
        """Change a role's permissions and dispatch GUILD_ROLE_UPDATE."""
        record = self.roles[role] if isinstance(role, str) else role
        record.permissions = perms(permissions)
        self.gateway.dispatch(
            "GUILD_ROLE_UPDATE",
            {"guild_id": str(record.guild_id), "role": self.world.role_payload(record)},
            guild_id=record.guild_id,
            intent=INTENT_GUILDS,
        )
        self.notify()

    def set_bot_permissions(self, permissions: Any) -> None:
        """Set the bot role's permissions (@everyone's still apply; use :meth:`deny_bot` to remove those)."""
        if self.bot_role is None:
            raise EmulatorError("no bot role in this scenario")
        self.set_role_permissions(self.bot_role, permissions)

    def set_member_roles(self, member: MemberRecord, roles: list[RoleRecord | str]) -> None:
        """Replace a member's roles and dispatch GUILD_MEMBER_UPDATE."""
        member.roles = [(self.roles[r] if isinstance(r, str) else r).id for r in roles]
        data = {**self.world.member_payload(member), "guild_id": str(member.guild_id)}
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=member.guild_id, intent=INTENT_GUILD_MEMBERS)
        self.notify()

    def set_overwrite(
        self,
        channel: ChannelRecord | str | int,
        target: MemberRecord | RoleRecord,
        *,
        allow: Any = 0,
        deny: Any = 0,
    ) -> None:
        """Set a channel permission overwrite for a member or role and dispatch CHANNEL_UPDATE."""
        record = self.channel(channel)
        kind = 1 if isinstance(target, MemberRecord) else 0
        record.overwrites[target.id] = Overwrite(id=target.id, type=kind, allow=perms(allow), deny=perms(deny))
        self.dispatch_channel("CHANNEL_UPDATE", record)
        self.notify()

    def deny_bot(self, permissions: Any, channel: ChannelRecord | str | int | None = None) -> None:
        """Deny ``permissions`` to the bot in ``channel`` (all default guild channels if None)."""
        targets = [self.channel(channel)] if channel is not None else list(self.channels.values())
        for target in targets:
            current = target.overwrites.get(self.bot_user.id)
            allow = current.allow if current else 0
            deny = (current.deny if current else 0) | perms(permissions)
            self.set_overwrite(target, self.world.bot_member(target.guild_id), allow=allow & ~deny, deny=deny)  # type: ignore[arg-type]

    def add_text_channel(
        self, name: str, *, topic: str | None = None, guild: GuildRecord | None = None
    ) -> ChannelRecord:
        """Create a text channel and dispatch CHANNEL_CREATE."""
        channel = self.world.add_channel(self._guild(guild), name, topic=topic)
        self.dispatch_channel("CHANNEL_CREATE", channel)
        self.notify()
        return channel

    def age_message(self, message: MessageRecord | int | Any, seconds: float) -> MessageRecord:
        """Make ``message`` ``seconds`` older for the emulator (its ``timestamp``, the 30046 switch).

        Its snowflake keeps its time, and discord.py's ``Message.created_at`` reads the snowflake: to make a
        message old for the bot as well, create it inside :meth:`backdated`.
        """
        record = self.message(message)
        record.timestamp -= seconds
        return record

    @contextlib.contextmanager
    def backdated(self, seconds: float) -> Iterator[None]:
        """Within the block the emulator's clock runs ``seconds`` behind: new messages (and their snowflakes,
        hence discord.py's ``created_at``) are that old."""
        self.world.clock_offset -= seconds
        try:
            yield
        finally:
            self.world.clock_offset += seconds

    def add_message(
        self,
        channel: ChannelRecord | str | int,
        content: str = "",
        *,
        author: MemberRecord | UserRecord | None = None,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[AttachmentRecord] | None = None,
        age: float = 0.0,
        dispatch: bool = True,
    ) -> MessageRecord:
        """Store a message without any check (seed history; ``age`` back-dates its snowflake too)."""
        user = author.user if isinstance(author, MemberRecord) else author or self.bot_user
        body: dict[str, Any] = {"content": content, "embeds": embeds or [], "components": components or []}
        message = self.create_message(self.channel(channel), user, body, age=age, dispatch=dispatch)
        if attachments:
            message.attachments = list(attachments)
        return message

    # -- simulated users -----------------------------------------------------------------------------------
    async def send_message(
        self,
        member: MemberRecord,
        channel: ChannelRecord | str | int,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[AttachmentRecord] | None = None,
        reply_to: MessageRecord | None = None,
    ) -> MessageRecord:
        """A member posts a message (dispatched as MESSAGE_CREATE to the bot)."""
        body: dict[str, Any] = {"content": content, "embeds": embeds or []}
        if reply_to is not None:
            body["message_reference"] = {"message_id": reply_to.id, "channel_id": reply_to.channel_id}
        target = self.channel(channel)
        if attachments:
            body["content"] = content or " "
        message = self.create_message(target, member.user, body, dispatch=False)
        if attachments:
            message.content = content
            message.attachments = list(attachments)
        self.dispatch_message("MESSAGE_CREATE", message)
        await asyncio.sleep(0)
        return message

    async def react(self, member: MemberRecord, message: MessageRecord | int | Any, emoji: str) -> None:
        """A member adds a reaction (MESSAGE_REACTION_ADD)."""
        record = self.message(message)
        users = record.reactions.setdefault(emoji, [])
        if member.id not in users:
            users.append(member.id)
        data: dict[str, Any] = {
            "user_id": str(member.id),
            "channel_id": str(record.channel_id),
            "message_id": str(record.id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
            "message_author_id": str(record.author.id),
        }
        if record.guild_id:
            data["guild_id"] = str(record.guild_id)
            data["member"] = self.world.member_payload(member)
        intent = INTENT_GUILD_MESSAGE_REACTIONS if record.guild_id else INTENT_DIRECT_MESSAGE_REACTIONS
        self.gateway.dispatch("MESSAGE_REACTION_ADD", data, guild_id=record.guild_id, intent=intent)
        self.notify()
        await asyncio.sleep(0)

    async def delete_message(self, message: MessageRecord | int | Any) -> None:
        """Someone (a moderator) deletes ``message`` (MESSAGE_DELETE)."""
        self.delete_message_record(self.message(message))
        await asyncio.sleep(0)

    def _interaction_payload(
        self,
        type: int,
        member: MemberRecord,
        channel: ChannelRecord,
        data: dict[str, Any] | None,
        *,
        message: MessageRecord | None = None,
        locale: str | None = None,
        source_message_id: int | None = None,
    ) -> InteractionRecord:
        world = self.world
        guild = world.guilds[member.guild_id]
        interaction_id = world.new_id()
        token = "emu." + secrets.token_urlsafe(48)
        member_perms = world.channel_permissions(member, channel)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(world.application_id),
            "type": type,
            "token": token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": list(guild.features)},
            "guild_locale": guild.locale,
            "channel_id": str(channel.id),
            "channel": world.channel_payload(channel, permissions_for=member),
            "member": world.member_payload(member, permissions=member_perms),
            "locale": locale or member.locale,
            "app_permissions": str(world.bot_permissions(channel)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = world.message_payload(message)
        record = InteractionRecord(
            self,
            id=interaction_id,
            token=token,
            type=type,
            payload=payload,
            member=member,
            channel=channel,
            source_message_id=source_message_id,
        )
        self.interactions[interaction_id] = record
        self._interactions_by_token[token] = record
        return record

    async def _send_interaction(self, record: InteractionRecord) -> InteractionRecord:
        guild_id = record.member.guild_id
        if not self.gateway.sessions:
            raise EmulatorError("no gateway session: connect the bot before simulating interactions")
        record.created = time.monotonic()
        self.gateway.dispatch("INTERACTION_CREATE", record.serialise_payload(), guild_id=guild_id)
        await asyncio.sleep(0)
        return record

    def _member(self, member: MemberRecord | str) -> MemberRecord:
        if isinstance(member, str):
            try:
                return self.members[member]
            except KeyError:
                raise EmulatorError(f"unknown member {member!r}; known: {sorted(self.members)}") from None
        return member

    def _command_allowed(self, member: MemberRecord, channel: ChannelRecord, command: dict[str, Any]) -> None:
        required = command.get("default_member_permissions")
        if required in (None, ""):
            return
        needed = int(required)
        has = self.world.channel_permissions(member, channel)
        if has == ALL_PERMISSIONS:
            return  # administrators see every command, even "0" (disabled for everyone else)
        if needed == 0 or has & needed != needed:
            raise EmulatorError(
                f"{member.key!r} cannot see /{command['name']}: default_member_permissions={needed} "
                "(Discord hides the command from this member)"
            )

    async def invoke(
        self,
        member: MemberRecord | str,
        command: str,
        *,
        channel: ChannelRecord | str | int | None = None,
        target: MessageRecord | MemberRecord | UserRecord | None = None,
        locale: str | None = None,
        options: dict[str, Any] | None = None,
        **named: Any,
    ) -> InteractionRecord:
        """A member runs a synced command: ``await emu.invoke(alice, "poll create", question="…")``.

        ``command`` is the space-separated English path (command, group, subcommand); options are passed by
        their synced names. ``channel=`` is where the member types the command; an option that is itself
        named ``channel`` (or ``target``, ``locale``, ``options``) goes in ``options={"channel": ...}``.
        Context-menu commands take ``target=`` (a message or a member/user). Raises
        :class:`CommandNotSynced` when the command or an option is not in what the bot synced.
        """
        options = {**named, **(options or {})}
        who = self._member(member)
        where = self.channel(channel) if channel is not None else self._default_channel(who)
        commands = visible_commands(self.synced_commands, who.guild_id)
        kind = 1
        if target is not None:
            kind = 3 if isinstance(target, MessageRecord) else 2
        top, chain, definitions = resolve_command(commands, command, kind=kind)
        self._command_allowed(who, where, top)
        builder = OptionBuilder(self, self.world, who.guild_id, where)
        data: dict[str, Any] = {"id": top["id"], "name": top["name"], "type": kind}
        if top.get("guild_id"):
            data["guild_id"] = top["guild_id"]
        if kind == 1:
            leaf = builder.options(definitions, options, focused=None)
            data["options"] = _nest_options(chain, leaf)
        else:
            if options:
                raise EmulatorError("context menu commands take no options")
            if isinstance(target, MessageRecord):
                data["target_id"] = str(target.id)
                builder.resolved.setdefault("messages", {})[str(target.id)] = self.world.message_payload(target)
            else:
                data["target_id"] = str(builder.user(target))
        if builder.resolved:
            data["resolved"] = builder.resolved
        record = self._interaction_payload(APPLICATION_COMMAND, who, where, data, locale=locale)
        return await self._send_interaction(record)

    async def autocomplete(
        self,
        member: MemberRecord | str,
        command: str,
        focused: str,
        value: str,
        *,
        channel: ChannelRecord | str | int | None = None,
        locale: str | None = None,
        **options: Any,
    ) -> InteractionRecord:
        """A member types ``value`` in autocomplete option ``focused`` (type 4); see ``wait_choices()``."""
        who = self._member(member)
        where = self.channel(channel) if channel is not None else self._default_channel(who)
        top, chain, definitions = resolve_command(visible_commands(self.synced_commands, who.guild_id), command)
        builder = OptionBuilder(self, self.world, who.guild_id, where)
        leaf = builder.options(definitions, {**options, focused: value}, focused=focused)
        data: dict[str, Any] = {
            "id": top["id"],
            "name": top["name"],
            "type": 1,
            "options": _nest_options(chain, leaf),
        }
        if top.get("guild_id"):
            data["guild_id"] = top["guild_id"]
        if builder.resolved:
            data["resolved"] = builder.resolved
        record = self._interaction_payload(AUTOCOMPLETE, who, where, data, locale=locale)
        return await self._send_interaction(record)

    async def click(
        self,
        member: MemberRecord | str,
        message: MessageRecord | int | Any,
        label_or_custom_id: str,
        *,
        values: list[Any] | None = None,
        locale: str | None = None,
    ) -> InteractionRecord:
        """A member clicks a button (or picks ``values`` in a select) of a stored message (type 3).

        The interaction carries the full ``message`` with the same components, as Discord sends it.
        """
        who = self._member(member)
        record = self.message(message)
        if record.deleted:
            raise EmulatorError(f"message {record.id} was deleted")
        matches = find_components(record.components, label_or_custom_id)
        if not matches:
            labels = [
                c.get("label") or c.get("placeholder") or c.get("custom_id")
                for c in record.walk_components()
                if c.get("type") in (2, 3, 5, 6, 7, 8)
            ]
            raise ComponentNotFound(f"no component {label_or_custom_id!r} in message {record.id}; components: {labels}")
        if len(matches) > 1:
            raise ComponentNotFound(f"{label_or_custom_id!r} is ambiguous in message {record.id}; use the custom_id")
        component = matches[0]
        if component.get("disabled"):
            raise EmulatorError(f"component {label_or_custom_id!r} is disabled")
        if component.get("type") == 2 and component.get("style") in (5, 6):
            raise EmulatorError("link and premium buttons do not send interactions")
        channel = self.world.channels[record.channel_id]
        builder = OptionBuilder(self, self.world, who.guild_id, channel)
        data = component_click_data(component, values, builder)
        rec = self._interaction_payload(
            MESSAGE_COMPONENT, who, channel, data, message=record, locale=locale, source_message_id=record.id
        )
        return await self._send_interaction(rec)

    async def select(
        self,
        member: MemberRecord | str,
        message: MessageRecord | int | Any,
        label_or_custom_id: str,
        values: list[Any],
    ) -> InteractionRecord:
        """A member picks ``values`` in a select menu (values may be option values or labels)."""
        return await self.click(member, message, label_or_custom_id, values=values)

    async def submit_modal(
        self,
        member: MemberRecord | str,
        modal: ModalRecord | InteractionRecord,
        values: dict[str, Any],
        *,
        locale: str | None = None,
    ) -> InteractionRecord:
        """A member submits a modal the bot returned (type 5); ``values`` by input custom_id or label."""
        who = self._member(member)
        if isinstance(modal, InteractionRecord):
            if modal.modal is None:
                raise EmulatorError(f"{modal!r} did not answer with a modal (response type {modal.response_type})")
            modal = modal.modal
        origin = modal.interaction
        components, resolved = modal_submission(modal, values, self)
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        source = self.world.messages.get(origin.source_message_id) if origin.source_message_id else None
        rec = self._interaction_payload(
            MODAL_SUBMIT,
            who,
            origin.channel,
            data,
            message=source,
            locale=locale,
            source_message_id=source.id if source else None,
        )
        return await self._send_interaction(rec)

    def _default_channel(self, member: MemberRecord) -> ChannelRecord:
        guild = self.world.guilds[member.guild_id]
        for cid in guild.channel_ids:
            channel = self.world.channels[cid]
            if channel.type == GUILD_TEXT and not channel.deleted:
                return channel
        raise EmulatorError("the guild has no text channel")

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        """The interaction with this token (used by webhook routes)."""
        return self._interactions_by_token.get(token)

    # -- gateway control -----------------------------------------------------------------------------------
    @property
    def gateway_compression(self) -> Compression:
        """``"auto"`` honours the client's ``compress`` query; ``"none"`` always sends plain text frames."""
        return self.gateway.compression

    @gateway_compression.setter
    def gateway_compression(self, value: Compression) -> None:
        self.gateway.compression = value

    async def force_reconnect(
        self,
        *,
        code: int = 4000,
        timeout: float = 10.0,  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        use_reconnect_opcode: bool = False,
    ) -> None:
        """Drop every gateway connection (close ``code``, or op 7) and wait until each session RESUMEs."""
        sessions = [c.session for c in self.gateway.active if c.session is not None]
        if not sessions:
            raise EmulatorError("no active gateway session to disconnect")
        for conn in self.gateway.active:
            conn.resumed = False
        if use_reconnect_opcode:
            for conn in self.gateway.active:
                conn.send({"op": 7, "d": None, "s": None, "t": None})
        else:
            await self.gateway.close_all(code=code)
        await self.gateway.wait_resumed(sessions, timeout)

    @contextlib.asynccontextmanager
    async def gateway_outage(self, *, timeout: float = 10.0) -> AsyncIterator[None]:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        """Within the block the gateway is down (connections closed, reconnects held before HELLO);
        events dispatched meanwhile are replayed when the client RESUMEs on exit."""
        sessions = [c.session for c in self.gateway.active if c.session is not None]
        self.gateway.pause()
        try:
            await self.gateway.close_all(code=4000)
            yield
        finally:
            self.gateway.resume_service()
        await self.gateway.wait_resumed(sessions, timeout)

    # -- misc ----------------------------------------------------------------------------------------------
    def set_edit_rate_limit(self, limit: int, per: float, *, advertise: bool = True) -> None:
        """Per-channel limit on message edits (default 5 per 5 s); ``advertise=False`` hides it."""
        self.limiter.rules["message_edit"] = RateLimitRule(limit, per, advertise)

    def open_dm(self, user: UserRecord) -> ChannelRecord:
        """The DM channel between the bot and ``user`` (created on first use)."""
        for channel in self.world.channels.values():
            if channel.type == DM and channel.recipient_ids == [user.id]:
                return channel
        channel = ChannelRecord(id=self.world.new_id(), type=DM, name=f"dm-{user.username}", recipient_ids=[user.id])
        self.world.channels[channel.id] = channel
        return channel

    def members_by_id(self, user_id: int) -> MemberRecord | None:
        """The default guild's member with this id."""
        return self._guild().members.get(user_id)


class _DiscordErrorHandler(logging.Handler):
    """Turns errors discord.py only logs (exceptions in views, modals, commands, events) into failures."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        super().__init__(logging.ERROR)
        self.emulator = emulator

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {record.exc_info[1]!r}"
        emulator = self.emulator
        if emulator._closed_bots and not emulator._live_bots:
            # After connect_bot() closed its bot: handlers still finishing meet closed resources.
            emulator.shutdown_errors.append(f"{record.name}: {text}")
            return
        emulator.record_failure(Failure(kind="bot_error", message=f"{record.name}: {text}"))


def _nest_options(chain: list[dict[str, Any]], leaf: list[dict[str, Any]]) -> list[dict[str, Any]]:
    options = leaf
    for sub in reversed(chain):
        options = [{"type": sub["type"], "name": sub["name"], "options": options}]
    return options


def _normalise_embed(embed: Any) -> dict[str, Any]:
    # Discord echoes embeds with a "type" and drops nulls.
    if not isinstance(embed, dict):
        return {}
    out = {k: v for k, v in embed.items() if v is not None}
    out.setdefault("type", "rich")
    if "fields" in out:
        out["fields"] = [{k: v for k, v in f.items() if v is not None} for f in out["fields"] if isinstance(f, dict)]
        for f in out["fields"]:
            f.setdefault("inline", False)
    if "color" in out:
        out["color"] = int(out["color"])
    return out


def _answer_counts(record: MessageRecord) -> list[dict[str, Any]]:
    assert record.poll is not None
    return [
        {"id": a["answer_id"], "count": len(record.poll_voters.get(a["answer_id"], [])), "me_voted": False}
        for a in record.poll["answers"]
    ]


def _check_poll(poll: dict[str, Any]) -> None:
    """Discord's documented poll limits: question ≤ 300, 1–10 answers of ≤ 55 characters, 1–768 hours."""
    errors: list[FieldError] = []
    question = (poll.get("question") or {}).get("text") or ""
    if not 1 <= len(question) <= 300:
        errors.append(FieldError(("poll", "question", "text"), "BASE_TYPE_BAD_LENGTH", "Must be 1-300 long."))
    answers = poll.get("answers") or []
    if not 1 <= len(answers) <= 10:
        errors.append(FieldError(("poll", "answers"), "BASE_TYPE_BAD_LENGTH", "Must be 1-10 in length."))
    for index, answer in enumerate(answers):
        text = (answer.get("poll_media") or {}).get("text") or ""
        if not 1 <= len(text) <= 55:
            errors.append(
                FieldError(("poll", "answers", str(index), "poll_media", "text"), "BASE_TYPE_BAD_LENGTH", "1-55.")
            )
    duration = poll.get("duration", 24)
    # discord.py sends hours as a float (2.0); Discord takes any integral number.
    if not isinstance(duration, int | float) or duration != int(duration) or not 1 <= duration <= 768:
        errors.append(FieldError(("poll", "duration"), "NUMBER_TYPE_MAX", "Must be between 1 and 768."))
    if errors:
        raise invalid_form_body(errors)


def _poll_payload(poll: dict[str, Any], now: float) -> dict[str, Any]:
    from .util import iso

    answers = []
    for index, answer in enumerate(poll.get("answers") or [], start=1):
        answers.append({"answer_id": index, "poll_media": answer.get("poll_media") or {}})
    return {
        "question": poll.get("question") or {},
        "answers": answers,
        "expiry": iso(now + 3600 * int(poll.get("duration") or 24)),  # integral, checked by _check_poll
        "allow_multiselect": bool(poll.get("allow_multiselect")),
        "layout_type": poll.get("layout_type") or 1,
        "results": {"is_finalized": False, "answer_counts": []},
    }


def _guess_type(filename: str, given: str | None) -> str | None:
    import mimetypes

    if given and given != "application/octet-stream":
        return given
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or given
