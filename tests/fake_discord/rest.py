"""The fake REST API (`/api/v10/...`) and CDN (`/attachments/...`) on aiohttp.

Owns the HTTP side only: routing by Discord's route templates, parsing JSON and multipart bodies,
recording every call, playing back injected faults, answering with `Content-Type:
application/json` exactly (discord.py parses nothing else), and telling the gateway which events a
change causes (CHANNEL_CREATE, MESSAGE_CREATE, ...) before the HTTP response goes out. State changes
live in `state`. Must not import discord.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import payloads as p
from .gateway import Gateway
from .recording import (
    ChangeSignal,
    InjectedFault,
    RecordedFile,
    RecordedRequest,
    RouteLimit,
    bucket_hash,
    rate_limit_answer,
)
from .state import DiscordState, FakeDiscordError, FakeInteraction, Payload, emoji_payload, unknown
from .validation import check_message, check_modal

API_PREFIX = "/api/v10"
UNHANDLED = "<unhandled>"


@dataclass(frozen=True)
class Call:
    """A parsed request as handlers see it."""

    params: dict[str, str]
    query: Mapping[str, str]
    json: Any
    files: tuple[RecordedFile, ...]

    def id(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise FakeDiscordError(
                400, 50035, f"Invalid Form Body: {name} is not snowflake"
            ) from None

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}

    @property
    def uploads(self) -> list[tuple[str, str, bytes, str | None]]:
        return [(f.field, f.filename, f.data, f.content_type) for f in self.files]


Handler = Callable[[Call], Awaitable[Any]]


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    if status == 204 or data is None:
        return web.Response(status=204, headers=dict(headers or {}))
    body = json.dumps(data, separators=(",", ":")).encode()
    return web.Response(
        status=status, body=body, headers={**(headers or {}), "Content-Type": "application/json"}
    )


async def read_body(request: web.Request) -> tuple[Any, tuple[RecordedFile, ...]]:
    """JSON body, or a multipart body's `payload_json` plus its file parts."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files = []
        reader = await request.multipart()
        async for part in reader:
            name = part.name or ""
            data = await part.read()  # type: ignore[union-attr]
            if part.filename:
                files.append(
                    RecordedFile(name, part.filename, bytes(data), part.headers.get("Content-Type"))
                )
            elif name == "payload_json":
                payload = json.loads(data)
        return payload, tuple(files)
    if request.can_read_body:
        text = await request.text()
        return (json.loads(text) if text else None), ()
    return None, ()


class RestApi:
    """Discord's REST endpoints over one `DiscordState`, with call recording and fault injection."""

    def __init__(self, world: DiscordState, gateway: Gateway, signal: ChangeSignal) -> None:
        self._world = world
        self._gateway = gateway
        self._signal = signal
        self.requests: list[RecordedRequest] = []
        self.cdn_requests: list[str] = []
        self.faults: list[InjectedFault] = []
        self.interaction_deadline: float | None = None
        #: False: answer interaction callbacks 204 without a body, ignoring `with_response`
        self.callback_bodies = True
        self.limits: list[RouteLimit] = []

    # wiring ---------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self.get_me, True),
            ("GET", "/oauth2/applications/@me", self.get_application, True),
            ("GET", "/applications/@me", self.get_application, True),
            ("GET", "/gateway", self.get_gateway, False),
            ("GET", "/gateway/bot", self.get_gateway_bot, True),
            ("GET", "/applications/{application_id}/commands", self.get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self.put_commands, True),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.put_commands,
                True,
            ),
            ("GET", "/guilds/{guild_id}", self.get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels, True),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel, True),
            ("GET", "/guilds/{guild_id}/roles", self.get_roles, True),
            ("GET", "/guilds/{guild_id}/members", self.get_members, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member, True),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member, True),
            (
                "PUT",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                self.add_member_role,
                True,
            ),
            (
                "DELETE",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                self.remove_member_role,
                True,
            ),
            ("GET", "/users/{user_id}", self.get_user, True),
            ("POST", "/users/@me/channels", self.open_dm, True),
            ("GET", "/channels/{channel_id}", self.get_channel, True),
            ("PATCH", "/channels/{channel_id}", self.edit_channel, True),
            ("DELETE", "/channels/{channel_id}", self.delete_channel, True),
            ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self.put_overwrite, True),
            (
                "DELETE",
                "/channels/{channel_id}/permissions/{overwrite_id}",
                self.delete_overwrite,
                True,
            ),
            ("POST", "/channels/{channel_id}/typing", self.typing, True),
            ("GET", "/channels/{channel_id}/messages", self.get_messages, True),
            ("POST", "/channels/{channel_id}/messages", self.create_message, True),
            ("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete, True),
            ("GET", "/channels/{channel_id}/messages/pins", self.get_pins, True),
            ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin, True),
            ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin, True),
            ("GET", "/channels/{channel_id}/pins", self.get_pins_legacy, True),
            ("PUT", "/channels/{channel_id}/pins/{message_id}", self.pin, True),
            ("DELETE", "/channels/{channel_id}/pins/{message_id}", self.unpin, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message, True),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.add_reaction,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
                self.remove_reaction,
                True,
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                self.interaction_callback,
                False,
            ),
            ("POST", "/webhooks/{application_id}/{interaction_token}", self.create_followup, False),
            (
                "GET",
                "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
                self.get_webhook_message,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
                self.edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
                self.delete_webhook_message,
                False,
            ),
        ]
        for method, template, handler, needs_auth in routes:
            app.router.add_route(
                method, API_PREFIX + template, self._endpoint(template, handler, needs_auth)
            )
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._unhandled)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.cdn_get)

    def _endpoint(
        self, template: str, handler: Handler, needs_auth: bool
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def endpoint(request: web.Request) -> web.Response:
            body, files = await read_body(request)
            call = Call(dict(request.match_info), request.query, body, files)
            headers = {}
            path = request.path.removeprefix(API_PREFIX)
            fault = next((f for f in self.faults if f.take(request.method, template, path)), None)
            if fault is not None:
                status, data, headers = fault.status, fault.body, fault.headers
            elif needs_auth and request.headers.get("Authorization") != f"Bot {self._world.token}":
                status, data = 401, p.error(0, "401: Unauthorized")
            else:
                allowed, headers, reset_after = self._take_limit(request.method, template, call)
                if not allowed:
                    data, limited = rate_limit_answer(
                        request.method,
                        template,
                        retry_after=reset_after,
                        is_global=False,
                        scope="user",
                    )
                    status, headers = 429, {**limited, **headers}
                else:
                    try:
                        data = await handler(call)
                        status = 200 if data is not None else 204
                    except FakeDiscordError as exc:
                        status, data = exc.status, p.error(exc.code, exc.message)
            self._record(request, template, call, status, data)
            return json_response(status, data, headers)

        return endpoint

    def _take_limit(
        self, method: str, template: str, call: Call
    ) -> tuple[bool, dict[str, str], float]:
        limit = next((lim for lim in self.limits if lim.applies(method, template)), None)
        if limit is None:
            return True, _ok_headers(method, template), 0.0
        return limit.take(call.params)

    async def _unhandled(self, request: web.Request) -> web.Response:
        body, files = await read_body(request)
        call = Call({}, request.query, body, files)
        data = p.error(0, "404: Not Found")
        self._record(request, UNHANDLED, call, 404, data)
        return json_response(404, data)

    def _record(
        self, request: web.Request, template: str, call: Call, status: int, data: Any
    ) -> None:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                route=template,
                params=call.params,
                query=dict(request.query),
                json=call.json,
                files=call.files,
                reason=request.headers.get("X-Audit-Log-Reason"),
                status=status,
                response=data,
            )
        )
        self._signal.notify()

    async def cdn_get(self, request: web.Request) -> web.StreamResponse:
        self.cdn_requests.append(request.path)
        stored = self._world.cdn.get(request.path)
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})

    # login and gateway ----------------------------------------------------------------------

    async def get_me(self, call: Call) -> Payload:
        return {
            **self._world.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
        }

    async def get_application(self, call: Call) -> Payload:
        world = self._world
        return p.application(
            world.application_id,
            world.bot_user.username,
            owner=world.owner.payload(),
            bot=world.bot_user.payload(),
        )

    async def get_gateway(self, call: Call) -> Payload:
        return {"url": self._gateway_url()}

    async def get_gateway_bot(self, call: Call) -> Payload:
        return {
            "url": self._gateway_url(),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    def _gateway_url(self) -> str:
        return self._world.cdn_base.replace("http://", "ws://", 1) + "/gateway"

    # application commands -------------------------------------------------------------------

    def _check_app(self, call: Call) -> None:
        if call.id("application_id") != self._world.application_id:
            raise FakeDiscordError(403, 50001, "Missing Access")

    async def get_commands(self, call: Call) -> list[Payload]:
        self._check_app(call)
        if "guild_id" in call.params:
            return self._world.guild_commands.get(call.id("guild_id"), [])
        return self._world.global_commands

    async def put_commands(self, call: Call) -> list[Payload]:
        self._check_app(call)
        guild_id = call.id("guild_id") if "guild_id" in call.params else None
        if guild_id is not None:
            self._world.guild(guild_id)
        if not isinstance(call.json, list):
            raise FakeDiscordError(400, 50035, "Invalid Form Body: expected a list of commands")
        return self._world.overwrite_commands(guild_id, call.json)

    # guilds and members ---------------------------------------------------------------------

    async def get_guild(self, call: Call) -> Payload:
        data = self._world.guild(call.id("guild_id")).payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key)
        return data

    async def get_guild_channels(self, call: Call) -> list[Payload]:
        return self._world.guild(call.id("guild_id")).channels

    async def get_roles(self, call: Call) -> list[Payload]:
        return [r.payload() for r in self._world.guild(call.id("guild_id")).roles.values()]

    async def get_member(self, call: Call) -> Payload:
        return self._world.guild(call.id("guild_id")).member(call.id("user_id")).payload()

    async def get_members(self, call: Call) -> list[Payload]:
        guild = self._world.guild(call.id("guild_id"))
        after = int(call.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.payload() for m in members[: int(call.query.get("limit", 1))]]

    async def edit_member(self, call: Call) -> Payload:
        guild = self._world.guild(call.id("guild_id"))
        member = guild.member(call.id("user_id"))
        if "roles" in call.body:
            unknown_roles = {int(r) for r in call.body["roles"]} - set(guild.roles)
            if unknown_roles:
                raise unknown("Role", 10011)
            member.role_ids = [int(r) for r in call.body["roles"]]
        if "nick" in call.body:
            member.nick = call.body["nick"]
        await self._gateway.dispatch("GUILD_MEMBER_UPDATE", member.update_event())
        return member.payload()

    async def get_user(self, call: Call) -> Payload:
        return self._world.user(call.id("user_id")).payload()

    async def add_member_role(self, call: Call) -> None:
        await self._change_member_roles(call, add=True)

    async def remove_member_role(self, call: Call) -> None:
        await self._change_member_roles(call, add=False)

    async def _change_member_roles(self, call: Call, *, add: bool) -> None:
        guild = self._world.guild(call.id("guild_id"))
        member = guild.member(call.id("user_id"))
        role_id = call.id("role_id")
        if role_id not in guild.roles:
            raise unknown("Role", 10011)
        if add and role_id not in member.role_ids:
            member.role_ids.append(role_id)
        elif not add and role_id in member.role_ids:
            member.role_ids.remove(role_id)
        await self._gateway.dispatch("GUILD_MEMBER_UPDATE", member.update_event())

    # channels -------------------------------------------------------------------------------

    async def create_channel(self, call: Call) -> Payload:
        channel = self._world.create_guild_channel(call.id("guild_id"), call.body)
        await self._gateway.dispatch("CHANNEL_CREATE", channel)
        return channel

    async def get_channel(self, call: Call) -> Payload:
        return self._world.channel(call.id("channel_id"))

    async def edit_channel(self, call: Call) -> Payload:
        channel = self._world.edit_channel(call.id("channel_id"), call.body)
        await self._gateway.dispatch("CHANNEL_UPDATE", channel)
        return channel

    async def delete_channel(self, call: Call) -> Payload:
        channel = self._world.delete_channel(call.id("channel_id"))
        await self._gateway.dispatch("CHANNEL_DELETE", channel)
        return channel

    async def put_overwrite(self, call: Call) -> None:
        channel = self._world.set_overwrite(
            call.id("channel_id"), call.id("overwrite_id"), call.body
        )
        await self._gateway.dispatch("CHANNEL_UPDATE", channel)

    async def delete_overwrite(self, call: Call) -> None:
        channel = self._world.delete_overwrite(call.id("channel_id"), call.id("overwrite_id"))
        await self._gateway.dispatch("CHANNEL_UPDATE", channel)

    async def typing(self, call: Call) -> None:
        self._world.channel(call.id("channel_id"))

    async def open_dm(self, call: Call) -> Payload:
        return self._world.open_dm(int(call.body["recipient_id"]))

    # messages -------------------------------------------------------------------------------

    async def get_messages(self, call: Call) -> list[Payload]:
        channel_id = call.id("channel_id")
        self._world.channel(channel_id)
        newest_first = list(reversed(self._world.messages[channel_id]))
        limit = int(call.query.get("limit", 50))
        if "before" in call.query:
            newest_first = [m for m in newest_first if int(m["id"]) < int(call.query["before"])]
        if "after" in call.query:
            newest_first = [m for m in newest_first if int(m["id"]) > int(call.query["after"])][
                -limit:
            ]
        return newest_first[:limit]

    async def create_message(self, call: Call) -> Payload:
        check_message(call.body)
        msg = self._world.create_message(
            call.id("channel_id"), self._world.bot_user, call.body, call.uploads
        )
        await self._gateway.dispatch("MESSAGE_CREATE", msg)
        return msg

    async def get_message(self, call: Call) -> Payload:
        return self._world.channel_message(call.id("channel_id"), call.id("message_id"))

    async def edit_message(self, call: Call) -> Payload:
        msg = self._world.channel_message(call.id("channel_id"), call.id("message_id"))
        if msg["author"]["id"] != str(self._world.bot_user.id) and set(call.body) - {"flags"}:
            raise FakeDiscordError(403, 50005, "Cannot edit a message authored by another user")
        check_message(call.body)
        self._world.edit_message(msg, call.body, call.uploads)
        await self._gateway.dispatch("MESSAGE_UPDATE", msg)
        return msg

    async def delete_message(self, call: Call) -> None:
        msg = self._world.delete_message(call.id("channel_id"), call.id("message_id"))
        await self._dispatch_delete(msg)

    async def _dispatch_delete(self, msg: Payload) -> None:
        event = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            event["guild_id"] = msg["guild_id"]
        await self._gateway.dispatch("MESSAGE_DELETE", event)

    async def bulk_delete(self, call: Call) -> None:
        channel_id = call.id("channel_id")
        ids = [int(m) for m in call.body.get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise FakeDiscordError(400, 50035, "Invalid Form Body: 2 to 100 messages")
        for message_id in ids:
            self._world.delete_message(channel_id, message_id)
        event: Payload = {"ids": [str(m) for m in ids], "channel_id": str(channel_id)}
        guild = self._world.guild_of(channel_id)
        if guild is not None:
            event["guild_id"] = str(guild.id)
        await self._gateway.dispatch("MESSAGE_DELETE_BULK", event)

    async def pin(self, call: Call) -> None:
        await self._pin_change(call, pinned=True)

    async def unpin(self, call: Call) -> None:
        await self._pin_change(call, pinned=False)

    async def _pin_change(self, call: Call, *, pinned: bool) -> None:
        channel_id, message_id = call.id("channel_id"), call.id("message_id")
        msg = (self._world.pin if pinned else self._world.unpin)(channel_id, message_id)
        channel = self._world.channel(channel_id)
        event = {
            "channel_id": str(channel_id),
            "last_pin_timestamp": channel.get("last_pin_timestamp"),
        }
        if "guild_id" in channel:
            event["guild_id"] = channel["guild_id"]
        await self._gateway.dispatch("MESSAGE_UPDATE", msg)
        await self._gateway.dispatch("CHANNEL_PINS_UPDATE", event)

    async def get_pins(self, call: Call) -> Payload:
        channel_id = call.id("channel_id")
        self._world.channel(channel_id)
        items = [
            {"pinned_at": when, "message": self._world.message(m)}
            for m, when in self._world.pins[channel_id]
        ]
        return {"items": items, "has_more": False}

    async def get_pins_legacy(self, call: Call) -> list[Payload]:
        self._world.channel(call.id("channel_id"))
        return self._world.pinned(call.id("channel_id"))

    async def add_reaction(self, call: Call) -> None:
        msg = self._world.channel_message(call.id("channel_id"), call.id("message_id"))
        emoji = call.params["emoji"]
        if self._world.add_reaction(msg, emoji, self._world.bot_user.id):
            await self._gateway.dispatch(
                "MESSAGE_REACTION_ADD",
                reaction_event(self._world, msg, emoji, self._world.bot_user.id),
            )

    async def remove_reaction(self, call: Call) -> None:
        msg = self._world.channel_message(call.id("channel_id"), call.id("message_id"))
        emoji = call.params["emoji"]
        raw_user = call.params["user_id"]
        user_id = self._world.bot_user.id if raw_user == "@me" else call.id("user_id")
        if self._world.remove_reaction(msg, emoji, user_id):
            event = reaction_event(self._world, msg, emoji, user_id)
            event.pop("member", None)
            await self._gateway.dispatch("MESSAGE_REACTION_REMOVE", event)

    # interactions ---------------------------------------------------------------------------

    def _interaction(self, call: Call) -> FakeInteraction:
        ix = self._world.interactions.get(call.id("interaction_id"))
        if ix is None or ix.token != call.params["interaction_token"]:
            raise unknown("interaction", 10062)
        late = self.interaction_deadline is not None and (
            time.monotonic() - ix.created > self.interaction_deadline
        )
        if late and not ix.callbacks:
            raise unknown("interaction", 10062)  # Discord gives a bot 3 s to answer
        return ix

    async def interaction_callback(self, call: Call) -> Payload | None:
        ix = self._interaction(call)
        if ix.callbacks:
            raise FakeDiscordError(400, 40060, "Interaction has already been acknowledged.")
        callback_type = int(call.body.get("type", 0))
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(ix.type, set())
        if callback_type not in allowed or (callback_type in (6, 7) and ix.message_id is None):
            raise FakeDiscordError(
                400,
                50035,
                f"Invalid interaction response type {callback_type} for interaction type {ix.type}",
            )
        data = call.body.get("data") or {}
        if callback_type in (4, 7):
            check_message(data)
        elif callback_type == 9:
            check_modal(data)
        world = self._world
        msg: Payload | None = None
        if callback_type == 4:
            msg = await self._post_for_interaction(ix, data, call)
            ix.original_message_id = int(msg["id"])
        elif callback_type == 5:
            flags = p.LOADING | (int(data.get("flags") or 0) & p.EPHEMERAL)
            msg = await self._post_for_interaction(ix, {"flags": flags}, call)
            ix.original_message_id = int(msg["id"])
        elif callback_type == 7:
            assert ix.message_id is not None
            msg = world.edit_message(world.message(ix.message_id), data, call.uploads)
            await self._gateway.dispatch("MESSAGE_UPDATE", msg)
            ix.original_message_id = ix.message_id
        elif callback_type == 6:
            ix.original_message_id = ix.message_id
        ix.callbacks.append(call.body)
        response: Payload = {
            "interaction": {
                "id": str(ix.id),
                "type": ix.type,
                "response_message_loading": callback_type == 5,
                "response_message_ephemeral": bool(msg and int(msg["flags"]) & p.EPHEMERAL),
            }
        }
        if ix.original_message_id is not None:
            response["interaction"]["response_message_id"] = str(ix.original_message_id)
        if msg is not None:
            response["resource"] = {"type": callback_type, "message": msg}
        elif callback_type in (8, 9):
            response["resource"] = {"type": callback_type}
        self._signal.notify()
        return response if self.callback_bodies else None

    async def _post_for_interaction(
        self, ix: FakeInteraction, data: Payload, call: Call
    ) -> Payload:
        msg = self._world.create_message(
            ix.channel_id,
            self._world.bot_user,
            data,
            call.uploads,
            webhook_id=self._world.application_id,
            interaction=ix,
        )
        if not int(msg["flags"]) & p.EPHEMERAL:
            await self._gateway.dispatch("MESSAGE_CREATE", msg)
        return msg

    def _webhook_interaction(self, call: Call) -> FakeInteraction:
        if call.id("application_id") != self._world.application_id:
            raise unknown("Webhook", 10015)
        ix = self._world.interaction_by_token(call.params["interaction_token"])
        if not ix.callbacks:
            raise unknown("Webhook", 10015)
        return ix

    def _webhook_message(self, call: Call) -> tuple[FakeInteraction, Payload]:
        ix = self._webhook_interaction(call)
        raw = call.params["message_id"]
        message_id = ix.original_message_id if raw == "@original" else call.id("message_id")
        if message_id is None or (
            message_id != ix.original_message_id and message_id not in ix.followup_ids
        ):
            raise unknown("Message", 10008)
        return ix, self._world.message(message_id)

    async def create_followup(self, call: Call) -> Payload:
        ix = self._webhook_interaction(call)
        check_message(call.body)
        msg = await self._post_for_interaction(ix, call.body, call)
        ix.followup_ids.append(int(msg["id"]))
        return msg

    async def get_webhook_message(self, call: Call) -> Payload:
        return self._webhook_message(call)[1]

    async def edit_webhook_message(self, call: Call) -> Payload:
        _, msg = self._webhook_message(call)
        check_message(call.body)
        self._world.edit_message(msg, call.body, call.uploads)
        if not int(msg["flags"]) & p.EPHEMERAL:
            await self._gateway.dispatch("MESSAGE_UPDATE", msg)
        return msg

    async def delete_webhook_message(self, call: Call) -> None:
        _, msg = self._webhook_message(call)
        self._world.delete_message(int(msg["channel_id"]), int(msg["id"]))
        if not int(msg["flags"]) & p.EPHEMERAL:
            await self._dispatch_delete(msg)


def reaction_event(world: DiscordState, msg: Payload, emoji: str, user_id: int) -> Payload:
    """MESSAGE_REACTION_ADD data for `user_id` reacting to `msg` with `emoji`."""
    event: Payload = {
        "user_id": str(user_id),
        "channel_id": msg["channel_id"],
        "message_id": msg["id"],
        "message_author_id": msg["author"]["id"],
        "emoji": emoji_payload(emoji),
        "burst": False,
        "type": 0,
    }
    if "guild_id" in msg:
        event["guild_id"] = msg["guild_id"]
        member = world.guild(int(msg["guild_id"])).members.get(user_id)
        if member is not None:
            event["member"] = member.payload()
    return event


def _ok_headers(method: str, template: str) -> dict[str, str]:
    return {
        "X-RateLimit-Bucket": bucket_hash(method, template),
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset-After": "60.000",
    }
