"""Interaction records returned to tests, and the construction of interaction data from synced commands."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import codec
from .errors import CommandNotSynced, EmulatorError, EmulatorTimeout
from .state import (
    THREAD_TYPES,
    AttachmentRecord,
    ChannelRecord,
    MemberRecord,
    MessageRecord,
    RoleRecord,
    UserRecord,
    World,
    walk_components,
)

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

# Interaction types.
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback types.
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

ALLOWED_CALLBACKS: dict[int, set[int]] = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
        MODAL,
    },
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
}

OPTION_TYPE_NAMES = {
    1: "subcommand", 2: "subcommand group", 3: "string", 4: "integer", 5: "boolean", 6: "user",
    7: "channel", 8: "role", 9: "mentionable", 10: "number", 11: "attachment",
}  # fmt: skip


@dataclass
class CallbackRecord:
    """One accepted interaction callback (the bot's first response)."""

    type: int
    data: dict[str, Any] | None
    elapsed: float
    files: list[str] = field(default_factory=list)


@dataclass
class ModalInput:
    """One field of a modal the bot returned (text input, select, checkbox, file upload...)."""

    custom_id: str
    type: int
    label: str | None
    component: dict[str, Any]

    @property
    def required(self) -> bool:
        """Whether the user must fill it (text inputs default to required)."""
        return bool(self.component.get("required", self.type == 4))


@dataclass
class ModalRecord:
    """A modal returned by the bot (callback type 9), ready for :meth:`DiscordEmulator.submit_modal`."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]
    interaction: InteractionRecord

    @property
    def inputs(self) -> list[ModalInput]:
        """The fillable fields, with the label from a Label wrapper or the text input itself."""
        found: list[ModalInput] = []
        for comp in self.components:
            if comp.get("type") == 1:
                for child in comp.get("components") or []:
                    if child.get("custom_id"):
                        found.append(ModalInput(child["custom_id"], child.get("type", 0), child.get("label"), child))
            elif comp.get("type") == 18 and isinstance(comp.get("component"), dict):
                child = comp["component"]
                if child.get("custom_id"):
                    found.append(ModalInput(child["custom_id"], child.get("type", 0), comp.get("label"), child))
        return found

    def input(self, label_or_custom_id: str) -> ModalInput:
        """The input whose custom_id or label matches."""
        for item in self.inputs:
            if label_or_custom_id in (item.custom_id, item.label):
                return item
        known = [f"{i.label!r} ({i.custom_id})" for i in self.inputs]
        raise EmulatorError(f"modal {self.title!r} has no input {label_or_custom_id!r}; inputs: {known}")


class InteractionRecord:
    """An interaction the emulator sent to the bot, and everything the bot answered to it."""

    def __init__(
        self,
        emu: DiscordEmulator,
        *,
        id: int,
        token: str,
        type: int,
        payload: dict[str, Any],
        member: MemberRecord,
        channel: ChannelRecord,
        source_message_id: int | None = None,
    ) -> None:
        self._emu = emu
        self.id = id
        self.token = token
        self.type = type
        # The payload is kept as its JSON once dispatched and decoded again only when read: the tree of every
        # click (guild, channel, member, message...) would otherwise be walked by each garbage collection.
        self._payload: dict[str, Any] | None = payload
        self._payload_json: bytes | None = None
        self.member = member
        self.channel = channel
        self.created = time.monotonic()
        self.source_message_id = source_message_id
        self.response: CallbackRecord | None = None
        self.message_id: int | None = None
        self.followup_ids: list[int] = []
        self.modal: ModalRecord | None = None
        self.choices: list[dict[str, Any]] | None = None
        self.rejected_callbacks: int = 0
        # Edit count of the component's message at acknowledgement (a type 6 reply is the next edit).
        self._edits_at_ack = 0
        self._response_waiters: list[asyncio.Future[None]] | None = None  # wait_response() calls now waiting

    def __repr__(self) -> str:
        return f"<InteractionRecord id={self.id} type={self.type} response={self.response_type}>"

    # -- state ---------------------------------------------------------------------------------------------
    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data sent to the bot."""
        if self._payload is None:
            assert self._payload_json is not None
            self._payload = codec.loads(self._payload_json)
        return self._payload

    def serialise_payload(self) -> bytes:
        """The payload's JSON, as dispatched; the decoded tree is let go until :attr:`payload` is read."""
        if self._payload_json is None:
            self._payload_json = codec.dumps(self.payload)
        self._payload = None
        return self._payload_json

    @property
    def data(self) -> dict[str, Any]:
        """The ``data`` object sent to the bot."""
        return self.payload.get("data") or {}

    @property
    def acknowledged(self) -> bool:
        """Whether a callback was accepted."""
        return self.response is not None

    @property
    def response_type(self) -> int | None:
        """The accepted callback type (4, 5, 6, 7, 8, 9) or None."""
        return self.response.type if self.response else None

    @property
    def deferred(self) -> bool:
        """Whether the first response was a defer (5 or 6)."""
        return self.response_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def original(self) -> MessageRecord | None:
        """The ``@original`` message: the reply (4/5) or the component's message (6/7)."""
        if self.message_id is None:
            return None
        return self._emu.world.messages.get(self.message_id)

    @property
    def followups(self) -> list[MessageRecord]:
        """Followup messages, in order."""
        return [self._emu.world.messages[m] for m in self.followup_ids if m in self._emu.world.messages]

    @property
    def messages(self) -> list[MessageRecord]:
        """The original response (if any) then the followups."""
        original = self.original
        return ([original] if original is not None else []) + self.followups

    # -- reply shortcuts (valid after wait_response / wait_reply) --------------------------------------------
    @property
    def reply(self) -> MessageRecord | None:
        """The visible reply: the original response, or after a deferred update (6) the component's
        message once edited, else the first followup."""
        original = self.original
        if self.response_type == DEFERRED_UPDATE_MESSAGE:
            if original is not None and original.edit_count > self._edits_at_ack:
                return original
            followups = self.followups
            return followups[0] if followups else original
        if original is not None:
            return original
        followups = self.followups
        return followups[0] if followups else None

    @property
    def content(self) -> str | None:
        """Content of :attr:`reply`."""
        reply = self.reply
        return reply.content if reply else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Embeds of :attr:`reply`."""
        reply = self.reply
        return reply.embeds if reply else []

    @property
    def components(self) -> list[dict[str, Any]]:
        """Components of :attr:`reply`."""
        reply = self.reply
        return reply.components if reply else []

    @property
    def flags(self) -> int:
        """Flags of :attr:`reply`."""
        reply = self.reply
        return reply.flags if reply else 0

    @property
    def ephemeral(self) -> bool:
        """Whether :attr:`reply` is ephemeral."""
        reply = self.reply
        return bool(reply and reply.ephemeral)

    @property
    def attachments(self) -> list[AttachmentRecord]:
        """Attachments of :attr:`reply`."""
        reply = self.reply
        return reply.attachments if reply else []

    # -- waiting -------------------------------------------------------------------------------------------
    async def _wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        try:
            return await self._emu.wait_for(predicate, timeout=timeout, message=f"{what} for {self!r}")
        except EmulatorTimeout:
            raise

    async def wait_response(self, timeout: float = 3.0) -> CallbackRecord:  # noqa: ASYNC109 - like asyncio.wait_for
        """Wait for the bot's first callback and return it."""
        # An event rather than polling: crowd tests wait on hundreds of records at once.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.response is None:
            self._emu.check_watched()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return await self._wait(lambda: self.response, 0, "no interaction response")
            # A bare future and one timer: crowds wait on hundreds of records, and a task or a timeout
            # context per wait cost the emulator more than the rest of the wait.
            woken: asyncio.Future[None] = loop.create_future()
            timer = loop.call_later(min(remaining, 0.25), _wake, woken)
            if self._response_waiters is None:
                self._response_waiters = []
            self._response_waiters.append(woken)
            try:
                await woken
            finally:
                timer.cancel()
                if self._response_waiters is not None and woken in self._response_waiters:
                    self._response_waiters.remove(woken)
        return self.response

    def mark_responded(self) -> None:
        """Wake :meth:`wait_response` callers: :attr:`response` was just recorded."""
        waiters, self._response_waiters = self._response_waiters, None
        for woken in waiters or ():
            _wake(woken)

    async def wait_reply(self, timeout: float = 3.0) -> MessageRecord:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        """Wait for a visible reply: sent (4), edited after a defer (5), updated (6/7) or a followup."""

        def ready() -> MessageRecord | None:
            if self.response is None:
                return None
            if self.response_type in (MODAL, AUTOCOMPLETE_RESULT):
                raise EmulatorError(f"the bot answered with callback type {self.response_type}, not a message")
            reply = self.reply
            if reply is None or reply.loading:
                return None
            if self.response_type == DEFERRED_UPDATE_MESSAGE and reply is self.original:
                # Acknowledged without change so far: wait for the edit (or a followup).
                return reply if reply.edit_count > self._edits_at_ack else None
            return reply

        return await self._wait(ready, timeout, "no reply message")

    async def wait_followups(self, count: int = 1, timeout: float = 3.0) -> list[MessageRecord]:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        """Wait until at least ``count`` followups were sent; return them all."""
        return await self._wait(
            lambda: self.followups if len(self.followup_ids) >= count else None,
            timeout,
            f"fewer than {count} followups",
        )

    async def wait_modal(self, timeout: float = 3.0) -> ModalRecord:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        """Wait for a modal response and return it."""
        await self.wait_response(timeout)
        if self.modal is None:
            raise EmulatorError(f"the bot answered with callback type {self.response_type}, not a modal")
        return self.modal

    async def wait_choices(self, timeout: float = 3.0) -> list[dict[str, Any]]:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        """Wait for autocomplete choices and return them (``[{"name": ..., "value": ...}]``)."""
        await self.wait_response(timeout)
        return list(self.choices or [])


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


# -- command lookup and options ----------------------------------------------------------------------------
def visible_commands(commands: dict[int | None, list[dict[str, Any]]], guild_id: int | None) -> list[dict[str, Any]]:
    """Guild commands first, then global ones (Discord shows both)."""
    found = list(commands.get(guild_id, [])) if guild_id is not None else []
    return found + list(commands.get(None, []))


def describe_commands(commands: list[dict[str, Any]]) -> list[str]:
    """Human-readable command paths, for error messages."""
    out: list[str] = []
    for cmd in commands:
        subs = [o for o in cmd.get("options") or [] if o.get("type") in (1, 2)]
        if not subs:
            out.append(cmd["name"])
        for sub in subs:
            if sub["type"] == 1:
                out.append(f"{cmd['name']} {sub['name']}")
            else:
                out.extend(f"{cmd['name']} {sub['name']} {leaf['name']}" for leaf in sub.get("options") or [])
    return out


def resolve_command(
    commands: list[dict[str, Any]], path: str, *, kind: int = 1
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Find ``path`` ("poll create") among synced commands.

    Returns the top-level command, the chain of subcommand group/subcommand option definitions, and the
    leaf's option definitions.
    """
    parts = path.split() if kind == 1 else [path]
    if not parts:
        raise CommandNotSynced("empty command path")
    candidates = [c for c in commands if c.get("name") == parts[0] and (c.get("type", 1) or 1) == kind]
    if not candidates:
        raise CommandNotSynced(
            f"command {parts[0]!r} (type {kind}) was not synced by the bot; "
            f"synced: {describe_commands(commands) or 'nothing'}"
        )
    command = candidates[0]
    chain: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = list(command.get("options") or [])
    for part in parts[1:]:
        sub = next((o for o in options if o.get("type") in (1, 2) and o.get("name") == part), None)
        if sub is None:
            raise CommandNotSynced(
                f"{' '.join(parts[: len(chain) + 1])!r} has no subcommand {part!r}; "
                f"synced: {describe_commands([command])}"
            )
        chain.append(sub)
        options = list(sub.get("options") or [])
    if any(o.get("type") in (1, 2) for o in options):
        raise CommandNotSynced(f"{path!r} needs a subcommand; synced: {describe_commands([command])}")
    return command, chain, options


def _value_for(option: dict[str, Any], value: Any, *, focused: bool) -> Any:
    kind = option.get("type")
    name = option.get("name")
    if focused:
        return value if isinstance(value, str) else str(value)
    choices = option.get("choices") or []
    if choices:
        for choice in choices:
            if value == choice.get("value"):
                return choice["value"]
        for choice in choices:
            if value == choice.get("name"):
                return choice["value"]
        raise EmulatorError(f"option {name!r}: {value!r} is not one of the choices {[c.get('value') for c in choices]}")
    if kind == 3:
        if not isinstance(value, str):
            raise EmulatorError(f"option {name!r} is a string option, got {value!r}")
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        if not (low <= len(value) <= high):
            raise EmulatorError(f"option {name!r}: length {len(value)} outside [{low}, {high}]")
        return value
    if kind == 4:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EmulatorError(f"option {name!r} is an integer option, got {value!r}")
    elif kind == 10:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EmulatorError(f"option {name!r} is a number option, got {value!r}")
    elif kind == 5:
        if not isinstance(value, bool):
            raise EmulatorError(f"option {name!r} is a boolean option, got {value!r}")
        return value
    if kind in (4, 10):
        if "min_value" in option and value < option["min_value"]:
            raise EmulatorError(f"option {name!r}: {value} < min_value {option['min_value']}")
        if "max_value" in option and value > option["max_value"]:
            raise EmulatorError(f"option {name!r}: {value} > max_value {option['max_value']}")
        return value
    return value


class OptionBuilder:
    """Builds ``data.options`` and ``data.resolved`` for one invocation."""

    def __init__(self, emu: DiscordEmulator, world: World, guild_id: int, channel: ChannelRecord) -> None:
        self.emu = emu
        self.world = world
        self.guild_id = guild_id
        self.channel = channel
        self.resolved: dict[str, dict[str, Any]] = {}

    def _add(self, kind: str, key: int, payload: dict[str, Any]) -> None:
        self.resolved.setdefault(kind, {})[str(key)] = payload

    def user(self, target: Any) -> int:
        """Resolve a member/user (record or id) into resolved.users/members."""
        guild = self.world.guilds[self.guild_id]
        if isinstance(target, MemberRecord):
            member: MemberRecord | None = target
            user = target.user
        elif isinstance(target, UserRecord):
            user = target
            member = guild.members.get(user.id)
        else:
            uid = int(getattr(target, "id", target))
            user = self.world.users.get(uid)  # type: ignore[assignment]
            if user is None:
                raise EmulatorError(f"unknown user {target!r}")
            member = guild.members.get(uid)
        self._add("users", user.id, self.world.user_payload(user))
        if member is not None:
            perms = self.world.channel_permissions(member, self.channel)
            self._add("members", user.id, self.world.member_payload(member, with_user=False, permissions=perms))
        return user.id

    def role(self, target: Any) -> int:
        """Resolve a role (record or id) into resolved.roles."""
        guild = self.world.guilds[self.guild_id]
        rid = target.id if isinstance(target, RoleRecord) else int(getattr(target, "id", target))
        if rid not in guild.roles:
            raise EmulatorError(f"unknown role {target!r}")
        self._add("roles", rid, self.world.role_payload(guild.roles[rid]))
        return rid

    def channel_option(self, option: dict[str, Any], target: Any) -> int:
        """Resolve a channel (record, name or id) into resolved.channels, checking channel_types."""
        channel = self.emu.channel(target)
        allowed = option.get("channel_types")
        if allowed and channel.type not in allowed:
            raise EmulatorError(f"option {option['name']!r} accepts channel types {allowed}, not {channel.type}")
        member = self.emu.world.bot_member(self.guild_id)
        data: dict[str, Any] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(self.world.channel_permissions(member, channel)),
            "flags": 0,
        }
        if channel.parent_id is not None:
            data["parent_id"] = str(channel.parent_id)
        if channel.type in THREAD_TYPES:
            thread = self.world.thread_payload(channel)
            data.update({k: thread[k] for k in ("thread_metadata", "owner_id", "member_count", "message_count")})
        else:
            data["last_message_id"] = str(channel.last_message_id) if channel.last_message_id else None
        self._add("channels", channel.id, data)
        return channel.id

    def attachment(self, target: Any) -> int:
        """Resolve an attachment (record, ``(filename, bytes)`` or ``bytes``) into resolved.attachments."""
        if isinstance(target, AttachmentRecord):
            att = target
        elif isinstance(target, tuple) and len(target) >= 2:
            att = self.emu.make_attachment(target[0], target[1], *(target[2:3]))
        elif isinstance(target, bytes | bytearray):
            att = self.emu.make_attachment("file.bin", bytes(target))
        else:
            raise EmulatorError(f"an attachment option takes an AttachmentRecord or (filename, bytes), got {target!r}")
        payload = self.world.attachment_payload(att)
        payload["ephemeral"] = True
        self._add("attachments", att.id, payload)
        return att.id

    def options(
        self, definitions: list[dict[str, Any]], values: dict[str, Any], *, focused: str | None
    ) -> list[dict[str, Any]]:
        """Build leaf options from keyword values, checking names, types and required options."""
        by_name = {d["name"]: d for d in definitions}
        unknown = [k for k in values if k not in by_name]
        if unknown:
            raise CommandNotSynced(f"unknown option(s) {unknown}; the synced options are {sorted(by_name)}")
        if focused is not None and focused not in by_name:
            raise CommandNotSynced(f"unknown focused option {focused!r}; the synced options are {sorted(by_name)}")
        out: list[dict[str, Any]] = []
        for definition in definitions:
            name = definition["name"]
            if name not in values:
                if definition.get("required") and focused is None:
                    raise EmulatorError(f"required option {name!r} is missing (Discord would not send the command)")
                continue
            value = values[name]
            is_focused = name == focused
            kind = definition["type"]
            entry: dict[str, Any] = {"name": name, "type": kind}
            if is_focused:
                if not definition.get("autocomplete"):
                    raise EmulatorError(f"option {name!r} has no autocomplete in the synced command")
                entry["value"] = _value_for(definition, value, focused=True)
                entry["focused"] = True
            elif kind in (3, 4, 5, 10):
                entry["value"] = _value_for(definition, value, focused=False)
            elif kind == 6:
                entry["value"] = str(self.user(value))
            elif kind == 7:
                entry["value"] = str(self.channel_option(definition, value))
            elif kind == 8:
                entry["value"] = str(self.role(value))
            elif kind == 9:
                is_role = isinstance(value, RoleRecord)
                entry["value"] = str(self.role(value) if is_role else self.user(value))
            elif kind == 11:
                entry["value"] = str(self.attachment(value))
            else:
                raise EmulatorError(f"unsupported option type {kind}")
            out.append(entry)
        return out


def modal_submission(
    modal: ModalRecord, values: dict[str, Any], emu: DiscordEmulator
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Build the ``components`` (and ``resolved``) of a MODAL_SUBMIT from the modal and the user's values."""
    inputs = modal.inputs
    by_key: dict[str, ModalInput] = {}
    for item in inputs:
        by_key[item.custom_id] = item
        if item.label:
            by_key.setdefault(item.label, item)
    unknown = [k for k in values if k not in by_key]
    if unknown:
        known = [f"{i.label!r} ({i.custom_id})" for i in inputs]
        raise EmulatorError(f"modal {modal.title!r} has no input(s) {unknown}; inputs: {known}")
    filled = {by_key[k].custom_id: v for k, v in values.items()}
    resolved: dict[str, Any] = {}
    next_id = iter(range(1, 1000))

    def submitted(child: dict[str, Any]) -> dict[str, Any]:
        kind = child.get("type")
        custom_id = child.get("custom_id")
        value = filled.get(custom_id)
        out: dict[str, Any] = {"type": kind, "id": child.get("id") or next(next_id), "custom_id": custom_id}
        required = child.get("required", kind == 4)
        if kind == 4:
            text = child.get("value") or "" if value is None else str(value)
            if required and not text:
                raise EmulatorError(f"modal input {custom_id!r} is required")
            low, high = child.get("min_length") or 0, child.get("max_length") or 4000
            if text and not (low <= len(text) <= high):
                raise EmulatorError(f"modal input {custom_id!r}: length {len(text)} outside [{low}, {high}]")
            out["value"] = text
        elif kind in (3, 5, 6, 7, 8, 22):
            chosen = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
            if required and not chosen and kind != 22:
                raise EmulatorError(f"modal input {custom_id!r} is required")
            out["values"] = [str(getattr(v, "id", v)) for v in chosen]
        elif kind == 19:
            chosen = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
            ids = []
            for item in chosen:
                att = item if isinstance(item, AttachmentRecord) else emu.make_attachment(item[0], item[1])
                payload = emu.world.attachment_payload(att)
                payload["ephemeral"] = True
                resolved.setdefault("attachments", {})[str(att.id)] = payload
                ids.append(str(att.id))
            out["values"] = ids
        elif kind == 21:
            out["value"] = value
        elif kind == 23:
            out["value"] = bool(value)
        return out

    components: list[dict[str, Any]] = []
    for comp in modal.components:
        if comp.get("type") == 1:
            components.append(
                {
                    "type": 1,
                    "id": comp.get("id") or next(next_id),
                    "components": [submitted(c) for c in comp.get("components") or []],
                }
            )
        elif comp.get("type") == 18 and isinstance(comp.get("component"), dict):
            components.append(
                {"type": 18, "id": comp.get("id") or next(next_id), "component": submitted(comp["component"])}
            )
        elif comp.get("type") == 10:
            components.append({"type": 10, "id": comp.get("id") or next(next_id)})
    return components, resolved


def component_click_data(component: dict[str, Any], values: list[Any] | None, builder: OptionBuilder) -> dict[str, Any]:
    """``data`` of a MESSAGE_COMPONENT interaction for a button or a select."""
    kind = component.get("type")
    data: dict[str, Any] = {"custom_id": component.get("custom_id"), "component_type": kind}
    if kind == 2:
        if values:
            raise EmulatorError("a button takes no values")
        return data
    chosen = list(values or [])
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not (low <= len(chosen) <= high):
        raise EmulatorError(f"select {component.get('custom_id')!r} takes {low}..{high} values, got {len(chosen)}")
    if kind == 3:
        options = [o.get("value") for o in component.get("options") or []]
        labels = {o.get("label"): o.get("value") for o in component.get("options") or []}
        picked = []
        for value in chosen:
            if value in options:
                picked.append(value)
            elif value in labels:
                picked.append(labels[value])
            else:
                raise EmulatorError(f"select option {value!r} not in {options}")
        data["values"] = picked
        return data
    ids = []
    for value in chosen:
        if kind == 5:
            ids.append(str(builder.user(value)))
        elif kind == 6:
            ids.append(str(builder.role(value)))
        elif kind == 8:
            ids.append(str(builder.channel_option({"name": component.get("custom_id")}, value)))
        else:
            ids.append(str(builder.role(value) if isinstance(value, RoleRecord) else builder.user(value)))
    data["values"] = ids
    data["resolved"] = builder.resolved
    return data


def assign_component_ids(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every component a numeric ``id`` like Discord does in stored messages (missing ones only)."""
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    counter = 1
    for comp in walk_components(components):
        if not isinstance(comp.get("id"), int):
            while counter in used:
                counter += 1
            comp["id"] = counter
            used.add(counter)
    return components


async def gather_limited(coros: list[Any], limit: int = 100) -> list[Any]:
    """Run coroutines concurrently, at most ``limit`` at a time (handy for hundreds of clicks)."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(run(c) for c in coros))
