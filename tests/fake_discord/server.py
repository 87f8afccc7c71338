"""`FakeDiscord`: a local Discord (REST, gateway websocket, CDN) that the real discord.py client
logs in to, plus the controls tests use to act as users and to inspect what the bot did.

Owns the aiohttp application's lifecycle, pointing discord.py at it (`Route.BASE`,
`DiscordWebSocket.DEFAULT_GATEWAY`, restored on stop) and the test-facing API; state, REST, gateway
and interaction payloads live in their own modules.
"""

# Test helpers take a `timeout` like asyncio.wait_for does.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar

from aiohttp import web

from .gateway import Gateway
from .interactions import ChannelLike, InteractionFactory, UserLike, channel_id_of, user_id_of
from .recording import ChangeSignal, InjectedFault, RecordedRequest, RouteLimit, rate_limit_fault
from .rest import UNHANDLED, RestApi, reaction_event
from .state import (
    DiscordState,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeRole,
    FakeUser,
    Payload,
)

T = TypeVar("T")
DEFAULT_TIMEOUT = 5.0


class FakeDiscord:
    """A fake Discord on 127.0.0.1. Set up guilds, start it, run the bot against it, act, assert.

    ```python
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Crisis")          # before the bot connects
        ...
    ```
    """

    def __init__(
        self,
        *,
        bot_name: str = "crisisbot",
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline: float | None = None,
    ) -> None:
        """`interaction_deadline`: answer callbacks later than this many seconds after the
        interaction with 404 "Unknown interaction" (10062), as Discord does after 3 s; off by
        default so slow CI machines do not fail tests that are not about latency."""
        self.state = DiscordState(bot_name=bot_name)
        self._signal = ChangeSignal()
        self.gateway = Gateway(
            self.state,
            self._signal,
            lambda: self.gateway_url,
            heartbeat_interval_ms=heartbeat_interval_ms,
        )
        self.rest = RestApi(self.state, self.gateway, self._signal)
        self.rest.interaction_deadline = interaction_deadline
        self.interactions_factory = InteractionFactory(self.state)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._saved_discord: tuple[Any, Any] | None = None

    # lifecycle ------------------------------------------------------------------------------

    async def start(self, *, patch_discord: bool = True) -> FakeDiscord:
        """Serve on a free port; with `patch_discord`, point discord.py's REST and gateway here."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        self.rest.add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.state.cdn_base = f"http://{self._host}:{self._port}"
        if patch_discord:
            self.patch_discord()
        return self

    async def stop(self) -> None:
        self.unpatch_discord()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.sleep(0)  # let closed transports run connection_lost before the loop ends

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def patch_discord(self) -> None:
        """Make every discord.py client in this process talk to this fake (undone by `stop`)."""
        import discord.gateway
        import discord.http
        import yarl

        if self._saved_discord is None:
            self._saved_discord = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def unpatch_discord(self) -> None:
        if self._saved_discord is None:
            return
        import discord.gateway
        import discord.http

        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
            self._saved_discord
        )
        self._saved_discord = None

    @property
    def base_url(self) -> str:
        return self.state.cdn_base

    @property
    def api_base(self) -> str:
        return self.base_url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/gateway"

    # world set-up and inspection ------------------------------------------------------------

    @property
    def token(self) -> str:
        """The only bot token the fake accepts."""
        return self.state.token

    @property
    def bot_user(self) -> FakeUser:
        return self.state.bot_user

    @property
    def application_id(self) -> int:
        return self.state.application_id

    def add_guild(self, name: str = "Test Guild", *, owner: FakeUser | None = None) -> FakeGuild:
        """A guild with @everyone, a managed role for the bot, the owner and the bot as members.
        Add guilds, roles, members and channels before the bot connects (GUILD_CREATE is sent at
        IDENTIFY); later changes reach the bot only through REST-driven events or `dispatch`."""
        return self.state.add_guild(name, owner=owner)

    def add_user(self, username: str) -> FakeUser:
        return self.state.add_user(username)

    @property
    def guilds(self) -> dict[int, FakeGuild]:
        return self.state.guilds

    @property
    def channels(self) -> dict[int, Payload]:
        """Every channel payload by id (guild channels and DMs), as the API would return it."""
        return self.state.channels

    @property
    def messages(self) -> Mapping[int, list[Payload]]:
        """Non-ephemeral messages per channel id, oldest first, current (edited) state."""
        return self.state.messages

    def message(self, message_id: int | str) -> Payload:
        """Any message by id, including ephemeral interaction responses."""
        return self.state.message(int(message_id))

    def pinned(self, channel: ChannelLike) -> list[Payload]:
        return self.state.pinned(channel_id_of(channel))

    def dm_messages(self, user: UserLike) -> list[Payload]:
        """Messages in the bot's DM channel with `user`."""
        return self.state.dm_messages(user_id_of(user))

    @property
    def commands(self) -> list[Payload]:
        """Registered global application commands."""
        return self.state.global_commands

    def guild_commands(self, guild: FakeGuild | int) -> list[Payload]:
        return self.state.guild_commands.get(guild if isinstance(guild, int) else guild.id, [])

    @property
    def interactions(self) -> dict[int, FakeInteraction]:
        return self.state.interactions

    @property
    def interaction_responses(self) -> dict[int, Payload]:
        """First callback body (`{"type": ..., "data": ...}`) per answered interaction id."""
        return {i: ix.callbacks[0] for i, ix in self.state.interactions.items() if ix.callbacks}

    def cdn_put(self, data: bytes, filename: str, *, content_type: str | None = None) -> str:
        """Store bytes on the fake CDN; returns their URL."""
        return self.state.cdn_put(data, filename, content_type=content_type)["url"]

    def make_attachment(
        self, data: bytes, filename: str, *, content_type: str | None = None
    ) -> Payload:
        """An attachment payload (id, filename, size, url, content_type) served by the fake CDN;
        pass it in `post_message(attachments=...)` or as an attachment option value."""
        return self.state.cdn_put(data, filename, content_type=content_type)

    def cdn_bytes(self, url: str) -> bytes:
        """The bytes behind a CDN URL (e.g. of a file the bot uploaded)."""
        return self.state.cdn_bytes(url)

    # request log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every REST call in order (CDN downloads are in `cdn_requests`)."""
        return self.rest.requests

    @property
    def cdn_requests(self) -> list[str]:
        return self.rest.cdn_requests

    def calls(
        self, method: str | None = None, route: str | None = None, *, since: int = 0
    ) -> list[RecordedRequest]:
        """Recorded calls matching method and route template (or concrete path), from `since`."""
        return [r for r in self.rest.requests[since:] if r.matches(method, route)]

    @property
    def unhandled_requests(self) -> list[RecordedRequest]:
        """Calls to endpoints the fake does not implement (answered 404)."""
        return self.calls(route=UNHANDLED)

    def mark(self) -> int:
        """The request-log position, for `calls(since=...)` and `wait_for_request(since=...)`."""
        return len(self.rest.requests)

    async def wait_for(
        self,
        predicate: Callable[[], T],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        what: str | Callable[[], str] = "",
    ) -> T:
        """Wait until `predicate()` is truthy (checked after every request and gateway frame, and
        every few ms); on timeout, raise TimeoutError saying `what` was awaited."""

        def describe() -> str:
            text = what() if callable(what) else what
            return text or f"waiting for {getattr(predicate, '__name__', 'a condition')}"

        return await self._signal.wait_for(predicate, timeout=timeout, describe=describe)

    async def wait_for_request(
        self,
        method: str,
        route: str,
        *,
        where: Callable[[RecordedRequest], bool] | None = None,
        since: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> RecordedRequest:
        """The first 2xx recorded call matching method, route and `where`, from index `since`."""

        def found() -> RecordedRequest | None:
            return next(
                (
                    r
                    for r in self.calls(method, route, since=since)
                    if 200 <= r.status < 300 and (where is None or where(r))
                ),
                None,
            )

        return await self.wait_for(
            found,
            timeout=timeout,
            what=lambda: f"waiting for {method} {route}; got {self._summary()}",
        )

    def _summary(self) -> list[str]:
        return [f"{r.method} {r.route} -> {r.status}" for r in self.rest.requests[-15:]]

    # fault injection ------------------------------------------------------------------------

    def inject_rate_limit(
        self,
        method: str,
        route: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        scope: str = "user",
    ) -> InjectedFault:
        """Answer the next `times` calls to `method route` (a template or a concrete path) with
        429."""
        fault = rate_limit_fault(
            method, route, times=times, retry_after=retry_after, is_global=is_global, scope=scope
        )
        self.rest.faults.append(fault)
        return fault

    def inject_error(
        self,
        method: str,
        route: str,
        *,
        status: int,
        code: int = 0,
        message: str = "error",
        times: int = 1,
    ) -> InjectedFault:
        """Answer the next `times` calls with `status` and a Discord error body (`code`).
        `route` is a template (`/channels/{channel_id}/messages`) or a concrete path
        (`/channels/123/messages`, to refuse one channel only)."""
        fault = InjectedFault(
            method.upper(), route, times, status, {"message": message, "code": code}
        )
        self.rest.faults.append(fault)
        return fault

    def set_rate_limit(self, method: str, route: str, *, limit: int, per: float) -> RouteLimit:
        """Enforce a Discord-style bucket on `method route`: `limit` calls per `per` seconds per
        channel, guild or interaction. Answers carry the real `X-RateLimit-*` headers, so
        discord.py waits before it would exceed the bucket; a client that ignores them gets 429."""
        bucket = RouteLimit(method.upper(), route, limit, per, time.monotonic)
        self.rest.limits.append(bucket)
        return bucket

    # gateway --------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.gateway.connected

    async def wait_until_connected(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        await self.wait_for(
            lambda: self.gateway.connected, timeout=timeout, what="waiting for a gateway session"
        )

    async def dispatch(self, event: str, data: Payload) -> int:
        """Send a raw gateway event to every live session; returns how many sessions got it."""
        return await self.gateway.dispatch(event, data)

    async def drop_gateway(
        self, mode: Literal["close", "reconnect", "invalidate"] = "close"
    ) -> None:
        """Disconnect the bot: `close` (code 4000) or `reconnect` (op 7) make it RESUME and get
        the events sent meanwhile; `invalidate` (op 9) makes it IDENTIFY again."""
        await self.gateway.drop(mode)

    @property
    def gateway_received(self) -> list[Payload]:
        """Every frame clients sent (IDENTIFY, RESUME, heartbeats, ...)."""
        return self.gateway.received

    @property
    def gateway_sent(self) -> list[Payload]:
        """Every dispatch sent, per session, with its sequence number."""
        return self.gateway.sent

    # acting as users ------------------------------------------------------------------------

    @property
    def minimal_payloads(self) -> bool:
        """When set, interactions carry only the fields Discord documents as always present
        (see `interactions` module docstring), as a leaner Discord-compatible server would."""
        return self.interactions_factory.minimal

    @minimal_payloads.setter
    def minimal_payloads(self, value: bool) -> None:
        self.interactions_factory.minimal = value

    async def _send_interaction(self, interaction: FakeInteraction) -> FakeInteraction:
        interaction.delivered_to = await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserLike,
        channel: ChannelLike,
    ) -> FakeInteraction:
        """`user` runs `/name` (`"incident open"` for subcommands) in `channel` with `options`:
        str/int/float/bool, members/users, roles, channel payloads, and attachments
        (`make_attachment(...)` payloads or `(filename, bytes)`)."""
        return await self._send_interaction(
            self.interactions_factory.slash_command(name, options, user=user, channel=channel)
        )

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        focused: str,
        user: UserLike,
        channel: ChannelLike,
    ) -> FakeInteraction:
        """`user` is typing option `focused` of `/name`; the callback's `data.choices` answer it."""
        return await self._send_interaction(
            self.interactions_factory.slash_command(
                name, options, user=user, channel=channel, focused=focused
            )
        )

    async def message_command(
        self, name: str, message: Payload | int, *, user: UserLike
    ) -> FakeInteraction:
        """`user` picks the message context-menu command `name` on `message`."""
        target = self.message(message) if isinstance(message, int | str) else message
        return await self._send_interaction(
            self.interactions_factory.message_command(name, target, user=user)
        )

    async def user_command(
        self, name: str, target: UserLike, *, user: UserLike, channel: ChannelLike
    ) -> FakeInteraction:
        return await self._send_interaction(
            self.interactions_factory.user_command(name, target, user=user, channel=channel)
        )

    async def click(
        self,
        message: Payload | int,
        custom_id: str,
        *,
        user: UserLike,
        values: Sequence[str] | None = None,
        check: bool = True,
    ) -> FakeInteraction:
        """`user` clicks the button (or picks `values` in the select) `custom_id` on `message`.
        With `check`, the message must carry that component."""
        target = self.message(message) if isinstance(message, int | str) else message
        return await self._send_interaction(
            self.interactions_factory.component(
                target, custom_id, user=user, values=values, check=check
            )
        )

    async def submit_modal(
        self,
        source: FakeInteraction,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: UserLike | None = None,
    ) -> FakeInteraction:
        """Fill in and submit the modal the bot answered `source` with (`values` by custom_id)."""
        return await self._send_interaction(
            self.interactions_factory.modal_submit(source, values, user=user)
        )

    async def wait_for_interaction_response(
        self, interaction: FakeInteraction | int, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Payload:
        """The bot's callback body for the interaction (`{"type": 4, "data": {...}}`)."""
        key = interaction if isinstance(interaction, int) else interaction.id
        ix = self.state.interactions[key]

        def what() -> str:
            if not ix.delivered_to:
                return f"waiting for a response to interaction {ix.id}, which no bot received"
            return f"waiting for a response to interaction {ix.id}; got {self._summary()}"

        return await self.wait_for(lambda: ix.response, timeout=timeout, what=what)

    async def post_message(
        self,
        channel: ChannelLike,
        author: UserLike,
        content: str = "",
        *,
        attachments: Sequence[Payload | tuple[str, bytes]] = (),
        embeds: Sequence[Payload] = (),
        reply_to: Payload | None = None,
    ) -> Payload:
        """`author` posts a message (attachments are stored on the CDN); sends MESSAGE_CREATE."""
        channel_id = channel_id_of(channel)
        stored = [
            self.state.cdn_put(a[1], a[0], channel_id=channel_id) if isinstance(a, tuple) else a
            for a in attachments
        ]
        body: dict[str, Any] = {"content": content, "embeds": list(embeds)}
        if reply_to is not None:
            body["message_reference"] = {"message_id": reply_to["id"]}
        msg = self.state.create_message(
            channel_id, self.state.user(user_id_of(author)), body, attachments=stored
        )
        await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    async def create_thread(
        self, channel: ChannelLike, name: str, *, owner: UserLike, private: bool = False
    ) -> Payload:
        """`owner` starts a thread in text channel `channel`; sends THREAD_CREATE. Post in it,
        run commands or click in it by passing the returned payload as the channel."""
        thread = self.state.create_thread(
            channel_id_of(channel), name, owner_id=user_id_of(owner), private=private
        )
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    async def edit_message(self, message: Payload | int, content: str) -> Payload:
        """The author edits their message; sends MESSAGE_UPDATE."""
        msg = self.message(message) if isinstance(message, int | str) else message
        self.state.edit_message(msg, {"content": content})
        await self.dispatch("MESSAGE_UPDATE", msg)
        return msg

    async def delete_message(self, message: Payload | int) -> None:
        """The message disappears (author or moderator); sends MESSAGE_DELETE."""
        msg = self.message(message) if isinstance(message, int | str) else message
        self.state.delete_message(int(msg["channel_id"]), int(msg["id"]))
        event = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            event["guild_id"] = msg["guild_id"]
        await self.dispatch("MESSAGE_DELETE", event)

    async def set_roles(self, member: FakeMember, roles: Iterable[FakeRole | int]) -> None:
        """A moderator changes `member`'s roles; sends GUILD_MEMBER_UPDATE."""
        member.role_ids = [r if isinstance(r, int) else r.id for r in roles]
        await self.dispatch("GUILD_MEMBER_UPDATE", member.update_event())

    async def react(self, message: Payload | int, emoji: str, *, user: UserLike) -> None:
        """`user` reacts with `emoji` (unicode, or `name:id`); sends MESSAGE_REACTION_ADD."""
        msg = self.message(message) if isinstance(message, int | str) else message
        uid = user_id_of(user)
        if self.state.add_reaction(msg, emoji, uid):
            await self.dispatch("MESSAGE_REACTION_ADD", reaction_event(self.state, msg, emoji, uid))
