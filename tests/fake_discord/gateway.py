"""The fake gateway: the websocket a discord.py client keeps open to receive events.

Owns sessions (IDENTIFY -> READY + GUILD_CREATE, RESUME -> replay + RESUMED), sequence numbers,
the per-session backlog replayed on resume, heartbeats, member chunk requests, intent filtering
(including blanking message content without the MESSAGE_CONTENT intent) and dropping connections
on request. Frames are sent as uncompressed text: discord.py asks for `compress=zstd-stream` or
`zlib-stream` in the URL but decompresses only binary frames, so plain text negotiates it off.
Must not import discord.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSMsgType, web

from .recording import ChangeSignal
from .state import DiscordState, FakeGuild, Payload

# Opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

# Intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15

_GUILD_EVENTS = ("GUILD_", "CHANNEL_", "THREAD_")
_CLEAN_CLOSE = (1000, 1001)
BACKLOG = 10_000


@dataclass
class GatewaySession:
    """One identified client session; survives disconnects until closed cleanly or invalidated."""

    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    backlog: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    ws: web.WebSocketResponse | None = None
    ended: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _frame(op: int, d: Any, *, s: int | None = None, t: str | None = None) -> str:
    return json.dumps({"op": op, "d": d, "s": s, "t": t}, separators=(",", ":"))


class Gateway:
    """Serves `/gateway`; `dispatch` sends an event to every live session (buffered while a
    session is disconnected, replayed when it resumes)."""

    def __init__(
        self,
        world: DiscordState,
        signal: ChangeSignal,
        url: Callable[[], str],
        *,
        heartbeat_interval_ms: int = 41_250,
    ) -> None:
        self._world = world
        self._signal = signal
        self._url = url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, GatewaySession] = {}
        self.received: list[Payload] = []
        self.sent: list[Payload] = []
        self._sockets: set[web.WebSocketResponse] = set()

    # public ---------------------------------------------------------------------------------

    @property
    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if not s.ended]

    @property
    def connected(self) -> bool:
        """True when there is a session and every live session has an open websocket."""
        live = self.live_sessions
        return bool(live) and all(s.ws is not None for s in live)

    async def dispatch(self, event: str, data: Payload) -> int:
        """Send `event` to each live session that may see it; returns how many sessions got it."""
        delivered = 0
        for session in self.live_sessions:
            visible = self._visible(session, event, data)
            if visible is None:
                continue
            async with session.lock:
                await self._send_event(session, event, visible)
            delivered += 1
        self._signal.notify()
        return delivered

    async def drop(self, mode: Literal["close", "reconnect", "invalidate"] = "close") -> None:
        """Disconnect every live session: close the socket (code 4000, resumable), ask the client
        to reconnect (op 7), or invalidate the session (op 9, the client identifies afresh)."""
        for session in self.live_sessions:
            async with session.lock:
                ws, session.ws = session.ws, None
                if mode == "invalidate":
                    session.ended = True
            if ws is None:
                continue
            if mode == "reconnect":
                await self._send_raw(ws, _frame(RECONNECT, None))
            elif mode == "invalidate":
                await self._send_raw(ws, _frame(INVALID_SESSION, False))
            else:
                await ws.close(code=4000, message=b"fake Discord dropped the connection")
        self._signal.notify()

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake Discord shutting down")

    # websocket handler ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: GatewaySession | None = None
        try:
            await self._send_raw(
                ws, _frame(HELLO, {"heartbeat_interval": self.heartbeat_interval_ms})
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                self.received.append(payload)
                self._signal.notify()
                op, d = payload.get("op"), payload.get("d")
                if op == HEARTBEAT:
                    await self._send_raw(ws, _frame(HEARTBEAT_ACK, None))
                elif op == IDENTIFY:
                    session = await self._identify(ws, d)
                elif op == RESUME:
                    session = await self._resume(ws, d)
                elif op == REQUEST_GUILD_MEMBERS:
                    await self._request_members(ws, session, d)
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                if ws.close_code in _CLEAN_CLOSE:
                    session.ended = True
            self._signal.notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: Payload) -> GatewaySession | None:
        if d.get("token") != self._world.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        session = GatewaySession(secrets.token_hex(16), int(d.get("intents", 0)), d.get("shard"))
        self.sessions[session.id] = session
        async with session.lock:
            await self._send_event(session, "READY", self._ready(session), ws=ws)
            for guild in self._world.guilds.values():
                visible = self._visible(session, "GUILD_CREATE", self._guild_create(session, guild))
                if visible is not None:
                    await self._send_event(session, "GUILD_CREATE", visible, ws=ws)
            session.ws = ws
        return session

    async def _resume(self, ws: web.WebSocketResponse, d: Payload) -> GatewaySession | None:
        session = self.sessions.get(d.get("session_id", ""))
        if d.get("token") != self._world.token or session is None or session.ended:
            await self._send_raw(ws, _frame(INVALID_SESSION, False))
            return None
        async with session.lock:
            last_seen = int(d.get("seq") or 0)
            for seq, frame in list(session.backlog):
                if seq > last_seen:
                    await self._send_raw(ws, frame)
            session.seq += 1
            await self._send_raw(ws, _frame(DISPATCH, {}, s=session.seq, t="RESUMED"))
            session.ws = ws
        return session

    async def _request_members(
        self, ws: web.WebSocketResponse, session: GatewaySession | None, d: Payload
    ) -> None:
        if session is None:
            return
        guild = self._world.guilds.get(int(d["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in d.get("user_ids") or []}
        query = (d.get("query") or "").lower()
        members = [
            m.payload()
            for m in guild.members.values()
            if (not wanted or m.id in wanted) and m.user.username.lower().startswith(query)
        ]
        limit = int(d.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: Payload = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {int(m["user"]["id"]) for m in members}],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        async with session.lock:
            await self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk, ws=ws)

    # helpers --------------------------------------------------------------------------------

    def _ready(self, session: GatewaySession) -> Payload:
        world = self._world
        ready: Payload = {
            "v": 10,
            "user": {
                **world.bot_user.payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
            },
            "guilds": [{"id": str(g), "unavailable": True} for g in world.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._url(),
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        return ready

    def _guild_create(self, session: GatewaySession, guild: FakeGuild) -> Payload:
        """Without the GUILD_MEMBERS intent Discord sends only the bot's own member."""
        data = guild.payload()
        if not session.intents & GUILD_MEMBERS:
            bot_id = str(self._world.bot_user.id)
            data["members"] = [m for m in data["members"] if m["user"]["id"] == bot_id]
        return data

    async def _send_event(
        self,
        session: GatewaySession,
        event: str,
        data: Payload,
        *,
        ws: web.WebSocketResponse | None = None,
    ) -> None:
        """Number, log and send one dispatch; the caller holds `session.lock`."""
        session.seq += 1
        frame = _frame(DISPATCH, data, s=session.seq, t=event)
        session.backlog.append((session.seq, frame))
        self.sent.append({"op": DISPATCH, "t": event, "s": session.seq, "d": data})
        target = ws or session.ws
        if target is not None:
            await self._send_raw(target, frame)

    async def _send_raw(self, ws: web.WebSocketResponse, frame: str) -> None:
        if ws.closed:
            return
        # If the client went away, a resumed session gets the frame from the backlog.
        with contextlib.suppress(ConnectionError):
            await ws.send_str(frame)

    def _visible(self, session: GatewaySession, event: str, data: Payload) -> Payload | None:
        """The event as this session sees it, or None if its intents exclude it."""
        intents = session.intents
        in_dm = "guild_id" not in data
        if event.startswith(_GUILD_EVENTS) and not event.startswith("GUILD_MEMBER"):
            needed = GUILDS
        elif event.startswith("GUILD_MEMBER") and event != "GUILD_MEMBERS_CHUNK":
            needed = GUILD_MEMBERS
        elif event.startswith("MESSAGE_REACTION"):
            needed = DIRECT_MESSAGE_REACTIONS if in_dm else GUILD_MESSAGE_REACTIONS
        elif event.startswith("MESSAGE_"):
            needed = DIRECT_MESSAGES if in_dm else GUILD_MESSAGES
        else:
            needed = 0
        if needed and not intents & needed:
            return None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not self._sees_content(session, data):
            return {
                **data,
                "content": "",
                "embeds": [],
                "attachments": [],
                "components": [],
            }
        return data

    def _sees_content(self, session: GatewaySession, data: Payload) -> bool:
        if session.intents & MESSAGE_CONTENT or "guild_id" not in data:
            return True
        bot_id = str(self._world.bot_user.id)
        author = data.get("author") or {}
        return author.get("id") == bot_id or any(
            u.get("id") == bot_id for u in data.get("mentions", [])
        )
