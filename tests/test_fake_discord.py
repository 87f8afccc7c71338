"""End-to-end checks of the fake Discord with the real discord.py client: a `commands.Bot` with
app commands, a persistent view, a modal, autocomplete and a context menu logs in, and every
round trip the crisis bot relies on works and is recorded."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import (
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeRole,
    running_client,
)
from tests.fake_discord.payloads import (
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
ORIGINAL = "/webhooks/{application_id}/{interaction_token}/messages/{message_id}"


class AckView(discord.ui.View):
    """A persistent view: its button works for any bot instance that registered it."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Acknowledge", custom_id="test:ack", style=discord.ButtonStyle.primary)
    async def ack(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(
            content=f"acknowledged by {interaction.user.name}", view=self
        )


class ReportModal(discord.ui.Modal, title="Report"):
    summary = discord.ui.TextInput(label="Summary", custom_id="summary")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"report: {self.summary.value}")


incident = app_commands.Group(name="incident", description="Incidents")


@incident.command(name="open", description="Open an incident")
@app_commands.choices(severity=[app_commands.Choice(name=f"sev{n}", value=n) for n in (1, 2, 3)])
async def incident_open(
    interaction: discord.Interaction, title: str, severity: int, lead: discord.Member
) -> None:
    bot: SampleBot = interaction.client  # type: ignore[assignment]
    assert isinstance(interaction.user, discord.Member) and interaction.guild is not None
    if not any(r.name == "Responder" for r in interaction.user.roles):
        await interaction.response.send_message("You need the Responder role.", ephemeral=True)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    guild = interaction.guild
    responder = discord.utils.get(guild.roles, name="Responder")
    category = discord.utils.get(guild.categories, name="Incidents")
    assert responder is not None and category is not None
    channel = await guild.create_text_channel(
        f"incident-{title}",
        category=category,
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            responder: discord.PermissionOverwrite(view_channel=True, send_messages=True),
            lead: discord.PermissionOverwrite(view_channel=True),
        },
    )
    summary = await channel.send(
        f"**{title}** severity {severity}, lead {lead.mention}", view=AckView()
    )
    await summary.pin()
    bot.opened.append(channel.id)
    await interaction.edit_original_response(content=f"Opened {channel.mention}")


@app_commands.command(name="export", description="Upload a file")
async def export(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(
        file=discord.File(io.BytesIO(b"step,done\n1,yes\n"), "timeline.csv")
    )


@app_commands.command(name="check", description="Hash an attachment")
async def check(interaction: discord.Interaction, upload: discord.Attachment) -> None:
    data = await upload.read()
    await interaction.response.send_message(
        f"sha256 {hashlib.sha256(data).hexdigest()}", ephemeral=True
    )


@app_commands.command(name="report", description="File a report")
async def report(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(ReportModal())


@app_commands.command(name="protocol", description="Pick a protocol")
async def protocol(interaction: discord.Interaction, name: str) -> None:
    await interaction.response.send_message(f"protocol {name}")


@protocol.autocomplete("name")
async def protocol_names(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    names = ["christchurch", "crisis-protocol", "drill"]
    return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]


@app_commands.context_menu(name="Add to timeline")
async def add_to_timeline(interaction: discord.Interaction, message: discord.Message) -> None:
    await interaction.response.send_message(
        f"added {message.id} by {message.author.name}: {message.content}", ephemeral=True
    )


class SampleBot(commands.Bot):
    def __init__(
        self, guild_id: int, *, message_content: bool = True, members: bool = False
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = members
        super().__init__(command_prefix=commands.when_mentioned, intents=intents)
        self.guild_id = guild_id
        self.opened: list[int] = []
        self.seen: list[discord.Message] = []
        self.reactions: list[discord.RawReactionActionEvent] = []
        self.interactions: list[discord.Interaction] = []

    async def setup_hook(self) -> None:
        self.add_view(AckView())
        guild = discord.Object(self.guild_id)
        for command in (incident, export, check, report, protocol, add_to_timeline):
            self.tree.add_command(command, guild=guild)
        await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        if message.author != self.user:
            self.seen.append(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.interactions.append(interaction)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.reactions.append(payload)


async def open_incident(
    world: World, user: FakeMember, *, severity: int = 2, lead: FakeMember | None = None
) -> FakeInteraction:
    options = {"title": "attack", "severity": severity, "lead": lead or world.alice}
    return await world.fake.slash_command("incident open", options, user=user, channel=world.ops)


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    responder: FakeRole
    alice: FakeMember
    mallory: FakeMember
    ops: dict

    def responders_only_channel(self) -> dict:
        """A text channel that only the responder role may see."""
        return self.guild.add_text_channel(
            "responders",
            overwrites=[
                {"id": self.guild.id, "type": OVERWRITE_ROLE, "deny": VIEW_CHANNEL},
                {"id": self.responder.id, "type": OVERWRITE_ROLE, "allow": VIEW_CHANNEL},
            ],
        )


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    guild = fake_discord.add_guild("Crisis Response")
    responder = guild.add_role("Responder", permissions=VIEW_CHANNEL | SEND_MESSAGES)
    alice = guild.add_member("alice", roles=[responder])
    mallory = guild.add_member("mallory")
    guild.add_category("Incidents")
    ops = guild.add_text_channel("ops")
    return World(fake_discord, guild, responder, alice, mallory, ops)


async def test_bot_logs_in_syncs_commands_and_caches_the_guild(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id, members=True), fake) as bot:
        guild = bot.get_guild(world.guild.id)
        assert guild is not None and guild.chunked
        assert {c.name for c in guild.channels} == {"Incidents", "ops"}
        assert [r.name for r in guild.get_member(world.alice.id).roles] == [
            "@everyone",
            "Responder",
        ]  # type: ignore[union-attr]
        assert bot.user is not None and bot.user.id == fake.bot_user.id
        assert bot.application_id == fake.application_id
    assert [(r.method, r.route) for r in fake.requests[:2]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]
    registered = {c["name"] for c in fake.guild_commands(world.guild)}
    assert registered == {"incident", "export", "check", "report", "protocol", "Add to timeline"}
    identify = next(f for f in fake.gateway_received if f["op"] == 2)
    assert identify["d"]["intents"] & (1 << 15)  # MESSAGE_CONTENT
    assert fake.unhandled_requests == []
    assert not fake.connected  # the client closed its session cleanly


async def test_slash_command_opens_a_private_channel_with_overwrites(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        ix = await fake.slash_command(
            "incident open",
            {"title": "attack", "severity": 2, "lead": world.alice},
            user=world.alice,
            channel=world.ops,
        )
        assert (await fake.wait_for_interaction_response(ix))["type"] == 5  # deferred, thinking
        edit = await fake.wait_for_request(
            "PATCH", ORIGINAL, where=lambda r: r.params["interaction_token"] == ix.token
        )
        (create,) = fake.calls("POST", "/guilds/{guild_id}/channels")
        channel_id = int(create.response["id"])
        assert edit.json["content"] == f"Opened <#{channel_id}>"
        assert int(create.json["parent_id"]) == int(world.guild.channel_named("Incidents")["id"])
        overwrites = {
            (o["type"], int(o["id"])): (int(o["allow"]), int(o["deny"]))
            for o in create.json["permission_overwrites"]
        }
        assert overwrites == {
            (OVERWRITE_ROLE, world.guild.id): (0, VIEW_CHANNEL),
            (OVERWRITE_ROLE, world.responder.id): (VIEW_CHANNEL | SEND_MESSAGES, 0),
            (OVERWRITE_MEMBER, world.alice.id): (VIEW_CHANNEL, 0),
        }
        # CHANNEL_CREATE reached the client cache, overwrites included.
        cached = await fake.wait_for(lambda: bot.get_channel(channel_id))
        assert isinstance(cached, discord.TextChannel) and cached.category is not None
        assert (
            cached.overwrites_for(world.mallory and cached.guild.default_role).view_channel is False
        )
        (summary,) = fake.messages[channel_id]
        assert summary["content"] == f"**attack** severity 2, lead <@{world.alice.id}>"
        assert fake.pinned(channel_id) == [summary]
        assert summary["components"][0]["components"][0]["custom_id"] == "test:ack"
        assert fake.message(ix.original_message_id)["flags"] & 64  # the ephemeral reply


async def test_user_without_role_is_refused_and_nothing_is_created(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake):
        ix = await open_incident(world, world.mallory, lead=world.mallory)
        response = await fake.wait_for_interaction_response(ix)
    assert response == {
        "type": 4,
        "data": {"tts": False, "content": "You need the Responder role.", "flags": 64},
    }
    assert fake.calls("POST", "/guilds/{guild_id}/channels") == []


async def test_slash_command_options_are_checked_against_the_registered_schema(
    world: World,
) -> None:
    async with running_client(SampleBot(world.guild.id), world.fake):
        with pytest.raises(ValueError, match="not a choice"):
            await open_incident(world, world.alice, severity=9)
        with pytest.raises(ValueError, match="missing"):
            await world.fake.slash_command(
                "incident open", {"title": "x"}, user=world.alice, channel=world.ops
            )


async def test_persistent_button_survives_a_restart(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake):
        ix = await open_incident(world, world.alice)
        await fake.wait_for_request(
            "PATCH", ORIGINAL, where=lambda r: r.params["interaction_token"] == ix.token
        )
    channel_id = int(fake.calls("POST", "/guilds/{guild_id}/channels")[0].response["id"])
    summary = fake.messages[channel_id][0]
    async with running_client(SampleBot(world.guild.id), fake):  # a new process, same custom ids
        click = await fake.click(summary, "test:ack", user=world.alice)
        response = await fake.wait_for_interaction_response(click)
    assert response["type"] == 7
    assert fake.message(summary["id"])["content"] == "acknowledged by alice"
    assert fake.message(summary["id"])["edited_timestamp"] is not None
    identifies = [f for f in fake.gateway_received if f["op"] == 2]
    assert len(identifies) == 2


async def test_file_upload_is_stored_and_served_by_the_cdn(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake):
        ix = await fake.slash_command("export", user=world.alice, channel=world.ops)
        await fake.wait_for_interaction_response(ix)
    (callback,) = fake.calls("POST", CALLBACK)
    assert [(f.filename, f.data) for f in callback.files] == [
        ("timeline.csv", b"step,done\n1,yes\n")
    ]
    message = fake.message(ix.original_message_id)
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "timeline.csv" and attachment["size"] == 16
    assert fake.cdn_bytes(attachment["url"]) == b"step,done\n1,yes\n"


async def test_attachment_option_is_downloaded_from_the_fake_cdn(world: World) -> None:
    fake = world.fake
    data = b"\x89PNG not really"
    async with running_client(SampleBot(world.guild.id), fake):
        ix = await fake.slash_command(
            "check",
            {"upload": fake.make_attachment(data, "upload.png")},
            user=world.alice,
            channel=world.ops,
        )
        response = await fake.wait_for_interaction_response(ix)
    assert response["data"]["content"] == f"sha256 {hashlib.sha256(data).hexdigest()}"
    assert len(fake.cdn_requests) == 1


async def test_injected_429_is_retried_and_succeeds(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        fake.inject_rate_limit("POST", MESSAGES, times=2, retry_after=0.02)
        channel = bot.get_channel(int(world.ops["id"]))
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("after the rate limit")
    assert [r.status for r in fake.calls("POST", MESSAGES)] == [429, 429, 200]
    assert fake.message(sent.id)["content"] == "after the rate limit"


async def test_global_rate_limit_on_interaction_callback_is_retried(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake):
        fake.inject_rate_limit("POST", CALLBACK, retry_after=0.02, is_global=True)
        ix = await fake.slash_command("export", user=world.alice, channel=world.ops)
        await fake.wait_for_interaction_response(ix)
    assert [r.status for r in fake.calls("POST", CALLBACK)] == [429, 200]


@pytest.mark.parametrize("mode", ["close", "reconnect"])
async def test_gateway_drop_resumes_and_replays_missed_events(world: World, mode: str) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        await fake.drop_gateway(mode)  # type: ignore[arg-type]
        missed = await fake.post_message(world.ops, world.alice, "sent while the bot was away")
        await fake.wait_for(lambda: bot.seen, what="the missed message")
        await fake.wait_until_connected()
        after = await fake.post_message(world.ops, world.alice, "after the resume")
        await fake.wait_for(lambda: len(bot.seen) == 2, what="the second message")
    assert [m.id for m in bot.seen] == [int(missed["id"]), int(after["id"])]
    ops = [f["op"] for f in fake.gateway_received if f["op"] in (2, 6)]
    assert ops == [2, 6]
    seqs = [f["s"] for f in fake.gateway_sent]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_invalidated_session_identifies_again(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        await fake.drop_gateway("invalidate")
        await fake.wait_until_connected()
        await fake.post_message(world.ops, world.alice, "hello again")
        await fake.wait_for(lambda: bot.seen, what="the message after re-identify")
    assert [f["op"] for f in fake.gateway_received if f["op"] in (2, 6)] == [2, 2]


async def test_user_message_attachment_reaction_and_content_intent(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        posted = await fake.post_message(
            world.ops, world.alice, "look", attachments=[("a.png", b"img")]
        )
        await fake.wait_for(lambda: bot.seen)
        assert await bot.seen[0].attachments[0].read() == b"img"
        await fake.react(posted, "\N{PUSHPIN}", user=world.alice)
        await fake.wait_for(lambda: bot.reactions)
        assert (bot.reactions[0].user_id, str(bot.reactions[0].emoji)) == (
            world.alice.id,
            "\N{PUSHPIN}",
        )
    async with running_client(SampleBot(world.guild.id, message_content=False), fake) as blind:
        await fake.post_message(world.ops, world.alice, "secret", attachments=[("b.png", b"img")])
        await fake.wait_for(lambda: blind.seen)
        assert (blind.seen[0].content, blind.seen[0].attachments) == ("", [])


async def test_modal_autocomplete_and_context_menu(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake):
        ix = await fake.slash_command("report", user=world.alice, channel=world.ops)
        assert (await fake.wait_for_interaction_response(ix))["type"] == 9
        submitted = await fake.submit_modal(ix, {"summary": "video reuploaded"})
        assert (await fake.wait_for_interaction_response(submitted))["data"][
            "content"
        ] == "report: video reuploaded"

        typing = await fake.autocomplete(
            "protocol", {"name": "c"}, focused="name", user=world.alice, channel=world.ops
        )
        choices = (await fake.wait_for_interaction_response(typing))["data"]["choices"]
        assert [c["value"] for c in choices] == ["christchurch", "crisis-protocol"]

        posted = await fake.post_message(world.ops, world.mallory, "first sighting")
        menu = await fake.message_command("Add to timeline", posted, user=world.alice)
        response = await fake.wait_for_interaction_response(menu)
    assert response["data"]["content"] == f"added {posted['id']} by mallory: first sighting"


async def test_dm_and_bad_token(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        assert bot.get_guild(world.guild.id).get_member(world.alice.id) is None  # type: ignore[union-attr]
        user = await bot.fetch_user(world.alice.id)  # no members intent: not cached
        await user.send("your role instructions")
    assert [m["content"] for m in fake.dm_messages(world.alice)] == ["your role instructions"]
    client = discord.Client(intents=discord.Intents.none())
    with pytest.raises(discord.LoginFailure):
        async with client:
            await client.login("not-the-token")


async def test_payloads_discord_would_reject_are_rejected(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        channel = bot.get_channel(int(world.ops["id"]))
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="step", custom_id="incident:" + "9" * 100))
        with pytest.raises(discord.HTTPException) as long_id:
            await channel.send("checklist", view=view)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    assert "custom_id" in long_id.value.text
    assert fake.messages[int(world.ops["id"])] == []


async def test_interaction_member_carries_roles_and_channel_permissions(world: World) -> None:
    fake = world.fake
    private = world.responders_only_channel()
    async with running_client(SampleBot(world.guild.id, members=True), fake) as bot:
        await fake.slash_command("export", user=world.alice, channel=private)
        await fake.slash_command("export", user=world.mallory, channel=private)
        await fake.wait_for(lambda: len(bot.interactions) == 2)
        alice, mallory = (i.user for i in bot.interactions)
        assert isinstance(alice, discord.Member) and isinstance(mallory, discord.Member)
        assert [r.name for r in alice.roles] == ["@everyone", "Responder"]
        assert bot.interactions[0].permissions.view_channel
        assert not bot.interactions[1].permissions.view_channel
        assert bot.interactions[0].app_permissions.manage_channels

        await fake.set_roles(world.mallory, [world.responder])
        member = bot.get_guild(world.guild.id).get_member(world.mallory.id)  # type: ignore[union-attr]
        await fake.wait_for(lambda: len(member.roles) == 2)  # type: ignore[union-attr]


async def test_callbacks_are_acknowledged_once_and_only_in_time(world: World) -> None:
    fake = world.fake
    ix = await fake.slash_command("export", user=world.alice, channel=world.ops)  # no bot online
    url = f"{fake.api_base}/interactions/{ix.id}/{ix.token}/callback"
    body = {"type": 4, "data": {"content": "done"}}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body) as first:
            assert first.status == 200 and first.headers["Content-Type"] == "application/json"
            assert (await first.json())["resource"]["message"]["content"] == "done"
        async with http.post(url, json=body) as second:
            assert (second.status, (await second.json())["code"]) == (400, 40060)
    async with FakeDiscord(interaction_deadline=0.0) as strict:
        guild = strict.add_guild()
        alice = guild.add_member("alice")
        late = await strict.slash_command("ping", user=alice, channel=guild.add_text_channel("x"))
        url = f"{strict.api_base}/interactions/{late.id}/{late.token}/callback"
        async with aiohttp.ClientSession() as http, http.post(url, json=body) as answer:
            assert (answer.status, (await answer.json())["code"]) == (404, 10062)
    assert fake.interaction_responses == {ix.id: body}


async def test_member_role_edits_and_bulk_delete_reach_the_cache(world: World) -> None:
    fake = world.fake
    async with running_client(SampleBot(world.guild.id, members=True), fake) as bot:
        guild = bot.get_guild(world.guild.id)
        assert guild is not None
        mallory = guild.get_member(world.mallory.id)
        responder = guild.get_role(world.responder.id)
        assert mallory is not None and responder is not None
        await mallory.add_roles(responder)
        await fake.wait_for(lambda: responder in mallory.roles)
        await mallory.edit(roles=[], nick="m")
        await fake.wait_for(lambda: mallory.roles == [guild.default_role] and mallory.nick == "m")
        assert world.mallory.role_ids == [] and world.mallory.nick == "m"

        channel = guild.get_channel(int(world.ops["id"]))
        assert isinstance(channel, discord.TextChannel)
        sent = [await channel.send(f"line {n}") for n in range(3)]
        await channel.delete_messages(sent[:2])
    assert [m["content"] for m in fake.messages[int(world.ops["id"])]] == ["line 2"]
    assert len(fake.calls("POST", "/channels/{channel_id}/messages/bulk-delete")) == 1


async def test_enforced_bucket_makes_discord_py_wait_and_refuses_clients_that_do_not(
    world: World,
) -> None:
    fake = world.fake
    fake.set_rate_limit("POST", MESSAGES, limit=2, per=0.1)
    async with running_client(SampleBot(world.guild.id), fake) as bot:
        channel = bot.get_channel(int(world.ops["id"]))
        assert isinstance(channel, discord.TextChannel)
        for n in range(3):
            await channel.send(f"burst {n}")
    assert [r.status for r in fake.calls("POST", MESSAGES)] == [200, 200, 200]  # it waited

    fake.set_rate_limit("PATCH", "/channels/{channel_id}", limit=1, per=60)
    url = f"{fake.api_base}/channels/{world.ops['id']}"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.patch(url, json={"topic": "a"}) as first:
            assert first.headers["X-RateLimit-Remaining"] == "0"
        async with http.patch(url, json={"topic": "b"}) as second:
            body = await second.json()
    assert second.status == 429 and 0 < body["retry_after"] <= 60 and body["global"] is False
    assert world.ops["topic"] == "a"


async def test_threads_arrive_with_guild_create_and_thread_create_and_carry_their_parent(
    world: World,
) -> None:
    fake = world.fake
    private = world.responders_only_channel()
    early = world.guild.add_thread(private, "before login", owner=world.alice)
    async with running_client(SampleBot(world.guild.id, members=True), fake) as bot:
        guild = bot.get_guild(world.guild.id)
        assert guild is not None
        assert [(t.name, t.parent_id) for t in guild.threads] == [
            ("before login", int(private["id"]))
        ]
        assert "before login" not in {c.name for c in guild.channels}  # threads are apart
        later = await fake.create_thread(private, "after login", owner=world.alice)
        await fake.wait_for(lambda: guild.get_thread(int(later["id"])) is not None)

        await fake.post_message(later, world.alice, "in the thread")
        await fake.slash_command("export", user=world.alice, channel=early)
        await fake.slash_command("export", user=world.mallory, channel=early)
        await fake.wait_for(lambda: bot.seen and len(bot.interactions) == 2)
        assert isinstance(bot.seen[0].channel, discord.Thread)
        alice, mallory = bot.interactions
        assert isinstance(alice.channel, discord.Thread)
        assert alice.channel.parent_id == int(private["id"])
        # a thread has no overwrites: the parent channel's decide
        assert alice.permissions.view_channel and not mallory.permissions.view_channel

    fake.state.delete_channel(int(private["id"]))  # threads go with their channel
    assert int(early["id"]) not in fake.channels and int(later["id"]) not in fake.channels
