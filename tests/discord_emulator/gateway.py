"""The gateway WebSocket: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, compression, dispatches.

A :class:`GatewaySession` outlives its WebSocket connections so that a RESUME after a disconnect replays the
events the client missed. Each connection has one writer task fed by a queue: dispatching is synchronous for
callers and the zlib stream stays in order.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import traceback
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

from . import codec
from .errors import Failure

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

try:  # discord.py prefers zstd-stream when zstandard is installed; support it when it is.
    import zstandard as _zstd
except ImportError:  # pragma: no cover - depends on the environment
    _zstd = None

Compression = Literal["auto", "none"]

# Intent bits gating the events the emulator dispatches.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_MESSAGE_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_MESSAGE_POLLS = 1 << 24
INTENT_DIRECT_MESSAGE_POLLS = 1 << 25
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | INTENT_MESSAGE_CONTENT

# Close codes the client can resume after, and the ones that end the session.
RESUMABLE_CLOSE = 4000


@dataclass
class GatewayConnection:
    """One WebSocket connection (a session may see several over its life)."""

    ws: web.WebSocketResponse
    path: str
    compression: str
    session: GatewaySession | None = None
    resumed: bool = False
    replayed: int = 0
    heartbeats: int = 0
    closed: bool = False
    queue: asyncio.Queue[bytes | str | None] = field(default_factory=asyncio.Queue)
    _zlib: Any = None
    _zstd: Any = None

    def encode(self, payload: dict[str, Any]) -> bytes | str:
        """Serialise and, when the client asked for it, compress one payload."""
        return self.frame(codec.dumps(payload))

    def frame(self, raw: bytes) -> bytes | str:
        """One serialised payload as this connection sends it: compressed, or a text frame."""
        if self.compression == "zlib-stream":
            if self._zlib is None:
                self._zlib = zlib.compressobj()
            return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self.compression == "zstd-stream" and _zstd is not None:
            if self._zstd is None:
                self._zstd = _zstd.ZstdCompressor().compressobj()
            return self._zstd.compress(raw) + self._zstd.flush(_zstd.COMPRESSOBJ_FLUSH_BLOCK)
        return raw.decode()  # uncompressed: a text frame

    def send(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` for the writer task."""
        if not self.closed:
            self.queue.put_nowait(self.encode(payload))

    def send_raw(self, raw: bytes) -> None:
        """Queue an already serialised payload for the writer task."""
        if not self.closed:
            self.queue.put_nowait(self.frame(raw))


@dataclass
class GatewaySession:
    """An identified session: sequence numbers and the history of dispatches for RESUME."""

    session_id: str
    intents: int
    shard: tuple[int, int]
    connection: GatewayConnection | None = None
    seq: int = 0
    # Kept serialised: thousands of payload trees held here would be walked by every garbage collection.
    history: deque[tuple[int, bytes]] = field(default_factory=lambda: deque(maxlen=5000))
    presence: dict[str, Any] | None = None
    resumes: int = 0

    def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Number, remember and (when connected) send one dispatch."""
        return self.dispatch_raw(event, codec.dumps(data))

    def dispatch_raw(self, event: str, raw_data: bytes) -> int:
        """:meth:`dispatch` of an already serialised ``d``."""
        self.seq += 1
        # The JSON of {"op": 0, "t": event, "s": seq, "d": data}, around the data serialised once.
        raw = b'{"op":0,"t":%b,"s":%d,"d":%b}' % (codec.dumps(event), self.seq, raw_data)
        self.history.append((self.seq, raw))
        conn = self.connection
        if conn is not None and not conn.closed:
            conn.send_raw(raw)
        return self.seq


class Gateway:
    """The gateway endpoint and its sessions."""

    def __init__(
        self, emulator: DiscordEmulator, *, compression: Compression = "auto", heartbeat_interval: int = 41250
    ) -> None:
        self.emu = emulator
        self.compression: Compression = compression
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.identify_count = 0
        # What GET /gateway/bot answers (AutoShardedClient reads them), and every IDENTIFY's (monotonic
        # time, shard id, shard count): tests check the pacing of several bot processes from it.
        self.recommended_shards = 1
        self.max_concurrency = 1
        self.identifies: list[tuple[float, int, int]] = []
        self.resume_count = 0
        self.allowed_intents: int | None = None  # None: privileged intents are enabled for the app
        self._open = asyncio.Event()
        self._open.set()

    # -- public helpers ------------------------------------------------------------------------------------
    @property
    def active(self) -> list[GatewayConnection]:
        """Connections that are open and identified or resumed."""
        return [c for c in self.connections if not c.closed and c.session is not None]

    def dispatch(
        self,
        event: str,
        data: dict[str, Any] | bytes | Callable[[GatewaySession], dict[str, Any] | None],
        *,
        guild_id: int | None = None,
        intent: int | None = None,
    ) -> None:
        """Send ``event`` to every session that wants it (shard, intents).

        ``data`` may be per session, or already serialised (JSON bytes)."""
        shared = data if isinstance(data, bytes) else None  # the same data for every session: serialised once
        for session in list(self.sessions.values()):
            if intent is not None and not session.intents & intent:
                continue
            if guild_id is not None and not self._in_shard(session, guild_id):
                continue
            if guild_id is None and session.shard[0] != 0:
                continue  # direct messages and other events of no server go to shard 0 only, as on Discord
            if callable(data):
                payload = data(session)
                if payload is not None:
                    session.dispatch(event, payload)
                continue
            if shared is None:
                shared = codec.dumps(data)
            session.dispatch_raw(event, shared)

    @staticmethod
    def _in_shard(session: GatewaySession, guild_id: int) -> bool:
        shard_id, count = session.shard
        return count <= 1 or (guild_id >> 22) % count == shard_id

    async def close_all(self, code: int = RESUMABLE_CLOSE) -> None:
        """Close every open connection with ``code`` (sessions stay resumable)."""
        for conn in list(self.connections):
            if not conn.closed:
                conn.closed = True
                conn.queue.put_nowait(None)
                await conn.ws.close(code=code, message=b"emulator forced disconnect")

    def pause(self) -> None:
        """Hold new connections before HELLO (a gateway outage)."""
        self._open.clear()

    def resume_service(self) -> None:
        """End an outage: held connections get their HELLO."""
        self._open.set()

    async def wait_resumed(self, sessions: list[GatewaySession], timeout: float) -> None:  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
        """Wait until every session in ``sessions`` has a live, resumed connection."""

        def resumed() -> bool:
            return all(s.connection is not None and s.connection.resumed and not s.connection.closed for s in sessions)

        await self.emu.wait_for(resumed, timeout=timeout, message="the client did not RESUME its gateway session")

    # -- the endpoint --------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for the gateway WebSocket."""
        requested = request.query.get("compress", "")
        if self.compression == "none" or requested not in ("zlib-stream", "zstd-stream"):
            compression = "none"
        else:
            compression = requested
        if compression == "zstd-stream" and _zstd is None:
            compression = "none"
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws=ws, path=request.path, compression=compression)
        self.connections.append(conn)
        writer = asyncio.create_task(self._writer(conn), name="emulator-gateway-writer")
        try:
            await self._open.wait()
            if conn.closed:
                return ws
            conn.send(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": ["emulator"]},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = msg.data
                elif msg.type == WSMsgType.BINARY:
                    data = msg.data.decode()
                else:
                    break
                try:
                    payload = codec.loads(data)
                except ValueError:
                    await self._close(conn, 4002, "decode error")
                    break
                try:
                    await self._on_message(conn, payload)
                except Exception:
                    # A bug in the emulator must fail the test, not loop the client through reconnects.
                    self.emu.record_failure(Failure(kind="emulator_error", message=traceback.format_exc()))
                    await self._close(conn, 4000, "emulator error")
                if conn.closed:
                    break
        finally:
            conn.closed = True
            conn.queue.put_nowait(None)
            await writer
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
        return ws

    async def _writer(self, conn: GatewayConnection) -> None:
        while True:
            item = await conn.queue.get()
            if item is None:
                return
            try:
                if isinstance(item, bytes):
                    await conn.ws.send_bytes(item)
                else:
                    await conn.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                conn.closed = True
                return

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        conn.closed = True
        conn.queue.put_nowait(None)
        await conn.ws.close(code=code, message=reason.encode())

    async def _on_message(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            conn.heartbeats += 1
            conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await self._close(conn, 4003, "Not authenticated.")
        elif op == 3:
            conn.session.presence = data
        elif op == 8:
            self._request_members(conn.session, data or {})
        elif op == 4:
            pass  # voice state updates are accepted and ignored
        else:
            self.emu.record_failure(Failure(kind="gateway", message=f"unknown gateway opcode {op!r}"))
            await self._close(conn, 4001, "Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if conn.session is not None:
            await self._close(conn, 4005, "Already authenticated.")
            return
        if data.get("token") != self.emu.token:
            await self._close(conn, 4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await self._close(conn, 4013, "Invalid intent(s).")
            return
        if self.allowed_intents is not None and intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await self._close(conn, 4014, "Disallowed intent(s).")
            return
        shard = data.get("shard") or [0, 1]
        if not (isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]):
            await self._close(conn, 4010, "Invalid shard.")
            return
        self.identify_count += 1
        self.identifies.append((time.monotonic(), shard[0], shard[1]))
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents, shard=(shard[0], shard[1]))
        session.presence = data.get("presence")
        self.sessions[session.session_id] = session
        session.connection = conn
        conn.session = session
        world = self.emu.world
        guilds = [g for g in world.guilds.values() if self._in_shard(session, g.id)]
        ready = {
            "v": 10,
            "user": {
                **world.user_payload(world.bot_user),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
            },
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.emu.resume_gateway_url,
            "application": {"id": str(world.application_id), "flags": self.emu.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "auth_session_id_hash": secrets.token_hex(8),
            "_trace": ["emulator"],
        }
        if data.get("shard"):
            ready["shard"] = list(session.shard)
        session.dispatch("READY", ready)
        for guild in guilds:
            if session.intents & INTENT_GUILDS:
                session.dispatch("GUILD_CREATE", world.guild_create_payload(guild))
        conn.resumed = True
        self.emu.notify()

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.emu.token:
            # Not resumable: the client must IDENTIFY again.
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn and not old.closed:
            old.closed = True
            old.queue.put_nowait(None)
        self.resume_count += 1
        session.resumes += 1
        conn.session = session
        session.connection = conn
        last = data.get("seq") or 0
        if session.history and last < session.history[0][0] - 1:
            # The events the client missed are no longer kept: it must IDENTIFY again.
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        missed = [raw for seq, raw in session.history if seq > last]
        for raw in missed:
            conn.send_raw(raw)
        conn.replayed = len(missed)
        session.dispatch("RESUMED", {"_trace": ["emulator"]})
        conn.resumed = True
        self.emu.notify()

    def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        world = self.emu.world
        guild = world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            query = str(data["query"]).lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [world.member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
