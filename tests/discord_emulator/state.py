"""In-memory Discord state kept like Discord does, and the JSON payloads built from it.

Records are plain dataclasses so tests can read them directly (``message.content``, ``thread.archived``...).
Payload builders follow Discord's response shapes (checked against the OpenAPI response schemas in the
emulator's own tests) so that discord.py's parsers accept them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .util import ALL_PERMISSIONS, PERMISSIONS, SnowflakeGenerator, iso

# Channel types used by the emulator.
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_IS_COMPONENTS_V2 = 1 << 15


@dataclass
class UserRecord:
    """A Discord user (people and the bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        """``<@id>``."""
        return f"<@{self.id}>"


@dataclass
class RoleRecord:
    """A guild role; the role whose id equals the guild id is @everyone."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        """``<@&id>`` (or ``@everyone``)."""
        return "@everyone" if self.id == self.guild_id else f"<@&{self.id}>"


@dataclass
class MemberRecord:
    """A guild member: a user, its roles (without @everyone), nickname and client locale."""

    user: UserRecord
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: float = field(default_factory=time.time)
    key: str = ""
    dms_open: bool = True

    @property
    def id(self) -> int:
        """The user id."""
        return self.user.id

    @property
    def name(self) -> str:
        """Display name (nick, global name or username)."""
        return self.nick or self.user.global_name or self.user.username

    @property
    def locale(self) -> str:
        """The member's client locale, sent as the interaction ``locale``."""
        return self.user.locale

    @locale.setter
    def locale(self, value: str) -> None:
        self.user.locale = value

    @property
    def mention(self) -> str:
        """``<@id>``."""
        return f"<@{self.user.id}>"


@dataclass
class Overwrite:
    """A channel permission overwrite (type 0 role, 1 member)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass
class ChannelRecord:
    """A guild text channel, a thread or a DM channel."""

    id: int
    type: int
    name: str
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
    deleted: bool = False
    # Threads only.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: float = field(default_factory=time.time)
    created_at: float = field(default_factory=time.time)
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: set[int] = field(default_factory=set)
    starter_message_id: int | None = None
    # DMs only.
    recipient_ids: list[int] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        """True for public/private/announcement threads."""
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        """``<#id>``."""
        return f"<#{self.id}>"


@dataclass
class AttachmentRecord:
    """An uploaded file (bot multipart upload or a user's attachment option / modal file upload)."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    title: str | None = None
    ephemeral: bool = False
    url: str = ""

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclass
class MessageRecord:
    """A message as stored by the emulator; ``revisions`` keeps the state before each edit."""

    id: int
    channel_id: int
    author: UserRecord
    guild_id: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[AttachmentRecord] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    timestamp: float = field(default_factory=time.time)
    edited_timestamp: float | None = None
    tts: bool = False
    pinned: bool = False
    mention_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    legacy_interaction: dict[str, Any] | None = None
    nonce: str | None = None
    poll: dict[str, Any] | None = None
    poll_voters: dict[int, list[int]] = field(default_factory=dict)  # native poll: answer_id → user ids
    thread_id: int | None = None
    position: int | None = None
    deleted: bool = False
    edit_count: int = 0
    revisions: list[dict[str, Any]] = field(default_factory=list)
    reactions: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        """Whether the message has the EPHEMERAL flag (only the invoking user sees it)."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred interaction reply still "thinking"."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def embed(self) -> dict[str, Any] | None:
        """The first embed, or None."""
        return self.embeds[0] if self.embeds else None

    @property
    def created_at(self) -> float:
        """Unix timestamp of the message (shifted by ``emulator.age_message``)."""
        return self.timestamp

    def walk_components(self) -> Iterator[dict[str, Any]]:
        """Every component of the message, depth first (rows, containers, sections, accessories)."""
        yield from walk_components(self.components)

    def buttons(self) -> list[dict[str, Any]]:
        """All buttons of the message."""
        return [c for c in self.walk_components() if c.get("type") == 2]

    def component(self, label_or_custom_id: str) -> dict[str, Any] | None:
        """The component whose custom_id, label or placeholder equals ``label_or_custom_id``."""
        matches = find_components(self.components, label_or_custom_id)
        return matches[0] if matches else None

    def snapshot(self) -> dict[str, Any]:
        """The user-visible parts, as recorded in ``revisions`` before each edit."""
        return {
            "content": self.content,
            "embeds": [dict(e) for e in self.embeds],
            "components": list(self.components),
            "attachments": [a.filename for a in self.attachments],
            "flags": self.flags,
            "edited_timestamp": self.edited_timestamp,
        }


INTERACTIVE_TYPES = frozenset({2, 3, 5, 6, 7, 8})  # buttons and selects


def walk_components(components: Any) -> Iterator[dict[str, Any]]:
    """Depth-first walk over a component tree."""
    found: list[dict[str, Any]] = []
    if isinstance(components, list):
        _collect_components(components, found)
    return iter(found)


def _collect_components(components: list[Any], found: list[dict[str, Any]]) -> None:
    # Appending to one list: every click walks its message, and nested generators cost a frame per level.
    for comp in components:
        if not isinstance(comp, dict):
            continue
        found.append(comp)
        children = comp.get("components")
        if isinstance(children, list):
            _collect_components(children, found)
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                found.append(child)
                grandchildren = child.get("components")
                if isinstance(grandchildren, list):
                    _collect_components(grandchildren, found)


def find_components(components: Any, needle: str) -> list[dict[str, Any]]:
    """Interactive components matched by custom_id first, then by label or placeholder."""
    by_id: list[dict[str, Any]] = []
    by_label: list[dict[str, Any]] = []
    for comp in walk_components(components):
        if comp.get("type") not in INTERACTIVE_TYPES:
            continue
        if comp.get("custom_id") == needle:
            by_id.append(comp)
        elif not by_id and needle in (comp.get("label"), comp.get("placeholder")):
            by_label.append(comp)
    return by_id or by_label


@dataclass
class GuildRecord:
    """A guild with its roles, members and channel order."""

    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    roles: dict[int, RoleRecord] = field(default_factory=dict)
    members: dict[int, MemberRecord] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)

    @property
    def everyone(self) -> RoleRecord:
        """The @everyone role."""
        return self.roles[self.id]


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class World:
    """All guilds, channels, users and messages, with Discord's permission computation and payloads."""

    def __init__(self) -> None:
        self.snowflakes = SnowflakeGenerator()
        self.clock_offset = 0.0
        self.users: dict[int, UserRecord] = {}
        self.guilds: dict[int, GuildRecord] = {}
        self.channels: dict[int, ChannelRecord] = {}
        self.messages: dict[int, MessageRecord] = {}
        self.attachments: dict[int, AttachmentRecord] = {}
        self.base_url = "http://127.0.0.1"
        self.bot_user: UserRecord = self.add_user("Tribune", bot=True)
        self.application_id: int = self.new_id()
        self.owner_user: UserRecord = self.add_user("tribune-owner")

    # -- time and ids --------------------------------------------------------------------------------------
    def now(self) -> float:
        """The emulator's clock (real time plus ``clock_offset``)."""
        return time.time() + self.clock_offset

    def new_id(self, age: float = 0.0) -> int:
        """A snowflake for "now minus ``age`` seconds"."""
        return self.snowflakes.at(self.now() - age)

    # -- building ------------------------------------------------------------------------------------------
    def add_user(
        self, username: str, *, bot: bool = False, locale: str = "en-US", global_name: str | None = None
    ) -> UserRecord:
        """Create a user."""
        user = UserRecord(id=self.new_id(), username=username, global_name=global_name, bot=bot, locale=locale)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, locale: str = "en-US", everyone_permissions: int = 0) -> GuildRecord:
        """Create a guild with its @everyone role; its owner is the emulator's owner user."""
        guild_id = self.new_id()
        guild = GuildRecord(id=guild_id, name=name, owner_id=self.owner_user.id, locale=locale)
        guild.roles[guild_id] = RoleRecord(
            id=guild_id, guild_id=guild_id, name="@everyone", permissions=everyone_permissions
        )
        self.guilds[guild_id] = guild
        return guild

    def add_role(self, guild: GuildRecord, name: str, permissions: int = 0, **extra: Any) -> RoleRecord:
        """Create a role above the existing ones."""
        position = max((r.position for r in guild.roles.values()), default=0) + 1
        role = RoleRecord(
            id=self.new_id(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=position,
            **extra,
        )
        guild.roles[role.id] = role
        return role

    def add_member(
        self, guild: GuildRecord, user: UserRecord, roles: list[RoleRecord] | None = None, *, key: str = ""
    ) -> MemberRecord:
        """Add ``user`` to ``guild``."""
        member = MemberRecord(user=user, guild_id=guild.id, roles=[r.id for r in roles or []], key=key or user.username)
        guild.members[user.id] = member
        return member

    def add_channel(self, guild: GuildRecord, name: str, *, type: int = GUILD_TEXT, **extra: Any) -> ChannelRecord:
        """Create a guild channel at the end of the channel list."""
        position = sum(1 for cid in guild.channel_ids if not self.channels[cid].is_thread)
        channel = ChannelRecord(id=self.new_id(), type=type, name=name, guild_id=guild.id, position=position, **extra)
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    # -- permissions ---------------------------------------------------------------------------------------
    def base_permissions(self, guild: GuildRecord, member: MemberRecord) -> int:
        """Guild-level permissions: @everyone plus every role, everything for the owner/administrators."""
        if member.id == guild.owner_id:
            return ALL_PERMISSIONS
        value = guild.everyone.permissions
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        if value & PERMISSIONS["administrator"]:
            return ALL_PERMISSIONS
        return value

    def channel_permissions(self, member: MemberRecord, channel: ChannelRecord) -> int:
        """Permissions of ``member`` in ``channel`` with overwrites applied (threads use their parent's)."""
        guild = self.guilds[member.guild_id]
        base = self.base_permissions(guild, member)
        if base & PERMISSIONS["administrator"] or base == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        target = self.channels.get(channel.parent_id) if channel.is_thread and channel.parent_id else channel
        target = target or channel
        value = base
        everyone = target.overwrites.get(guild.id)
        if everyone:
            value = (value & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            ow = target.overwrites.get(role_id)
            if ow and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        value = (value & ~deny) | allow
        own = target.overwrites.get(member.id)
        if own and own.type == 1:
            value = (value & ~own.deny) | own.allow
        # Implicit rules: no view means nothing; no send means no mention/attach/embed either.
        if not value & PERMISSIONS["view_channel"]:
            return 0
        if not value & PERMISSIONS["send_messages"]:
            value &= ~(
                PERMISSIONS["send_tts_messages"]
                | PERMISSIONS["mention_everyone"]
                | PERMISSIONS["embed_links"]
                | PERMISSIONS["attach_files"]
            )
        return value

    def bot_member(self, guild_id: int) -> MemberRecord:
        """The bot's own member in ``guild_id``."""
        return self.guilds[guild_id].members[self.bot_user.id]

    def bot_permissions(self, channel: ChannelRecord) -> int:
        """The bot's permissions in ``channel`` (all for DMs)."""
        if channel.guild_id is None:
            return ALL_PERMISSIONS & ~PERMISSIONS["administrator"]
        return self.channel_permissions(self.bot_member(channel.guild_id), channel)

    # -- mentions ------------------------------------------------------------------------------------------
    def resolve_mentions(self, message: MessageRecord, allowed: dict[str, Any] | None) -> None:
        """Fill mention fields from the content, honouring ``allowed_mentions`` like Discord."""
        content = message.content or ""
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        users = {int(u) for u in (allowed or {}).get("users") or []}
        roles = {int(r) for r in (allowed or {}).get("roles") or []}
        guild = self.guilds.get(message.guild_id or 0)
        ids = []
        for raw in _USER_MENTION.findall(content):
            uid = int(raw)
            if uid in self.users and ("users" in parse or uid in users) and uid not in ids:
                ids.append(uid)
        reference = message.message_reference
        if reference and (allowed is None or allowed.get("replied_user", False)):
            ref = self.messages.get(int(reference.get("message_id", 0)))
            if ref is not None and ref.author.id not in ids:
                ids.append(ref.author.id)
        message.mention_ids = ids
        role_ids = []
        for raw in _ROLE_MENTION.findall(content):
            rid = int(raw)
            if guild and rid in guild.roles and ("roles" in parse or rid in roles) and rid not in role_ids:
                role_ids.append(rid)
        message.mention_role_ids = role_ids
        message.mention_everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)

    # -- payloads ------------------------------------------------------------------------------------------
    def user_payload(self, user: UserRecord) -> dict[str, Any]:
        """A user object."""
        data: dict[str, Any] = {
            "id": str(user.id),
            "username": user.username,
            "global_name": user.global_name,
            "discriminator": "0",
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "collectibles": None,
            "primary_guild": None,
            "public_flags": 0,
            "flags": 0,
        }
        if user.bot:
            data["bot"] = True
        return data

    def role_payload(self, role: RoleRecord) -> dict[str, Any]:
        """A role object."""
        data: dict[str, Any] = {
            "id": str(role.id),
            "name": role.name,
            "description": None,
            "permissions": str(role.permissions),
            "position": role.position,
            "color": role.color,
            "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
            "hoist": role.hoist,
            "managed": role.managed,
            "mentionable": role.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if role.bot_id is not None:
            data["tags"] = {"bot_id": str(role.bot_id)}
        return data

    def member_payload(
        self, member: MemberRecord, *, with_user: bool = True, permissions: int | None = None
    ) -> dict[str, Any]:
        """A guild member object (``permissions`` is added in interaction payloads)."""
        data: dict[str, Any] = {
            "avatar": None,
            "banner": None,
            "communication_disabled_until": None,
            "flags": 0,
            "joined_at": iso(member.joined_at),
            "nick": member.nick,
            "pending": False,
            "premium_since": None,
            "roles": [str(r) for r in member.roles],
            "mute": False,
            "deaf": False,
        }
        if with_user:
            data["user"] = self.user_payload(member.user)
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def overwrite_payload(self, ow: Overwrite) -> dict[str, Any]:
        """A permission overwrite object."""
        return {"id": str(ow.id), "type": ow.type, "allow": str(ow.allow), "deny": str(ow.deny)}

    def channel_payload(self, channel: ChannelRecord, *, permissions_for: MemberRecord | None = None) -> dict[str, Any]:
        """A channel object (guild text channel, thread or DM)."""
        if channel.is_thread:
            data = self.thread_payload(channel)
        elif channel.type == DM:
            data = {
                "id": str(channel.id),
                "type": DM,
                "last_message_id": _opt_id(channel.last_message_id),
                "flags": 0,
                "recipients": [self.user_payload(self.users[u]) for u in channel.recipient_ids],
            }
        else:
            data = {
                "id": str(channel.id),
                "type": channel.type,
                "guild_id": str(channel.guild_id),
                "name": channel.name,
                "position": channel.position,
                "parent_id": _opt_id(channel.parent_id),
                "topic": channel.topic,
                "nsfw": channel.nsfw,
                "rate_limit_per_user": channel.rate_limit_per_user,
                "last_message_id": _opt_id(channel.last_message_id),
                "last_pin_timestamp": None,
                "permission_overwrites": [self.overwrite_payload(o) for o in channel.overwrites.values()],
                "default_auto_archive_duration": 1440,
                "default_thread_rate_limit_per_user": 0,
                "flags": 0,
            }
        if permissions_for is not None:
            data["permissions"] = str(self.channel_permissions(permissions_for, channel))
        return data

    def thread_payload(self, thread: ChannelRecord, *, member_for: int | None = None) -> dict[str, Any]:
        """A thread channel object (``member`` is included when ``member_for`` joined it)."""
        metadata: dict[str, Any] = {
            "archived": thread.archived,
            "archive_timestamp": iso(thread.archive_timestamp),
            "auto_archive_duration": thread.auto_archive_duration,
            "locked": thread.locked,
            "create_timestamp": iso(thread.created_at),
        }
        if thread.type == PRIVATE_THREAD:
            metadata["invitable"] = thread.invitable
        data: dict[str, Any] = {
            "id": str(thread.id),
            "type": thread.type,
            "guild_id": str(thread.guild_id),
            "parent_id": _opt_id(thread.parent_id),
            "owner_id": str(thread.owner_id),
            "name": thread.name,
            "last_message_id": _opt_id(thread.last_message_id),
            "rate_limit_per_user": thread.rate_limit_per_user,
            "message_count": thread.message_count,
            "member_count": min(len(thread.member_ids), 50),
            "total_message_sent": thread.total_message_sent,
            "thread_metadata": metadata,
            "flags": 0,
            "applied_tags": [],
        }
        if member_for is not None and member_for in thread.member_ids:
            data["member"] = {
                "id": str(thread.id),
                "user_id": str(member_for),
                "join_timestamp": iso(thread.created_at),
                "flags": 0,
            }
        return data

    def attachment_payload(self, att: AttachmentRecord) -> dict[str, Any]:
        """An attachment object whose ``url`` is served by the emulator."""
        data: dict[str, Any] = {
            "id": str(att.id),
            "filename": att.filename,
            "size": att.size,
            "url": att.url,
            "proxy_url": att.url,
        }
        if att.content_type:
            data["content_type"] = att.content_type
        if att.description is not None:
            data["description"] = att.description
        if att.title is not None:
            data["title"] = att.title
        if att.ephemeral:
            data["ephemeral"] = True
        return data

    def message_payload(
        self, message: MessageRecord, *, gateway: bool = False, depth: int = 0, with_nonce: bool = False
    ) -> dict[str, Any]:
        """A message object; gateway events add ``guild_id`` and the author's ``member``.

        Like Discord, the ``nonce`` is only echoed by the create response and the MESSAGE_CREATE event: it is
        not stored with the message, so history and fetches never show it.
        """
        data: dict[str, Any] = {
            "id": str(message.id),
            "channel_id": str(message.channel_id),
            "type": message.type,
            "content": message.content,
            "author": self.user_payload(message.author),
            "timestamp": iso(message.timestamp),
            "edited_timestamp": iso(message.edited_timestamp),
            "tts": message.tts,
            "mention_everyone": message.mention_everyone,
            "mentions": [self.user_payload(self.users[u]) for u in message.mention_ids if u in self.users],
            "mention_roles": [str(r) for r in message.mention_role_ids],
            "attachments": [self.attachment_payload(a) for a in message.attachments],
            "embeds": message.embeds,
            "components": message.components,
            "pinned": message.pinned,
            "flags": message.flags,
        }
        if message.webhook_id is not None:
            data["webhook_id"] = str(message.webhook_id)
        if message.application_id is not None:
            data["application_id"] = str(message.application_id)
        if message.interaction_metadata is not None:
            data["interaction_metadata"] = message.interaction_metadata
        if message.legacy_interaction is not None:
            data["interaction"] = message.legacy_interaction
        if message.nonce is not None and (gateway or with_nonce):
            data["nonce"] = message.nonce
        if message.poll is not None:
            data["poll"] = message.poll
        if message.reactions:
            data["reactions"] = [
                {
                    "emoji": _emoji_payload(emoji),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "burst_colors": [],
                    "me": self.bot_user.id in users,
                    "me_burst": False,
                }
                for emoji, users in message.reactions.items()
                if users
            ]
        if message.message_reference is not None:
            data["message_reference"] = message.message_reference
            ref = self.messages.get(int(message.message_reference.get("message_id", 0)))
            if depth == 0 and message.type == 19:
                data["referenced_message"] = (
                    self.message_payload(ref, depth=1) if ref is not None and not ref.deleted else None
                )
        if message.thread_id is not None and message.thread_id in self.channels and depth == 0:
            thread = self.channels[message.thread_id]
            if not thread.deleted:
                data["thread"] = self.thread_payload(thread)
        if message.position is not None:
            data["position"] = message.position
        if gateway and message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
            guild = self.guilds.get(message.guild_id)
            member = guild.members.get(message.author.id) if guild else None
            if member is not None and message.webhook_id is None:
                data["member"] = self.member_payload(member, with_user=False)
        return data

    def guild_payload(self, guild: GuildRecord) -> dict[str, Any]:
        """A REST guild object."""
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "description": None,
            "home_header": None,
            "splash": None,
            "discovery_splash": None,
            "features": guild.features,
            "banner": None,
            "owner_id": str(guild.owner_id),
            "application_id": None,
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "roles": [self.role_payload(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
            "default_message_notifications": 1,
            "mfa_level": 0,
            "explicit_content_filter": 0,
            "max_presences": None,
            "max_members": 500000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild.locale,
            "rules_channel_id": None,
            "safety_alerts_channel_id": None,
            "public_updates_channel_id": None,
            "premium_progress_bar_enabled": False,
            "nsfw": False,
            "nsfw_level": 0,
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
        }

    def guild_create_payload(self, guild: GuildRecord) -> dict[str, Any]:
        """The GUILD_CREATE dispatch: guild plus channels, active threads, members and counts."""
        data = self.guild_payload(guild)
        channels = [self.channels[c] for c in guild.channel_ids if not self.channels[c].deleted]
        data.update(
            {
                "joined_at": iso(guild.members[self.bot_user.id].joined_at)
                if self.bot_user.id in guild.members
                else None,
                "large": len(guild.members) >= 250,
                "unavailable": False,
                "member_count": len(guild.members),
                "voice_states": [],
                "members": [self.member_payload(m) for m in guild.members.values()],
                "channels": [self.channel_payload(c) for c in channels if not c.is_thread],
                "threads": [
                    self.thread_payload(c, member_for=self.bot_user.id)
                    for c in channels
                    if c.is_thread and not c.archived
                ],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "lazy": True,
            }
        )
        return data


def _opt_id(value: int | None) -> str | None:
    return None if value is None else str(value)


_CUSTOM_EMOJI = re.compile(r"^(?P<animated>a:)?(?P<name>[\w-]+):(?P<id>\d+)$")


def _emoji_payload(emoji: str) -> dict[str, Any]:
    match = _CUSTOM_EMOJI.match(emoji)
    if match:
        return {"id": match["id"], "name": match["name"], "animated": bool(match["animated"])}
    return {"id": None, "name": emoji}
