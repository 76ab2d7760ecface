"""REST routes of the emulator (``/api/v10``), each mapped to its OpenAPI path template.

Every request goes through :meth:`RestApi._run`: body parsing, logging, auth, rate limits, validation
(OpenAPI schema + documented limits), then the handler. To emulate a new route, add a handler decorated with
``@route(METHOD, "/spec/path/{template}")``; anything not registered answers 404 and records a failure.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from .errors import ApiError, Failure, FieldError, invalid_form_body, not_found
from .gateway import (
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
)
from .interactions import (
    ALLOWED_CALLBACKS,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    CallbackRecord,
    InteractionRecord,
    ModalRecord,
)
from .spec import Spec
from .state import (
    DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    GUILD_ANNOUNCEMENT,
    GUILD_TEXT,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    ChannelRecord,
    MessageRecord,
    Overwrite,
)
from .util import PERMISSIONS, iso

if TYPE_CHECKING:
    from .emulator import DiscordEmulator, RequestRecord


@dataclass
class Ctx:
    """What a handler receives."""

    request: web.Request
    record: RequestRecord
    params: dict[str, str]

    @property
    def body(self) -> Any:
        """The JSON body (or multipart ``payload_json``)."""
        return self.record.json

    @property
    def files(self) -> list[Any]:
        """Uploaded ``files[n]`` parts."""
        return self.record.files

    def int(self, name: str) -> int:
        """A path parameter as an int (404 when it is not a snowflake)."""
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(404, 0, "404: Not Found") from None


@dataclass
class Reply:
    """Status and JSON body of a handler's answer."""

    status: int = 200
    body: Any = None


Handler = Callable[["RestApi", Ctx], Awaitable[Reply]]
PointerFn = Callable[["RestApi", Ctx], "str | None"]
LimitsFn = Callable[["RestApi", Ctx], list[FieldError]]


@dataclass
class RouteDef:
    """One emulated route."""

    method: str
    template: str
    handler: Handler
    auth: bool = True
    ratelimited: bool = True
    bucket: str | None = None
    pointer: PointerFn | None = None
    limits: LimitsFn | None = None
    schema_from_spec: bool = True


_ROUTES: list[RouteDef] = []


def route(
    method: str,
    template: str,
    *,
    auth: bool = True,
    ratelimited: bool = True,
    bucket: str | None = None,
    pointer: PointerFn | None = None,
    check: LimitsFn | None = None,
    schema_from_spec: bool = True,
) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` on the OpenAPI path ``template``."""

    def decorate(fn: Handler) -> Handler:
        _ROUTES.append(RouteDef(method, template, fn, auth, ratelimited, bucket, pointer, check, schema_from_spec))
        return fn

    return decorate


def _message_limits(_api: RestApi, ctx: Ctx) -> list[FieldError]:
    return limits.check_message(ctx.body)


def _callback_pointer(api: RestApi, ctx: Ctx) -> str | None:
    # Validate against the branch the "type" discriminator names, for precise errors.
    body = ctx.body if isinstance(ctx.body, dict) else {}
    names = {
        1: "PongInteractionCallbackRequest",
        4: "CreateMessageInteractionCallbackRequest",
        5: "CreateMessageInteractionCallbackRequest",
        6: "UpdateMessageInteractionCallbackRequest",
        7: "UpdateMessageInteractionCallbackRequest",
        8: "ApplicationCommandAutocompleteCallbackRequest",
        9: "ModalInteractionCallbackRequest",
    }
    name = names.get(body.get("type")) if isinstance(body.get("type"), int) else None
    if name is None or api.spec is None or name not in api.spec.schemas:
        return api.default_pointer(ctx)
    return Spec.schema_pointer(name)


def _callback_limits(_api: RestApi, ctx: Ctx) -> list[FieldError]:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    kind = body.get("type")
    data = body.get("data")
    if kind in (4, 5, 7):
        return limits.check_message(data, base=("data",))
    if kind == 9:
        return limits.check_modal(data)
    if kind == 8 and isinstance(data, dict):
        choices = data.get("choices") or []
        errors: list[FieldError] = []
        if len(choices) > 25:
            errors.append(FieldError(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for i, choice in enumerate(choices):
            if isinstance(choice, dict) and not (1 <= len(str(choice.get("name") or "")) <= 100):
                errors.append(
                    FieldError(
                        ("data", "choices", i, "name"),
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    )
                )
        return errors
    return []


def _channel_patch_pointer(api: RestApi, ctx: Ctx) -> str | None:
    channel = api.emu.world.channels.get(int(ctx.params.get("channel_id", "0") or 0))
    name = (
        "UpdateThreadRequestPartial"
        if channel is not None and channel.is_thread
        else "UpdateGuildChannelRequestPartial"
    )
    if api.spec is None or name not in api.spec.schemas:
        return api.default_pointer(ctx)
    return Spec.schema_pointer(name)


def _webhook_execute_pointer(api: RestApi, ctx: Ctx) -> str | None:
    if api.spec is None or "IncomingWebhookRequestPartial" not in api.spec.schemas:
        return api.default_pointer(ctx)
    return Spec.schema_pointer("IncomingWebhookRequestPartial")


def _thread_limits_required(_api: RestApi, ctx: Ctx) -> list[FieldError]:
    return limits.check_thread_name(ctx.body, required=True)


def _thread_limits_optional(_api: RestApi, ctx: Ctx) -> list[FieldError]:
    return limits.check_thread_name(ctx.body, required=False)


def _command_list_limits(_api: RestApi, ctx: Ctx) -> list[FieldError]:
    return limits.check_command_list(ctx.body)


def _command_limits(_api: RestApi, ctx: Ctx) -> list[FieldError]:
    return limits.check_command(ctx.body)


class RestApi:
    """Route table and handlers; state lives in the emulator."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu

    @property
    def spec(self) -> Spec | None:
        """The loaded OpenAPI description (None when absent)."""
        return self.emu.spec

    @property
    def world(self) -> Any:
        """The emulator's state."""
        return self.emu.world

    def register(self, router: web.UrlDispatcher) -> None:
        """Add every route to an aiohttp router (literal segments like ``@original`` first)."""
        ordered = sorted(_ROUTES, key=lambda r: sum(1 for part in r.template.split("/") if part.startswith("{")))
        for definition in ordered:
            router.add_route(definition.method, "/api/v10" + definition.template, self._wrap(definition))

    def default_pointer(self, ctx: Ctx) -> str | None:
        """The operation's request body schema for the request's content type."""
        if self.spec is None:
            return None
        ctype = "multipart/form-data" if ctx.request.content_type == "multipart/form-data" else "application/json"
        return self.spec.request_pointer(
            ctx.record.route, ctx.record.method, ctype if ctype == "application/json" else "application/json"
        )

    def _wrap(self, definition: RouteDef) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._run(definition, request)

        return handle

    async def _run(self, definition: RouteDef, request: web.Request) -> web.StreamResponse:
        from .emulator import RequestRecord, json_response

        emu = self.emu
        params = dict(request.match_info)
        record = RequestRecord(
            method=request.method,
            path=request.path.removeprefix("/api/v10"),
            route=definition.template,
            params=params,
            query=dict(request.query),
            reason=request.headers.get("X-Audit-Log-Reason"),
        )
        emu.requests.append(record)
        ctx = Ctx(request=request, record=record, params=params)
        headers: dict[str, str] = {}
        try:
            await emu.read_body(request, record)
            if definition.auth and request.headers.get("Authorization") != f"Bot {emu.token}":
                raise ApiError(401, 0, "401: Unauthorized")

            def limited(retry_after: float) -> web.Response:
                record.status = 429
                emu.rate_limited.append(record)
                message = "You are being rate limited."
                body = {"message": message, "retry_after": retry_after, "global": False, "code": 0}
                record.response = body
                headers["Via"] = "1.1 google"
                headers["Retry-After"] = str(math.ceil(retry_after))
                emu.notify()
                return json_response(429, body, headers)

            if definition.ratelimited:
                major = params.get("channel_id") or params.get("guild_id") or params.get("webhook_id") or ""
                bucket = definition.bucket or f"{definition.method} {definition.template}"
                decision = emu.limiter.check(bucket, major)
                headers.update(decision.headers)
                if decision.limited:
                    return limited(decision.retry_after)
            if definition.template.endswith("/callback") and emu.callbacks_to_limit > 0:
                emu.callbacks_to_limit -= 1
                return limited(emu.callback_retry_after)
            if record.json is not None:
                pointer = None
                if definition.schema_from_spec:
                    pointer = definition.pointer(self, ctx) if definition.pointer else self.default_pointer(ctx)
                extra = definition.limits(self, ctx) if definition.limits else []
                emu.validate(pointer, record.json, extra)
            elif definition.limits is not None and request.method in ("POST", "PUT", "PATCH"):
                # No body at all: the documented limits still apply (a thread needs a name...).
                record.json = {}
                extra = definition.limits(self, ctx)
                record.json = None
                emu.validate(None, {}, extra)
            gate = emu.gate_for(record)
            if gate is not None and gate.stage == "before":
                await gate.hold(record)
                if not gate.deliver:
                    record.status = 0  # lost on the way: Discord never saw it
                    if request.transport is not None:
                        request.transport.close()
                    return web.Response(status=503)
            reply = await definition.handler(self, ctx)
            if gate is not None and gate.stage == "after":
                await gate.hold(record)
        except ApiError as error:
            return self._error_response(error, record, headers)
        except Exception as exc:
            # An emulator bug: answer 400 (discord.py retries a 500 for ~25 s) and fail the test.
            error = ApiError(400, 0, f"emulator internal error: {exc!r}", failure="emulator_error")
            return self._error_response(error, record, headers, traceback.format_exc())
        record.status = reply.status
        record.response = reply.body
        emu.notify()
        return json_response(reply.status, reply.body, headers)

    def _error_response(
        self, error: ApiError, record: RequestRecord, headers: dict[str, str], detail: str = ""
    ) -> web.StreamResponse:
        from .emulator import json_response

        record.status = error.status
        record.response = error.payload()
        if error.failure:
            self.emu.record_failure(
                Failure(
                    kind=error.failure,
                    message=error.message + (f"\n{detail}" if detail else ""),
                    method=record.method,
                    path=record.path,
                    status=error.status,
                    code=error.code,
                    errors=error.errors,
                    body=record.json,
                )
            )
        self.emu.notify()
        return json_response(error.status, error.payload(), headers)

    # -- helpers -------------------------------------------------------------------------------------------
    def channel(self, ctx: Ctx, name: str = "channel_id") -> ChannelRecord:
        """The path's channel or 404 Unknown Channel."""
        channel = self.world.channels.get(ctx.int(name))
        if channel is None or channel.deleted:
            raise not_found(10003, "Channel")
        return channel

    def message_in(self, channel: ChannelRecord, message_id: int) -> MessageRecord:
        """A visible (non-ephemeral, not deleted) message of ``channel`` or 404 Unknown Message."""
        message = self.world.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            raise not_found(10008, "Message")
        return message

    def guild(self, ctx: Ctx) -> Any:
        """The path's guild (the bot must be in it) or 404 Unknown Guild."""
        guild = self.world.guilds.get(ctx.int("guild_id"))
        if guild is None or self.world.bot_user.id not in guild.members:
            raise not_found(10004, "Guild")
        return guild

    def check_app(self, ctx: Ctx) -> None:
        """``application_id`` must be ours."""
        if ctx.int("application_id") != self.world.application_id:
            raise not_found(10002, "Application")

    def readable(self, channel: ChannelRecord) -> None:
        """The bot must see the channel and read its history."""
        self.emu.require(channel, "view_channel", "read_message_history")

    def send_permission(self, channel: ChannelRecord, body: dict[str, Any], files: list[Any]) -> None:
        """The bot may post here: SEND_MESSAGES(_IN_THREADS), ATTACH_FILES; DMs need an open DM."""
        if channel.type == DM:
            user_id = channel.recipient_ids[0] if channel.recipient_ids else 0
            guild = self.emu.guild
            member = guild.members.get(user_id) if guild else None
            if member is not None and not member.dms_open:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        needed = ["send_messages_in_threads" if channel.is_thread else "send_messages"]
        if files or (isinstance(body, dict) and any(isinstance(a, dict) for a in body.get("attachments") or [])):
            needed.append("attach_files")
        if isinstance(body, dict) and body.get("poll"):
            needed.append("send_polls")
        self.emu.require(channel, *needed)

    def ensure_thread_open(self, channel: ChannelRecord, *, unarchive: bool) -> None:
        """Archived threads: locked → 400 50083; otherwise unarchive on send like Discord."""
        if not channel.is_thread or not channel.archived:
            return
        if channel.locked and not self.world.bot_permissions(channel) & PERMISSIONS["manage_threads"]:
            raise ApiError(400, 50083, "Thread is archived")
        if unarchive:
            channel.archived = False
            channel.archive_timestamp = self.world.now()
            self.emu.dispatch_channel("THREAD_UPDATE", channel)
        else:
            raise ApiError(400, 50083, "Thread is archived")

    def strip_embeds_without_permission(self, channel: ChannelRecord, body: dict[str, Any]) -> dict[str, Any]:
        """Without EMBED_LINKS, Discord posts the message but drops its embeds."""
        if channel.type == DM or not isinstance(body, dict) or not body.get("embeds"):
            return body
        if self.world.bot_permissions(channel) & PERMISSIONS["embed_links"]:
            return body
        return {**body, "embeds": []}

    # ======================================================================================================
    # gateway, users, application
    # ======================================================================================================
    @route("GET", "/gateway", auth=False)
    async def get_gateway(self, ctx: Ctx) -> Reply:
        """GET /gateway."""
        return Reply(body={"url": self.emu.gateway_url})

    @route("GET", "/gateway/bot")
    async def get_gateway_bot(self, ctx: Ctx) -> Reply:
        """GET /gateway/bot (AutoShardedBot)."""
        return Reply(
            body={
                "url": self.emu.gateway_url,
                "shards": self.emu.gateway.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": self.emu.gateway.max_concurrency,
                },
            }
        )

    @route("GET", "/users/@me")
    async def get_me(self, ctx: Ctx) -> Reply:
        """GET /users/@me (login)."""
        body = self.world.user_payload(self.world.bot_user)
        body.update({"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None, "premium_type": 0})
        return Reply(body=body)

    @route("GET", "/users/{user_id}")
    async def get_user(self, ctx: Ctx) -> Reply:
        """GET /users/{id}."""
        user = self.world.users.get(ctx.int("user_id"))
        if user is None:
            raise not_found(10013, "User")
        return Reply(body=self.world.user_payload(user))

    @route("GET", "/users/@me/guilds")
    async def get_my_guilds(self, ctx: Ctx) -> Reply:
        """GET /users/@me/guilds."""
        out = []
        for guild in self.world.guilds.values():
            if self.world.bot_user.id in guild.members:
                member = guild.members[self.world.bot_user.id]
                out.append(
                    {
                        "id": str(guild.id),
                        "name": guild.name,
                        "icon": None,
                        "banner": None,
                        "owner": False,
                        "permissions": str(self.world.base_permissions(guild, member)),
                        "features": guild.features,
                    }
                )
        return Reply(body=out)

    @route("POST", "/users/@me/channels")
    async def create_dm(self, ctx: Ctx) -> Reply:
        """POST /users/@me/channels (open a DM)."""
        user = self.world.users.get(int((ctx.body or {}).get("recipient_id") or 0))
        if user is None:
            raise not_found(10013, "User")
        return Reply(body=self.world.channel_payload(self.emu.open_dm(user)))

    def _application(self) -> dict[str, Any]:
        world = self.world
        return {
            "id": str(world.application_id),
            "name": world.bot_user.username,
            "icon": None,
            "description": "Tribune (emulated)",
            "type": None,
            "bot": world.user_payload(world.bot_user),
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.emu.application_flags,
            "flags_new": str(self.emu.application_flags),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": world.user_payload(world.owner_user),
            "approximate_guild_count": len(world.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "summary": "",
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
            "integration_types_config": {"0": {}},
            "tags": [],
        }

    @route("GET", "/oauth2/applications/@me")
    async def get_application_oauth(self, ctx: Ctx) -> Reply:
        """GET /oauth2/applications/@me (Client.application_info)."""
        return Reply(body=self._application())

    @route("GET", "/applications/@me")
    async def get_application(self, ctx: Ctx) -> Reply:
        """GET /applications/@me."""
        return Reply(body=self._application())

    # ======================================================================================================
    # guilds
    # ======================================================================================================
    @route("GET", "/guilds/{guild_id}")
    async def get_guild(self, ctx: Ctx) -> Reply:
        """GET /guilds/{id}."""
        guild = self.guild(ctx)
        body = self.world.guild_payload(guild)
        if ctx.record.query.get("with_counts") in ("true", "1", "True"):
            body["approximate_member_count"] = len(guild.members)
            body["approximate_presence_count"] = 0
        return Reply(body=body)

    @route("GET", "/guilds/{guild_id}/channels")
    async def get_guild_channels(self, ctx: Ctx) -> Reply:
        """GET /guilds/{id}/channels (threads excluded, like Discord)."""
        guild = self.guild(ctx)
        channels = [self.world.channels[c] for c in guild.channel_ids]
        return Reply(body=[self.world.channel_payload(c) for c in channels if not c.is_thread and not c.deleted])

    @route("GET", "/guilds/{guild_id}/roles")
    async def get_roles(self, ctx: Ctx) -> Reply:
        """GET /guilds/{id}/roles."""
        guild = self.guild(ctx)
        return Reply(body=[self.world.role_payload(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)])

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def get_member(self, ctx: Ctx) -> Reply:
        """GET /guilds/{id}/members/{user}."""
        guild = self.guild(ctx)
        member = guild.members.get(ctx.int("user_id"))
        if member is None:
            raise not_found(10007, "Member")
        return Reply(body=self.world.member_payload(member))

    @route("GET", "/guilds/{guild_id}/members")
    async def list_members(self, ctx: Ctx) -> Reply:
        """GET /guilds/{id}/members?limit&after."""
        guild = self.guild(ctx)
        limit = int(ctx.record.query.get("limit", "1"))
        after = int(ctx.record.query.get("after", "0"))
        if not 1 <= limit <= 1000:
            raise invalid_form_body([FieldError(("limit",), "NUMBER_TYPE_MAX", "Must be between 1 and 1000.")])
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)[:limit]
        return Reply(body=[self.world.member_payload(m) for m in members])

    def _member_role(self, ctx: Ctx) -> tuple[Any, Any, Any]:
        guild = self.guild(ctx)
        member = guild.members.get(ctx.int("user_id"))
        if member is None:
            raise not_found(10007, "Member")
        role = guild.roles.get(ctx.int("role_id"))
        if role is None or role.id == guild.id:
            raise not_found(10011, "Role")
        bot = guild.members[self.world.bot_user.id]
        if not self.world.base_permissions(guild, bot) & PERMISSIONS["manage_roles"]:
            raise ApiError(403, 50013, "Missing Permissions")
        top = max((guild.roles[r].position for r in bot.roles if r in guild.roles), default=0)
        if role.position >= top or role.managed:
            # Discord: a bot can only manage roles below its own highest role.
            raise ApiError(403, 50013, "Missing Permissions")
        return guild, member, role

    def _member_updated(self, guild: Any, member: Any) -> None:
        data = {**self.world.member_payload(member), "guild_id": str(guild.id)}
        self.emu.gateway.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=guild.id, intent=INTENT_GUILD_MEMBERS)

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def add_member_role(self, ctx: Ctx) -> Reply:
        """PUT /guilds/{id}/members/{user}/roles/{role} (MANAGE_ROLES, role below the bot's)."""
        guild, member, role = self._member_role(ctx)
        if role.id not in member.roles:
            member.roles.append(role.id)
            self._member_updated(guild, member)
        return Reply(204)

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def remove_member_role(self, ctx: Ctx) -> Reply:
        """DELETE /guilds/{id}/members/{user}/roles/{role}."""
        guild, member, role = self._member_role(ctx)
        if role.id in member.roles:
            member.roles.remove(role.id)
            self._member_updated(guild, member)
        return Reply(204)

    @route("GET", "/guilds/{guild_id}/threads/active")
    async def active_threads(self, ctx: Ctx) -> Reply:
        """GET /guilds/{id}/threads/active."""
        guild = self.guild(ctx)
        threads = [
            self.world.channels[c]
            for c in guild.channel_ids
            if self.world.channels[c].is_thread
            and not self.world.channels[c].archived
            and not self.world.channels[c].deleted
        ]
        bot_id = self.world.bot_user.id
        return Reply(
            body={
                "threads": [self.world.thread_payload(t) for t in threads],
                "members": [
                    {"id": str(t.id), "user_id": str(bot_id), "join_timestamp": iso(t.created_at), "flags": 0}
                    for t in threads
                    if bot_id in t.member_ids
                ],
            }
        )

    # ======================================================================================================
    # channels
    # ======================================================================================================
    @route("GET", "/channels/{channel_id}")
    async def get_channel(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}."""
        channel = self.channel(ctx)
        if channel.type != DM:
            self.emu.require(channel, "view_channel")
        return Reply(body=self.world.channel_payload(channel))

    @route("PATCH", "/channels/{channel_id}", pointer=_channel_patch_pointer, check=_thread_limits_optional)
    async def patch_channel(self, ctx: Ctx) -> Reply:
        """PATCH /channels/{id}: rename, archive/unarchive/lock threads, topic/slowmode of channels."""
        channel = self.channel(ctx)
        body = ctx.body or {}
        bot_perms = self.world.bot_permissions(channel)
        if not bot_perms & PERMISSIONS["view_channel"]:
            raise ApiError(403, 50001, "Missing Access")
        if channel.is_thread:
            manage = bool(bot_perms & PERMISSIONS["manage_threads"])
            owner = channel.owner_id == self.world.bot_user.id
            if "locked" in body and not manage:
                raise ApiError(403, 50013, "Missing Permissions")
            if not (manage or owner) and set(body) - {"archived"}:
                raise ApiError(403, 50013, "Missing Permissions")
            if channel.locked and not manage:
                raise ApiError(403, 50013, "Missing Permissions")
            if body.get("archived") is False and not (manage or bot_perms & PERMISSIONS["send_messages_in_threads"]):
                raise ApiError(403, 50013, "Missing Permissions")
            for key in ("name", "locked", "invitable", "rate_limit_per_user", "auto_archive_duration"):
                if body.get(key) is not None:
                    setattr(channel, key, body[key])
            if body.get("archived") is not None and body["archived"] != channel.archived:
                channel.archived = bool(body["archived"])
                channel.archive_timestamp = self.world.now()
            self.emu.dispatch_channel("THREAD_UPDATE", channel)
        else:
            if not bot_perms & PERMISSIONS["manage_channels"]:
                raise ApiError(403, 50013, "Missing Permissions")
            for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position", "parent_id"):
                if key in body:
                    setattr(channel, key, body[key])
            if isinstance(body.get("permission_overwrites"), list):
                channel.overwrites = {
                    int(o["id"]): Overwrite(
                        int(o["id"]), int(o.get("type", 0)), int(o.get("allow") or 0), int(o.get("deny") or 0)
                    )
                    for o in body["permission_overwrites"]
                }
            self.emu.dispatch_channel("CHANNEL_UPDATE", channel)
        return Reply(body=self.world.channel_payload(channel))

    @route("DELETE", "/channels/{channel_id}")
    async def delete_channel(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}: a thread (MANAGE_THREADS) or channel (MANAGE_CHANNELS); closes a DM."""
        channel = self.channel(ctx)
        payload = self.world.channel_payload(channel)
        if channel.type == DM:
            return Reply(body=payload)
        self.emu.require(channel, "manage_threads" if channel.is_thread else "manage_channels")
        channel.deleted = True
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(channel.guild_id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            self.emu.gateway.dispatch("THREAD_DELETE", data, guild_id=channel.guild_id, intent=INTENT_GUILDS)
        else:
            self.emu.gateway.dispatch("CHANNEL_DELETE", payload, guild_id=channel.guild_id, intent=INTENT_GUILDS)
        return Reply(body=payload)

    @route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def put_overwrite(self, ctx: Ctx) -> Reply:
        """PUT /channels/{id}/permissions/{target} (MANAGE_ROLES)."""
        channel = self.channel(ctx)
        self.emu.require(channel, "manage_roles")
        body = ctx.body or {}
        target = ctx.int("overwrite_id")
        channel.overwrites[target] = Overwrite(
            target, int(body.get("type", 0) or 0), int(body.get("allow") or 0), int(body.get("deny") or 0)
        )
        self.emu.dispatch_channel("CHANNEL_UPDATE", channel)
        return Reply(204)

    @route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def delete_overwrite(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}/permissions/{target}."""
        channel = self.channel(ctx)
        self.emu.require(channel, "manage_roles")
        channel.overwrites.pop(ctx.int("overwrite_id"), None)
        self.emu.dispatch_channel("CHANNEL_UPDATE", channel)
        return Reply(204)

    @route("POST", "/channels/{channel_id}/typing")
    async def typing(self, ctx: Ctx) -> Reply:
        """POST /channels/{id}/typing."""
        channel = self.channel(ctx)
        if channel.type != DM:
            self.emu.require(channel, "send_messages_in_threads" if channel.is_thread else "send_messages")
        return Reply(204)

    # ======================================================================================================
    # messages
    # ======================================================================================================
    @route("GET", "/channels/{channel_id}/messages")
    async def list_messages(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/messages?limit&before&after&around (newest first, like Discord)."""
        channel = self.channel(ctx)
        if channel.type != DM:
            self.emu.require(channel, "view_channel")
            if not self.world.bot_permissions(channel) & PERMISSIONS["read_message_history"]:
                return Reply(body=[])  # Discord: no READ_MESSAGE_HISTORY means no messages, not an error
        query = ctx.record.query
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            raise invalid_form_body(
                [FieldError(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")]
            )
        ids = sorted(channel.message_ids)
        if "around" in query:
            pivot = int(query["around"])
            older = [m for m in ids if m < pivot][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in ids if m >= pivot][: limit - len(older)]
            chosen = older + newer
        elif "after" in query:
            after = int(query["after"])
            chosen = [m for m in ids if m > after][:limit]
        elif "before" in query:
            before = int(query["before"])
            chosen = [m for m in ids if m < before][-limit:]
        else:
            chosen = ids[-limit:]
        messages = [self.world.messages[m] for m in reversed(chosen)]
        return Reply(body=[self.world.message_payload(m) for m in messages])

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_message(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/messages/{mid}."""
        channel = self.channel(ctx)
        if channel.type != DM:
            self.readable(channel)
        return Reply(body=self.world.message_payload(self.message_in(channel, ctx.int("message_id"))))

    @route("POST", "/channels/{channel_id}/messages", check=_message_limits)
    async def create_message(self, ctx: Ctx) -> Reply:
        """POST /channels/{id}/messages (JSON or multipart with files)."""
        channel = self.channel(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        self.send_permission(channel, body, ctx.files)
        self.ensure_thread_open(channel, unarchive=True)
        if body.get("message_reference") and channel.type != DM:
            self.emu.require(channel, "read_message_history")
        body = self.strip_embeds_without_permission(channel, body)
        message = self.emu.create_message(channel, self.world.bot_user, body, ctx.files)
        return Reply(body=self.world.message_payload(message, with_nonce=True))

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}", bucket="message_edit", check=_message_limits)
    async def edit_message(self, ctx: Ctx) -> Reply:
        """PATCH /channels/{id}/messages/{mid}: only the bot's own messages; 30046 switch for old ones."""
        channel = self.channel(ctx)
        message = self.message_in(channel, ctx.int("message_id"))
        body = ctx.body if isinstance(ctx.body, dict) else {}
        if message.author.id != self.world.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.ensure_thread_open(channel, unarchive=False)
        if self.emu.fail_old_message_edits and self.world.now() - message.timestamp > 3600:
            raise ApiError(
                400, 30046, "Maximum number of edits to messages older than 1 hour reached. Try again later."
            )
        body = self.strip_embeds_without_permission(channel, body)
        self.emu.edit_message(message, body, ctx.files)
        return Reply(body=self.world.message_payload(message))

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}/messages/{mid}: own messages, or MANAGE_MESSAGES."""
        channel = self.channel(ctx)
        message = self.message_in(channel, ctx.int("message_id"))
        if message.author.id != self.world.bot_user.id and channel.type != DM:
            self.emu.require(channel, "manage_messages")
        self.emu.delete_message_record(message)
        return Reply(204)

    @route("POST", "/channels/{channel_id}/messages/bulk-delete")
    async def bulk_delete(self, ctx: Ctx) -> Reply:
        """POST /channels/{id}/messages/bulk-delete (2–100 messages, MANAGE_MESSAGES)."""
        channel = self.channel(ctx)
        self.emu.require(channel, "manage_messages")
        ids = [int(m) for m in (ctx.body or {}).get("messages") or []]
        if not 2 <= len(ids) <= 100:
            raise invalid_form_body(
                [FieldError(("messages",), "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")]
            )
        found = [self.message_in(channel, mid) for mid in ids]
        for message in found:
            message.deleted = True
            if message.id in channel.message_ids:
                channel.message_ids.remove(message.id)
        data = {
            "ids": [str(m) for m in ids],
            "channel_id": str(channel.id),
            "guild_id": str(channel.guild_id),
        }
        self.emu.gateway.dispatch("MESSAGE_DELETE_BULK", data, guild_id=channel.guild_id, intent=INTENT_GUILD_MESSAGES)
        return Reply(204)

    # -- native polls --------------------------------------------------------------------------------------
    def _native_poll(self, ctx: Ctx) -> MessageRecord:
        channel = self.channel(ctx)
        if channel.type != DM:
            self.readable(channel)
        message = self.message_in(channel, ctx.int("message_id"))
        if message.poll is None:
            raise ApiError(400, 520000, "Poll not found")  # Discord's code for a message without a poll
        return message

    @route("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}")
    async def poll_answer_voters(self, ctx: Ctx) -> Reply:
        """GET .../polls/{mid}/answers/{aid}?after&limit (1–100, default 25): voters by ascending id."""
        message = self._native_poll(ctx)
        answer_id = ctx.int("answer_id")
        if answer_id not in {a["answer_id"] for a in message.poll["answers"]}:  # type: ignore[index]
            raise ApiError(404, 10018, "Unknown answer")
        query = ctx.record.query
        try:
            limit = int(query.get("limit", "25"))
            after = int(query.get("after", "0"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            raise invalid_form_body(
                [FieldError(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")]
            )
        users = sorted(u for u in message.poll_voters.get(answer_id, []) if u > after)[:limit]
        return Reply(body={"users": [self.world.user_payload(self.world.users[u]) for u in users]})

    @route("POST", "/channels/{channel_id}/polls/{message_id}/expire")
    async def expire_poll(self, ctx: Ctx) -> Reply:
        """POST .../polls/{mid}/expire: only the poll's author, once; the message comes back finalized."""
        message = self._native_poll(ctx)
        if message.author.id != self.world.bot_user.id:
            raise ApiError(403, 50005, "Cannot execute action on a message authored by another user")
        if message.poll["results"]["is_finalized"]:  # type: ignore[index]
            raise ApiError(400, 520001, "Poll expired")
        self.emu.finalize_native_poll(message)
        return Reply(body=self.world.message_payload(message))

    # -- reactions -----------------------------------------------------------------------------------------
    def _reaction_target(self, ctx: Ctx) -> tuple[ChannelRecord, MessageRecord, str]:
        channel = self.channel(ctx)
        message = self.message_in(channel, ctx.int("message_id"))
        return channel, message, ctx.params["emoji_name"]

    def _dispatch_reaction(self, event: str, message: MessageRecord, user_id: int, emoji: str) -> None:
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        self.emu.gateway.dispatch(event, data, guild_id=message.guild_id, intent=INTENT_GUILD_MESSAGE_REACTIONS)

    @route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
    async def add_reaction(self, ctx: Ctx) -> Reply:
        """PUT .../reactions/{emoji}/@me (ADD_REACTIONS for a new emoji)."""
        channel, message, emoji = self._reaction_target(ctx)
        if channel.type != DM:
            self.readable(channel)
            if emoji not in message.reactions:
                self.emu.require(channel, "add_reactions")
        users = message.reactions.setdefault(emoji, [])
        if self.world.bot_user.id not in users:
            users.append(self.world.bot_user.id)
            self._dispatch_reaction("MESSAGE_REACTION_ADD", message, self.world.bot_user.id, emoji)
        return Reply(204)

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
    async def remove_own_reaction(self, ctx: Ctx) -> Reply:
        """DELETE .../reactions/{emoji}/@me."""
        _, message, emoji = self._reaction_target(ctx)
        users = message.reactions.get(emoji, [])
        if self.world.bot_user.id in users:
            users.remove(self.world.bot_user.id)
            self._dispatch_reaction("MESSAGE_REACTION_REMOVE", message, self.world.bot_user.id, emoji)
        return Reply(204)

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}")
    async def remove_reaction(self, ctx: Ctx) -> Reply:
        """DELETE .../reactions/{emoji}/{user} (MANAGE_MESSAGES)."""
        channel, message, emoji = self._reaction_target(ctx)
        self.emu.require(channel, "manage_messages")
        user_id = ctx.int("user_id")
        users = message.reactions.get(emoji, [])
        if user_id in users:
            users.remove(user_id)
            self._dispatch_reaction("MESSAGE_REACTION_REMOVE", message, user_id, emoji)
        return Reply(204)

    @route("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")
    async def reaction_users(self, ctx: Ctx) -> Reply:
        """GET .../reactions/{emoji}?limit&after."""
        _, message, emoji = self._reaction_target(ctx)
        after = int(ctx.record.query.get("after", "0"))
        limit = int(ctx.record.query.get("limit", "25"))
        users = sorted(u for u in message.reactions.get(emoji, []) if u > after)[:limit]
        return Reply(body=[self.world.user_payload(self.world.users[u]) for u in users])

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions")
    async def clear_reactions(self, ctx: Ctx) -> Reply:
        """DELETE .../reactions (MANAGE_MESSAGES)."""
        channel = self.channel(ctx)
        message = self.message_in(channel, ctx.int("message_id"))
        self.emu.require(channel, "manage_messages")
        message.reactions.clear()
        return Reply(204)

    # -- pins ----------------------------------------------------------------------------------------------
    def _pin(self, ctx: Ctx, pinned: bool) -> Reply:
        channel = self.channel(ctx)
        message = self.message_in(channel, ctx.int("message_id"))
        if channel.type != DM:
            value = self.world.bot_permissions(channel)
            if not value & PERMISSIONS["view_channel"]:
                raise ApiError(403, 50001, "Missing Access")
            if not value & (PERMISSIONS["manage_messages"] | PERMISSIONS["pin_messages"]):
                raise ApiError(403, 50013, "Missing Permissions")
        message.pinned = pinned
        self.emu.dispatch_message("MESSAGE_UPDATE", message)
        return Reply(204)

    @route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
    async def pin(self, ctx: Ctx) -> Reply:
        """PUT /channels/{id}/messages/pins/{mid}."""
        return self._pin(ctx, True)

    @route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
    async def unpin(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}/messages/pins/{mid}."""
        return self._pin(ctx, False)

    @route("PUT", "/channels/{channel_id}/pins/{message_id}")
    async def pin_legacy(self, ctx: Ctx) -> Reply:
        """PUT /channels/{id}/pins/{mid} (older route)."""
        return self._pin(ctx, True)

    @route("DELETE", "/channels/{channel_id}/pins/{message_id}")
    async def unpin_legacy(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}/pins/{mid} (older route)."""
        return self._pin(ctx, False)

    @route("GET", "/channels/{channel_id}/messages/pins")
    async def list_pins(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/messages/pins."""
        channel = self.channel(ctx)
        pinned = [self.world.messages[m] for m in reversed(channel.message_ids) if self.world.messages[m].pinned]
        items = [{"pinned_at": iso(m.timestamp), "message": self.world.message_payload(m)} for m in pinned]
        return Reply(body={"items": items, "has_more": False})

    @route("GET", "/channels/{channel_id}/pins")
    async def list_pins_legacy(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/pins (older route)."""
        channel = self.channel(ctx)
        pinned = [self.world.messages[m] for m in reversed(channel.message_ids) if self.world.messages[m].pinned]
        return Reply(body=[self.world.message_payload(m) for m in pinned])

    # ======================================================================================================
    # threads
    # ======================================================================================================
    @route("POST", "/channels/{channel_id}/messages/{message_id}/threads", check=_thread_limits_required)
    async def thread_from_message(self, ctx: Ctx) -> Reply:
        """POST /channels/{id}/messages/{mid}/threads (CREATE_PUBLIC_THREADS; thread id = message id)."""
        channel = self.channel(ctx)
        if channel.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message = self.message_in(channel, ctx.int("message_id"))
        self.emu.require(channel, "create_public_threads")
        if message.thread_id is not None and not self.world.channels[message.thread_id].deleted:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = ctx.body or {}
        thread = self.emu.create_thread(
            channel,
            body["name"],
            self.world.bot_user,
            type=10 if channel.type == GUILD_ANNOUNCEMENT else PUBLIC_THREAD,
            starter=message,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        return Reply(201, self.world.thread_payload(thread, member_for=self.world.bot_user.id))

    @route("POST", "/channels/{channel_id}/threads", check=_thread_limits_required)
    async def thread_without_message(self, ctx: Ctx) -> Reply:
        """POST /channels/{id}/threads (public: CREATE_PUBLIC_THREADS, private: CREATE_PRIVATE_THREADS)."""
        channel = self.channel(ctx)
        if channel.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        body = ctx.body or {}
        kind = int(body.get("type") or PRIVATE_THREAD)
        self.emu.require(channel, "create_private_threads" if kind == PRIVATE_THREAD else "create_public_threads")
        thread = self.emu.create_thread(
            channel,
            body["name"],
            self.world.bot_user,
            type=kind,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            invitable=bool(body.get("invitable", True)),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        return Reply(201, self.world.thread_payload(thread, member_for=self.world.bot_user.id))

    @route("GET", "/channels/{channel_id}/threads/archived/public")
    async def archived_public_threads(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/threads/archived/public."""
        channel = self.channel(ctx)
        self.readable(channel)
        threads = [t for t in self.emu.threads(channel) if t.archived and t.type != PRIVATE_THREAD]
        threads.sort(key=lambda t: t.archive_timestamp, reverse=True)
        return Reply(
            body={
                "threads": [self.world.thread_payload(t) for t in threads],
                "members": [],
                "has_more": False,
            }
        )

    @route("GET", "/channels/{channel_id}/threads/archived/private")
    async def archived_private_threads(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/threads/archived/private (MANAGE_THREADS)."""
        channel = self.channel(ctx)
        self.emu.require(channel, "read_message_history", "manage_threads")
        threads = [t for t in self.emu.threads(channel) if t.archived and t.type == PRIVATE_THREAD]
        threads.sort(key=lambda t: t.archive_timestamp, reverse=True)
        return Reply(
            body={
                "threads": [self.world.thread_payload(t) for t in threads],
                "members": [],
                "has_more": False,
            }
        )

    @route("GET", "/channels/{channel_id}/users/@me/threads/archived/private")
    async def my_archived_private_threads(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/users/@me/threads/archived/private."""
        channel = self.channel(ctx)
        self.readable(channel)
        bot_id = self.world.bot_user.id
        threads = [
            t for t in self.emu.threads(channel) if t.archived and t.type == PRIVATE_THREAD and bot_id in t.member_ids
        ]
        return Reply(
            body={
                "threads": [self.world.thread_payload(t) for t in threads],
                "members": [],
                "has_more": False,
            }
        )

    def _thread(self, ctx: Ctx) -> ChannelRecord:
        thread = self.channel(ctx)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return thread

    def _thread_member(self, thread: ChannelRecord, user_id: int) -> dict[str, Any]:
        return {
            "id": str(thread.id),
            "user_id": str(user_id),
            "join_timestamp": iso(thread.created_at),
            "flags": 0,
        }

    @route("PUT", "/channels/{channel_id}/thread-members/@me")
    async def join_thread(self, ctx: Ctx) -> Reply:
        """PUT /channels/{id}/thread-members/@me."""
        thread = self._thread(ctx)
        self.ensure_thread_open(thread, unarchive=False)
        thread.member_ids.add(self.world.bot_user.id)
        return Reply(204)

    @route("DELETE", "/channels/{channel_id}/thread-members/@me")
    async def leave_thread(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}/thread-members/@me."""
        self._thread(ctx).member_ids.discard(self.world.bot_user.id)
        return Reply(204)

    @route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
    async def add_thread_member(self, ctx: Ctx) -> Reply:
        """PUT /channels/{id}/thread-members/{user}."""
        thread = self._thread(ctx)
        self.ensure_thread_open(thread, unarchive=False)
        self.emu.require(thread, "send_messages_in_threads")
        thread.member_ids.add(ctx.int("user_id"))
        return Reply(204)

    @route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
    async def remove_thread_member(self, ctx: Ctx) -> Reply:
        """DELETE /channels/{id}/thread-members/{user}."""
        thread = self._thread(ctx)
        if thread.owner_id != self.world.bot_user.id:
            self.emu.require(thread, "manage_threads")
        thread.member_ids.discard(ctx.int("user_id"))
        return Reply(204)

    @route("GET", "/channels/{channel_id}/thread-members/{user_id}")
    async def get_thread_member(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/thread-members/{user}."""
        thread = self._thread(ctx)
        user_id = ctx.int("user_id")
        if user_id not in thread.member_ids:
            raise not_found(10007, "Member")
        return Reply(body=self._thread_member(thread, user_id))

    @route("GET", "/channels/{channel_id}/thread-members")
    async def list_thread_members(self, ctx: Ctx) -> Reply:
        """GET /channels/{id}/thread-members."""
        thread = self._thread(ctx)
        return Reply(body=[self._thread_member(thread, u) for u in sorted(thread.member_ids)])

    # ======================================================================================================
    # application commands
    # ======================================================================================================
    def _store_commands(self, scope: int | None, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        previous = {((c.get("type") or 1), c["name"]): c for c in self.emu.synced_commands.get(scope, [])}
        stored = [
            self._command_payload(scope, body, previous.get(((body.get("type") or 1), body["name"]))) for body in bodies
        ]
        self.emu.synced_commands[scope] = stored
        self.emu.notify()
        return stored

    def _command_payload(
        self, scope: int | None, body: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        world = self.world
        permissions = body.get("default_member_permissions")
        payload: dict[str, Any] = {
            "id": previous["id"] if previous else str(world.new_id()),
            "application_id": str(world.application_id),
            "version": str(world.new_id()),
            "default_member_permissions": None if permissions is None else str(permissions),
            "type": body.get("type") or 1,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw")),
        }
        if body.get("options"):
            payload["options"] = [_clean(o) for o in body["options"]]
        if scope is not None:
            payload["guild_id"] = str(scope)
        return payload

    def _scope(self, ctx: Ctx) -> int | None:
        self.check_app(ctx)
        if "guild_id" in ctx.params:
            return self.guild(ctx).id
        return None

    def _find_command(self, scope: int | None, command_id: int) -> dict[str, Any]:
        for command in self.emu.synced_commands.get(scope, []):
            if int(command["id"]) == command_id:
                return command
        raise not_found(10063, "application command")

    @route("PUT", "/applications/{application_id}/commands", check=_command_list_limits)
    async def put_global_commands(self, ctx: Ctx) -> Reply:
        """PUT /applications/{app}/commands (bulk overwrite)."""
        return Reply(body=self._store_commands(self._scope(ctx), list(ctx.body or [])))

    @route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", check=_command_list_limits)
    async def put_guild_commands(self, ctx: Ctx) -> Reply:
        """PUT /applications/{app}/guilds/{guild}/commands (bulk overwrite)."""
        return Reply(body=self._store_commands(self._scope(ctx), list(ctx.body or [])))

    @route("GET", "/applications/{application_id}/commands")
    async def get_global_commands(self, ctx: Ctx) -> Reply:
        """GET /applications/{app}/commands."""
        return Reply(body=self.emu.synced_commands.get(self._scope(ctx), []))

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def get_guild_commands(self, ctx: Ctx) -> Reply:
        """GET /applications/{app}/guilds/{guild}/commands."""
        return Reply(body=self.emu.synced_commands.get(self._scope(ctx), []))

    async def _upsert(self, ctx: Ctx) -> Reply:
        scope = self._scope(ctx)
        body = ctx.body or {}
        current = list(self.emu.synced_commands.get(scope, []))
        key = ((body.get("type") or 1), body.get("name"))
        index = next((i for i, c in enumerate(current) if ((c.get("type") or 1), c["name"]) == key), None)
        payload = self._command_payload(scope, body, current[index] if index is not None else None)
        if index is None:
            current.append(payload)
        else:
            current[index] = payload
        self.emu.synced_commands[scope] = current
        self.emu.notify()
        return Reply(201 if index is None else 200, payload)

    @route("POST", "/applications/{application_id}/commands", check=_command_limits)
    async def post_global_command(self, ctx: Ctx) -> Reply:
        """POST /applications/{app}/commands (upsert one)."""
        return await self._upsert(ctx)

    @route("POST", "/applications/{application_id}/guilds/{guild_id}/commands", check=_command_limits)
    async def post_guild_command(self, ctx: Ctx) -> Reply:
        """POST /applications/{app}/guilds/{guild}/commands (upsert one)."""
        return await self._upsert(ctx)

    async def _get_one(self, ctx: Ctx) -> Reply:
        return Reply(body=self._find_command(self._scope(ctx), ctx.int("command_id")))

    async def _patch_one(self, ctx: Ctx) -> Reply:
        scope = self._scope(ctx)
        command = self._find_command(scope, ctx.int("command_id"))
        merged = {**command, **(ctx.body or {})}
        errors = limits.check_command(merged)
        if errors:
            raise invalid_form_body(errors)
        updated = self._command_payload(scope, merged, command)
        commands = self.emu.synced_commands[scope]
        commands[commands.index(command)] = updated
        self.emu.notify()
        return Reply(body=updated)

    async def _delete_one(self, ctx: Ctx) -> Reply:
        scope = self._scope(ctx)
        command = self._find_command(scope, ctx.int("command_id"))
        self.emu.synced_commands[scope].remove(command)
        self.emu.notify()
        return Reply(204)

    @route("GET", "/applications/{application_id}/commands/{command_id}")
    async def get_global_command(self, ctx: Ctx) -> Reply:
        """GET one global command."""
        return await self._get_one(ctx)

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def get_guild_command(self, ctx: Ctx) -> Reply:
        """GET one guild command."""
        return await self._get_one(ctx)

    @route("PATCH", "/applications/{application_id}/commands/{command_id}")
    async def patch_global_command(self, ctx: Ctx) -> Reply:
        """PATCH one global command."""
        return await self._patch_one(ctx)

    @route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def patch_guild_command(self, ctx: Ctx) -> Reply:
        """PATCH one guild command."""
        return await self._patch_one(ctx)

    @route("DELETE", "/applications/{application_id}/commands/{command_id}")
    async def delete_global_command(self, ctx: Ctx) -> Reply:
        """DELETE one global command."""
        return await self._delete_one(ctx)

    @route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def delete_guild_command(self, ctx: Ctx) -> Reply:
        """DELETE one guild command."""
        return await self._delete_one(ctx)

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
    async def command_permissions(self, ctx: Ctx) -> Reply:
        """GET guild command permissions (none are set in the emulator)."""
        self._scope(ctx)
        return Reply(body=[])

    # ======================================================================================================
    # interactions and their webhooks
    # ======================================================================================================
    def _interaction_for_callback(self, ctx: Ctx) -> InteractionRecord:
        record = self.emu.interactions.get(ctx.int("interaction_id"))
        if record is None or record.token != ctx.params["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction", failure="unknown_interaction")
        return record

    @route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        auth=False,
        ratelimited=False,
        pointer=_callback_pointer,
        check=_callback_limits,
    )
    async def interaction_callback(self, ctx: Ctx) -> Reply:
        """POST /interactions/{id}/{token}/callback: the first (and only) response, within the deadline."""
        emu = self.emu
        record = self._interaction_for_callback(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        kind = body.get("type")
        elapsed = time.monotonic() - record.created
        if record.response is not None:
            record.rejected_callbacks += 1
            raise ApiError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                failure="interaction_already_acknowledged",
            )
        if elapsed > emu.interaction_deadline:
            record.rejected_callbacks += 1
            raise ApiError(
                404,
                10062,
                f"Unknown interaction (first response after {elapsed:.2f}s, deadline {emu.interaction_deadline}s)",
                failure="late_interaction_response",
            )
        if kind not in ALLOWED_CALLBACKS.get(record.type, set()):
            raise ApiError(
                400,
                50035,
                f"Interaction callback type {kind} is not valid for interaction type {record.type}",
                failure="invalid_callback",
            )
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        channel = record.channel
        resource_message: MessageRecord | None = None
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            message_body = dict(data)
            if kind == DEFERRED_CHANNEL_MESSAGE:
                message_body = {
                    "flags": (int(data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING,
                    "content": "",
                }
            message = emu.create_message(
                channel,
                self.world.bot_user,
                message_body,
                ctx.files,
                interaction=record,
                allow_ephemeral=True,
                type=0 if record.type != 2 else 20,
            )
            record.message_id = message.id
            resource_message = message
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            source = self.world.messages.get(record.source_message_id or 0)
            if source is None or source.deleted:
                raise ApiError(400, 50035, "This interaction has no message to update", failure="invalid_callback")
            record.message_id = source.id
            record._edits_at_ack = source.edit_count
            if kind == UPDATE_MESSAGE:
                emu.edit_message(source, data, ctx.files)
                resource_message = source
        elif kind == MODAL:
            record.modal = ModalRecord(
                custom_id=data.get("custom_id", ""),
                title=data.get("title", ""),
                components=list(data.get("components") or []),
                interaction=record,
            )
        elif kind == AUTOCOMPLETE_RESULT:
            record.choices = list(data.get("choices") or [])
        record.response = CallbackRecord(
            type=kind, data=data or None, elapsed=elapsed, files=[f.filename for f in ctx.files]
        )
        record.mark_responded()
        emu.notify()
        if ctx.record.query.get("with_response", "").lower() not in ("1", "true"):
            return Reply(204)
        interaction_info: dict[str, Any] = {"id": str(record.id), "type": record.type}
        if record.message_id is not None and kind in (
            CHANNEL_MESSAGE,
            DEFERRED_CHANNEL_MESSAGE,
            UPDATE_MESSAGE,
        ):
            message = self.world.messages[record.message_id]
            interaction_info["response_message_id"] = str(message.id)
            interaction_info["response_message_loading"] = kind == DEFERRED_CHANNEL_MESSAGE
            interaction_info["response_message_ephemeral"] = message.ephemeral
        answer: dict[str, Any] = {"interaction": interaction_info}
        if resource_message is not None:
            answer["resource"] = {"type": kind, "message": self.world.message_payload(resource_message)}
        elif kind in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, MODAL, AUTOCOMPLETE_RESULT):
            answer["resource"] = {"type": kind}
        return Reply(200, answer)

    def _webhook_interaction(self, ctx: Ctx) -> InteractionRecord:
        record = self.emu.interaction_by_token(ctx.params["webhook_token"])
        if record is None or ctx.int("webhook_id") != self.world.application_id or record.response is None:
            raise ApiError(404, 10015, "Unknown Webhook", failure="unknown_webhook")
        return record

    def _webhook_message(self, ctx: Ctx, record: InteractionRecord, original: bool) -> MessageRecord:
        if original:
            message = record.original
        else:
            mid = ctx.int("message_id")
            message = self.world.messages.get(mid) if mid == record.message_id or mid in record.followup_ids else None
        if message is None or message.deleted:
            raise not_found(10008, "Message")
        return message

    @route(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        auth=False,
        ratelimited=False,
        pointer=_webhook_execute_pointer,
        check=_message_limits,
    )
    async def followup(self, ctx: Ctx) -> Reply:
        """POST /webhooks/{app}/{token}: a followup (the first after a defer replaces the loading message)."""
        record = self._webhook_interaction(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        original = record.original
        if (
            record.response_type == DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.loading
            and not record.followup_ids
        ):
            # Discord: the first followup after a deferred reply edits the loading message (its flags win).
            message = self.emu.edit_message(original, {k: v for k, v in body.items() if k != "flags"}, ctx.files)
        else:
            message = self.emu.create_message(
                record.channel, self.world.bot_user, body, ctx.files, interaction=record, allow_ephemeral=True
            )
            record.followup_ids.append(message.id)
        self.emu.notify()
        if ctx.record.query.get("wait", "").lower() not in ("1", "true"):
            return Reply(204)
        return Reply(body=self.world.message_payload(message))

    @route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False, ratelimited=False)
    async def get_original(self, ctx: Ctx) -> Reply:
        """GET @original."""
        record = self._webhook_interaction(ctx)
        return Reply(body=self.world.message_payload(self._webhook_message(ctx, record, True)))

    @route(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        auth=False,
        ratelimited=False,
        check=_message_limits,
    )
    async def edit_original(self, ctx: Ctx) -> Reply:
        """PATCH @original (edits the deferred/sent reply, or the component's message after 6/7)."""
        record = self._webhook_interaction(ctx)
        message = self._webhook_message(ctx, record, True)
        self.emu.edit_message(message, ctx.body if isinstance(ctx.body, dict) else {}, ctx.files)
        return Reply(body=self.world.message_payload(message))

    @route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False, ratelimited=False)
    async def delete_original(self, ctx: Ctx) -> Reply:
        """DELETE @original."""
        record = self._webhook_interaction(ctx)
        self.emu.delete_message_record(self._webhook_message(ctx, record, True))
        return Reply(204)

    @route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False, ratelimited=False)
    async def get_followup(self, ctx: Ctx) -> Reply:
        """GET a followup message."""
        record = self._webhook_interaction(ctx)
        return Reply(body=self.world.message_payload(self._webhook_message(ctx, record, False)))

    @route(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        auth=False,
        ratelimited=False,
        check=_message_limits,
    )
    async def edit_followup(self, ctx: Ctx) -> Reply:
        """PATCH a followup message."""
        record = self._webhook_interaction(ctx)
        message = self._webhook_message(ctx, record, False)
        self.emu.edit_message(message, ctx.body if isinstance(ctx.body, dict) else {}, ctx.files)
        return Reply(body=self.world.message_payload(message))

    @route(
        "DELETE",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        auth=False,
        ratelimited=False,
    )
    async def delete_followup(self, ctx: Ctx) -> Reply:
        """DELETE a followup message."""
        record = self._webhook_interaction(ctx)
        self.emu.delete_message_record(self._webhook_message(ctx, record, False))
        return Reply(204)


def _clean(value: Any) -> Any:
    # Discord echoes command options without null fields.
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
