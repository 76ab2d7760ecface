"""Tests of the Discord emulator itself, driven by a real minimal discord.py bot over HTTP and the gateway."""

from __future__ import annotations

import asyncio
import importlib.util
import time
import warnings
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from tests.discord_emulator import (
    PERMISSIONS,
    BotCrashed,
    CommandNotSynced,
    ComponentNotFound,
    DiscordEmulator,
    EmulatorError,
    RateLimitRule,
    SpecMissingWarning,
    connect_bot,
    gather_limited,
    load_spec,
    sync_commands,
)
from tests.discord_emulator import limits as emu_limits
from tests.discord_emulator.spec import Spec, default_spec_path

SPEC_PRESENT = default_spec_path().is_file()


# ------------------------------------------------------------------------------------------------------------
# A minimal bot exercising what the emulator must support
# ------------------------------------------------------------------------------------------------------------
class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"vote:(?P<choice>[a-z]+)"):
    """A persistent vote button: works after restarts because it is rebuilt from its custom_id."""

    def __init__(self, choice: str) -> None:
        super().__init__(
            discord.ui.Button(label=choice.capitalize(), custom_id=f"vote:{choice}", style=discord.ButtonStyle.primary)
        )
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: Any
    ) -> VoteButton:
        return cls(match["choice"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: EmuBot = interaction.client  # type: ignore[assignment]
        bot.votes[self.choice] = bot.votes.get(self.choice, 0) + 1
        await interaction.response.edit_message(content=f"Pour : {bot.votes.get('pour', 0)}")


class OpinionModal(discord.ui.Modal, title="Votre avis"):
    """One legacy text input (sent in an action row) and one inside a Label component."""

    avis: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Votre avis", style=discord.TextStyle.paragraph, max_length=500
    )
    note: discord.ui.Label[Any] = discord.ui.Label(
        text="Note sur 10", component=discord.ui.TextInput(custom_id="note", max_length=2, required=False)
    )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        note = self.note.component.value  # type: ignore[attr-defined]
        await interaction.response.send_message(f"Merci : {self.avis.value} ({note or '-'})", ephemeral=True)


class EmuBot(commands.Bot):
    """The test bot: a slash command group, an ephemeral command, a DynamicItem button and a modal."""

    def __init__(self, *, intents: discord.Intents | None = None, **options: Any) -> None:
        super().__init__(command_prefix="!", intents=intents or discord.Intents.default(), **options)
        self.votes: dict[str, int] = {}
        self.seen: list[str] = []
        self.errors: list[BaseException] = []
        self.app_perms: list[discord.Permissions] = []

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message.content)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(VoteButton)
        tree = self.tree

        @tree.error
        async def on_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
            self.errors.append(getattr(error, "original", error))

        poll = app_commands.Group(name="poll", description="Sondages")

        @poll.command(name="create", description="Créer un sondage")
        @app_commands.describe(question="La question")
        async def poll_create(interaction: discord.Interaction[Any], question: str, anonymous: bool = False) -> None:
            view = discord.ui.View(timeout=None)
            view.add_item(VoteButton("pour"))
            view.add_item(VoteButton("contre"))
            await interaction.response.send_message(
                f"Sondage : {question}", view=view, allowed_mentions=discord.AllowedMentions.none()
            )

        @poll.command(name="search", description="Chercher un sondage")
        async def poll_search(interaction: discord.Interaction[Any], topic: str) -> None:
            await interaction.response.send_message(f"Recherche : {topic}", ephemeral=True)

        @poll_search.autocomplete("topic")
        async def topic_autocomplete(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            topics = ["économie", "écologie", "éducation", "sport"]
            return [app_commands.Choice(name=t, value=t) for t in topics if t.startswith(current)]

        tree.add_command(poll)

        @tree.command(name="ping", description="Répond en privé")
        async def ping(interaction: discord.Interaction[Any]) -> None:
            self.app_perms.append(interaction.app_permissions)
            await interaction.response.send_message(f"pong {interaction.locale.value}", ephemeral=True)

        @tree.command(name="avis", description="Donner son avis")
        async def avis(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_modal(OpinionModal())

        @tree.command(name="lent", description="Réponse différée")
        async def lent(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            await interaction.followup.send("terminé")
            await interaction.followup.send("et encore", ephemeral=True)

        @tree.command(name="tard", description="Répond trop tard")
        async def tard(interaction: discord.Interaction[Any]) -> None:
            await asyncio.sleep(0.3)
            await interaction.response.send_message("trop tard")

        @tree.command(name="double", description="Répond deux fois")
        async def double(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("une")
            # A fresh InteractionResponse forgets the first answer, so the second really reaches "Discord".
            await discord.InteractionResponse(interaction).send_message("deux")

        @tree.command(name="echo", description="Décrit ses options")
        async def echo(
            interaction: discord.Interaction[Any],
            text: str,
            count: int,
            ratio: float,
            flag: bool,
            who: discord.Member,
            where: discord.TextChannel,
            role: discord.Role,
            file: discord.Attachment,
        ) -> None:
            data = await file.read()
            await interaction.response.send_message(
                f"{text}|{count}|{ratio}|{flag}|{who.name}|{where.name}|{role.name}|{file.filename}:{len(data)}",
                file=discord.File(__import__("io").BytesIO(data[::-1]), filename="reversed.bin"),
            )


@pytest.fixture
def bot() -> EmuBot:
    """A fresh test bot."""
    return EmuBot()


async def _raw(emulator: DiscordEmulator, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """A raw REST call with the bot token (no discord.py), returning status and JSON."""
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, emulator.api_url + path, headers=headers, **kwargs) as response:
            assert response.headers.get("Content-Type") in ("application/json", None)
            body = await response.json() if response.status != 204 else None
            return response.status, body


# ------------------------------------------------------------------------------------------------------------
# End to end with a real discord.py bot
# ------------------------------------------------------------------------------------------------------------
async def test_end_to_end_command_button_modal_and_reconnect(emulator: DiscordEmulator, bot: EmuBot) -> None:
    alice, bob = emulator.members["alice"], emulator.members["bob"]
    async with connect_bot(emulator, bot):
        synced = await sync_commands(bot)
        assert {c.name for c in synced} == {"poll", "ping", "avis", "lent", "tard", "double", "echo"}
        # zstd-stream with the default install (discord.py[speed] brings zstandard), zlib-stream without it.
        requested = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
        assert requested == ("zstd-stream" if importlib.util.find_spec("zstandard") else "zlib-stream")
        assert emulator.gateway.connections[0].compression == requested

        ping = await emulator.invoke(alice, "ping")
        reply = await ping.wait_reply()
        assert reply.content == "pong fr" and ping.ephemeral and ping.response_type == 4
        assert emulator.ephemeral_messages(alice) == [reply]
        assert emulator.messages_in("general") == []  # ephemeral replies never land in the channel

        poll = await emulator.invoke(alice, "poll create", question="Pour ou contre ?")
        message = await poll.wait_reply()
        assert message.content == "Sondage : Pour ou contre ?" and not poll.ephemeral
        assert [b["label"] for b in message.buttons()] == ["Pour", "Contre"]
        assert emulator.last_message("general") is message
        assert message.interaction_metadata and message.interaction_metadata["name"] == "poll create"
        body = emulator.requests_matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[
            -1
        ].json
        assert body["data"]["allowed_mentions"] == {"parse": []}

        click = await emulator.click(bob, message, "Pour")
        assert (await click.wait_response()).type == 7
        assert (await click.wait_reply()).content == "Pour : 1"
        assert emulator.edits_of(message) == 1 and bot.votes == {"pour": 1}

        opened = await emulator.invoke(alice, "avis")
        modal = await opened.wait_modal()
        assert modal.title == "Votre avis"
        assert [(i.label, i.custom_id) for i in modal.inputs][1] == ("Note sur 10", "note")
        submitted = await emulator.submit_modal(alice, modal, {"Votre avis": "Très bien", "note": "9"})
        assert (await submitted.wait_reply()).content == "Merci : Très bien (9)"
        assert submitted.ephemeral

        # A forced disconnect: the client RESUMEs on resume_gateway_url and keeps answering.
        await emulator.force_reconnect()
        assert emulator.gateway.resume_count == 1 and emulator.gateway.identify_count == 1
        assert emulator.gateway.active[0].path == "/gateway/resume"
        again = await emulator.invoke(bob, "ping")
        assert (await again.wait_reply()).content == "pong en-US"
        # And after an opcode 7 RECONNECT too.
        await emulator.force_reconnect(use_reconnect_opcode=True)
        third = await emulator.click(alice, message, "vote:contre")
        assert (await third.wait_reply()).content == "Pour : 1"
    assert not bot.errors
    assert emulator.rate_limited_count == 0


@pytest.mark.emulator(gateway_compression="none")
async def test_plain_text_frames(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        assert emulator.gateway.connections[0].compression == "none"
        rec = await emulator.invoke("bob", "ping")
        assert (await rec.wait_reply()).content == "pong en-US"
        await emulator.force_reconnect()
        rec = await emulator.invoke("bob", "ping")
        await rec.wait_reply()


async def test_outage_replays_missed_events(emulator: DiscordEmulator) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    bot = EmuBot(intents=intents)
    async with connect_bot(emulator, bot):
        async with emulator.gateway_outage():
            await emulator.send_message(emulator.members["alice"], "general", "pendant la coupure")
            assert "pendant la coupure" not in bot.seen
        await emulator.wait_for(lambda: "pendant la coupure" in bot.seen)
        conn = emulator.gateway.active[0]
        assert conn.replayed >= 1 and conn.path == "/gateway/resume"


async def test_message_content_intent_is_enforced(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):  # default intents: no MESSAGE_CONTENT
        await emulator.send_message(emulator.members["alice"], "general", "secret")
        await emulator.send_message(emulator.members["alice"], "general", f"{emulator.bot_user.mention} visible")
        await emulator.wait_for(lambda: len(bot.seen) == 2)
        assert bot.seen == ["", f"{emulator.bot_user.mention} visible"]


async def test_slash_options_resolved_and_attachments(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        rec = await emulator.invoke(
            "alice",
            "echo",
            text="salut",
            count=3,
            ratio=0.5,
            flag=True,
            who=emulator.members["bob"],
            where=emulator.channels["actualites"],
            role=emulator.roles["Modérateur"],
            file=("notes.txt", b"abcdef"),
        )
        reply = await rec.wait_reply()
        assert reply.content == "salut|3|0.5|True|bob|actualites|Modérateur|notes.txt:6"
        assert [(a.filename, a.data) for a in reply.attachments] == [("reversed.bin", b"fedcba")]
        upload = emulator.requests_matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[-1]
        assert upload.files and upload.files[0].data == b"fedcba"

        with pytest.raises(CommandNotSynced, match="unknown option"):
            await emulator.invoke("alice", "ping", nope=1)
        with pytest.raises(CommandNotSynced, match="was not synced"):
            await emulator.invoke("alice", "sondage")
        with pytest.raises(CommandNotSynced, match="no subcommand"):
            await emulator.invoke("alice", "poll delete")
        with pytest.raises(EmulatorError, match="required option"):
            await emulator.invoke("alice", "poll create")

        auto = await emulator.autocomplete("bob", "poll search", "topic", "é")
        assert [c["value"] for c in await auto.wait_choices()] == ["économie", "écologie", "éducation"]

        message = emulator.last_message("general")
        assert message is not None
        with pytest.raises(ComponentNotFound):
            await emulator.click("bob", message, "Inexistant")


async def test_deferred_reply_and_followups(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        rec = await emulator.invoke("alice", "lent")
        assert (await rec.wait_response()).type == 5
        reply = await rec.wait_reply()
        assert reply.content == "terminé" and not reply.loading and not rec.ephemeral
        followups = await rec.wait_followups(1)
        assert followups[0].content == "et encore" and followups[0].ephemeral
        assert [m.content for m in emulator.messages_in("general")] == ["terminé"]


async def test_bot_channel_operations_threads_files_history(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        general = bot.get_channel(emulator.channels["general"].id)
        assert isinstance(general, discord.TextChannel)
        seeded = [emulator.add_message("general", f"ancien {i}", author=emulator.members["bob"]) for i in range(5)]
        history = [m.content async for m in general.history(limit=3)]
        assert history == ["ancien 4", "ancien 3", "ancien 2"]
        after = [m.content async for m in general.history(after=discord.Object(seeded[1].id), oldest_first=True)]
        assert after == ["ancien 2", "ancien 3", "ancien 4"]
        fetched = await general.fetch_message(seeded[0].id)
        assert fetched.content == "ancien 0"

        sent = await general.send(
            "Résumé <@{}>".format(emulator.members["alice"].id),
            file=discord.File(__import__("io").BytesIO(b"%PDF-1.4"), filename="resume.pdf"),
            allowed_mentions=discord.AllowedMentions(users=False),
        )
        stored = emulator.message(sent.id)
        assert stored.attachments[0].filename == "resume.pdf" and stored.attachments[0].data == b"%PDF-1.4"
        assert stored.mention_ids == []  # suppressed by allowed_mentions
        assert (await sent.attachments[0].read()) == b"%PDF-1.4"

        thread = await sent.create_thread(name="Débat")
        record = emulator.thread_of(stored)
        assert record is not None and record.id == sent.id and record.parent_id == general.id
        assert emulator.starter_message(record) is stored
        await thread.send("premier message")
        assert [m.content for m in emulator.messages_in(record)] == ["premier message"]
        await thread.edit(archived=True)
        assert emulator.channel(thread.id).archived
        await thread.send("réveil")  # sending unarchives, like Discord
        assert not emulator.channel(thread.id).archived
        loose = await general.create_thread(name="Sans message", type=discord.ChannelType.public_thread)
        assert emulator.channel(loose.id).starter_message_id is None
        assert {t.name for t in emulator.threads("general")} == {"Débat", "Sans message"}
        await loose.delete()
        assert emulator.channel(loose.id).deleted

        await sent.edit(content="Résumé modifié")
        await sent.add_reaction("👍")
        assert emulator.message(sent.id).reactions == {"👍": [emulator.bot_user.id]}
        await sent.delete()
        assert emulator.message(sent.id).deleted


async def test_invalid_bodies_are_rejected_and_recorded(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        channel_id = emulator.channels["general"].id
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        with emulator.expect_failures("invalid_body") as caught:
            with pytest.raises(discord.HTTPException) as too_long:
                await bot.http.request(route, json={"content": "x" * 2001})
        assert too_long.value.status == 400 and too_long.value.code == 50035
        assert "content" in str(too_long.value)
        assert caught[0].errors == {
            "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}
        }
        if emulator.spec_validation:
            with emulator.expect_failures("invalid_body") as caught:
                with pytest.raises(discord.HTTPException):
                    await bot.http.request(route, json={"embeds": [{"fields": [{"name": "a", "value": 3}]}]})
            assert "embeds" in caught[0].errors  # type: ignore[operator]
        with emulator.expect_failures("invalid_body"):
            with pytest.raises(discord.HTTPException):
                embed = discord.Embed(title="t" * 257)
                await bot.http.request(route, json={"embeds": [embed.to_dict()]})
        assert emulator.failures == []


@pytest.mark.emulator(interaction_deadline=0.2)
async def test_late_response_and_double_acknowledge(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        with emulator.expect_failures("late_interaction_response"):
            rec = await emulator.invoke("alice", "tard")
            await emulator.wait_for(lambda: bot.errors)
        assert isinstance(bot.errors[-1], discord.NotFound) and bot.errors[-1].code == 10062
        assert not rec.acknowledged

        with emulator.expect_failures("interaction_already_acknowledged"):
            rec = await emulator.invoke("alice", "double")
            await emulator.wait_for(lambda: len(bot.errors) == 2)
        assert isinstance(bot.errors[-1], discord.HTTPException) and bot.errors[-1].code == 40060
        assert rec.content == "une" and rec.rejected_callbacks == 1


async def test_rate_limits(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        general = bot.get_channel(emulator.channels["general"].id)
        assert isinstance(general, discord.TextChannel)
        message = await general.send("0")
        # Advertised limit: discord.py paces itself from the headers, no 429.
        emulator.set_edit_rate_limit(3, 0.3)
        started = time.monotonic()
        for i in range(1, 6):
            await message.edit(content=str(i))
        assert time.monotonic() - started >= 0.25
        assert emulator.rate_limited_count == 0
        # A hidden sub-limit: concurrent edits meet 429s (Via: 1.1 google), discord.py retries transparently.
        emulator.set_edit_rate_limit(2, 0.1, advertise=False)
        await asyncio.gather(*(message.edit(content=f"burst {i}") for i in range(6)))
        assert emulator.rate_limited_count >= 1
        assert emulator.edits_of(message) == 11
        assert emulator.message(message.id).content.startswith("burst")
        status, body = 0, None
        for _ in range(5):
            status, body = await _raw(
                emulator, "PATCH", f"/channels/{general.id}/messages/{message.id}", json={"content": "raw"}
            )
            if status == 429:
                break
        assert status == 429 and body["global"] is False and isinstance(body["retry_after"], float)


async def test_rate_limit_headers_and_via(emulator: DiscordEmulator) -> None:
    emulator.set_edit_rate_limit(1, 5.0)
    message = emulator.add_message("general", "x", dispatch=False)
    path = f"{emulator.api_url}/channels/{message.channel_id}/messages/{message.id}"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emulator.token}"}) as session:
        async with session.patch(path, json={"content": "y"}) as first:
            assert first.status == 200
            assert first.headers["X-RateLimit-Limit"] == "1" and first.headers["X-RateLimit-Remaining"] == "0"
            assert float(first.headers["X-RateLimit-Reset-After"]) > 4 and first.headers["X-RateLimit-Bucket"]
        async with session.patch(path, json={"content": "z"}) as second:
            assert second.status == 429 and second.headers["Via"] == "1.1 google"
            assert second.headers["Content-Type"] == "application/json"
    assert emulator.rate_limited_count == 1


async def test_old_message_edit_switch(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        general = bot.get_channel(emulator.channels["general"].id)
        assert isinstance(general, discord.TextChannel)
        emulator.set_edit_rate_limit(50, 1.0)  # this test is about 30046, not about pacing
        message = await general.send("récent")
        await message.edit(content="encore jeune")
        emulator.fail_old_message_edits = True
        await message.edit(content="toujours jeune")  # under an hour: fine
        emulator.age_message(message.id, 7200)
        with pytest.raises(discord.HTTPException) as error:
            await message.edit(content="trop vieux")
        assert error.value.status == 400 and error.value.code == 30046
        with emulator.backdated(7200):
            old = await general.send("vieux")
        assert (discord.utils.utcnow() - old.created_at).total_seconds() > 7000
        with pytest.raises(discord.HTTPException, match="older than 1 hour"):
            await old.edit(content="non")
        emulator.fail_old_message_edits = False
        await old.edit(content="oui")


async def test_unknown_route_is_a_failure(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        with emulator.expect_failures("unknown_route") as caught:
            with pytest.raises(discord.NotFound):
                await bot.http.request(Route("GET", "/channels/{channel_id}/webhooks", channel_id=1))
        assert caught[0].path.endswith("/webhooks")


@pytest.mark.emulator(bot_permissions=PERMISSIONS["view_channel"] | PERMISSIONS["send_messages"])
async def test_missing_permissions(emulator: DiscordEmulator, bot: EmuBot) -> None:
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        general = bot.get_channel(emulator.channels["general"].id)
        assert isinstance(general, discord.TextChannel)
        message = await general.send("ok")
        with pytest.raises(discord.Forbidden) as no_threads:
            await message.create_thread(name="interdit")
        assert no_threads.value.code == 50013

        emulator.deny_bot("send_messages", channel="actualites")
        news = bot.get_channel(emulator.channels["actualites"].id)
        assert isinstance(news, discord.TextChannel)
        await emulator.wait_for(lambda: not news.permissions_for(news.guild.me).send_messages)
        with pytest.raises(discord.Forbidden) as no_send:
            await news.send("interdit")
        assert no_send.value.code == 50013 and no_send.value.status == 403

        rec = await emulator.invoke("alice", "ping", channel="actualites")
        await rec.wait_reply()  # interaction replies need no channel permission
        assert not bot.app_perms[-1].send_messages and bot.app_perms[-1].view_channel


async def test_many_concurrent_clicks(emulator: DiscordEmulator, bot: EmuBot) -> None:
    voters = emulator.add_members(200, prefix="votant")
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        poll = await emulator.invoke("alice", "poll create", question="Grand vote")
        message = await poll.wait_reply()
        started = time.monotonic()
        clicks = await gather_limited([emulator.click(v, message, "Pour") for v in voters])
        await asyncio.gather(*(c.wait_response(timeout=10) for c in clicks))
        elapsed = time.monotonic() - started
        assert bot.votes["pour"] == 200 and emulator.message(message.id).content == "Pour : 200"
        assert elapsed < 10, elapsed


async def test_auto_sharded_bot_and_application_info(emulator: DiscordEmulator) -> None:
    bot = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default())
    async with connect_bot(emulator, bot):
        assert bot.shard_count == 1 and bot.application_id == emulator.application_id
        info = await bot.application_info()
        assert info.id == emulator.application_id
        assert emulator.requests_matching("GET", "/gateway/bot")


# ------------------------------------------------------------------------------------------------------------
# The emulator's own answers against Discord's response schemas
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.skipif(not SPEC_PRESENT, reason="Discord OpenAPI description absent (shared/discord/openapi.json)")
async def test_responses_match_discord_schemas(emulator: DiscordEmulator, bot: EmuBot) -> None:
    spec = load_spec()
    assert spec is not None

    def check(template: str, method: str, status: str, body: Any) -> None:
        pointer = spec.response_pointer(template, method, status)
        assert pointer is not None, (template, method, status)
        errors = spec.validate(pointer, body)
        assert errors == [], (template, errors)

    general = emulator.channels["general"]
    status, body = await _raw(
        emulator,
        "POST",
        f"/channels/{general.id}/messages",
        json={
            "content": "hello",
            "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b"}]}],
            "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}],
        },
    )
    assert status == 200
    check("/channels/{channel_id}/messages", "post", "200", body)
    status, body = await _raw(emulator, "GET", f"/channels/{general.id}")
    check("/channels/{channel_id}", "get", "200", body)
    status, body = await _raw(emulator, "GET", f"/channels/{general.id}/messages?limit=5")
    check("/channels/{channel_id}/messages", "get", "200", body)
    message_id = body[0]["id"]
    status, body = await _raw(
        emulator, "POST", f"/channels/{general.id}/messages/{message_id}/threads", json={"name": "fil"}
    )
    assert status == 201
    check("/channels/{channel_id}/messages/{message_id}/threads", "post", "201", body)
    status, body = await _raw(emulator, "GET", f"/channels/{message_id}")
    check("/channels/{channel_id}", "get", "200", body)
    for template, path in [
        ("/users/@me", "/users/@me"),
        ("/guilds/{guild_id}", f"/guilds/{emulator.guild.id}"),  # type: ignore[union-attr]
        ("/guilds/{guild_id}/roles", f"/guilds/{emulator.guild.id}/roles"),  # type: ignore[union-attr]
        ("/guilds/{guild_id}/channels", f"/guilds/{emulator.guild.id}/channels"),  # type: ignore[union-attr]
        (
            "/guilds/{guild_id}/members/{user_id}",
            f"/guilds/{emulator.guild.id}/members/{emulator.members['alice'].id}",
        ),  # type: ignore[union-attr]
        ("/gateway/bot", "/gateway/bot"),
        ("/oauth2/applications/@me", "/oauth2/applications/@me"),
    ]:
        status, body = await _raw(emulator, "GET", path)
        assert status == 200, path
        check(template, "get", "200", body)

    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        status, body = await _raw(emulator, "GET", f"/applications/{emulator.application_id}/commands")
        check("/applications/{application_id}/commands", "get", "200", body)
        rec = await emulator.invoke("alice", "ping")
        await rec.wait_reply()
    callback = emulator.requests_matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[-1]
    check("/interactions/{interaction_id}/{interaction_token}/callback", "post", "200", callback.response)
    with emulator.expect_failures("invalid_body"):
        status, body = await _raw(emulator, "POST", f"/channels/{general.id}/messages", json={"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035
    # The spec types nested `_errors[].code` as integers; Discord really sends strings such as
    # "BASE_TYPE_MAX_LENGTH" (and so does the emulator), so only the outer Error object is checked here.
    assert spec.validate(Spec.schema_pointer("Error"), body) == []
    emulator.set_edit_rate_limit(1, 5.0)
    path = f"/channels/{general.id}/messages/{message_id}"
    statuses = [(await _raw(emulator, "PATCH", path, json={"content": "e"}))[0] for _ in range(2)]
    assert statuses == [200, 429]
    check("/channels/{channel_id}/messages/{message_id}", "patch", "429", emulator.rate_limited[-1].response)


def test_spec_absent_warns_once_and_disables_validation(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "openapi.json"
    with pytest.warns(SpecMissingWarning):
        assert load_spec(missing) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emu = DiscordEmulator(spec_path=missing)  # no second warning
    assert emu.spec_validation is False


@pytest.mark.skipif(not SPEC_PRESENT, reason="Discord OpenAPI description absent (shared/discord/openapi.json)")
def test_spec_accepts_integer_snowflakes() -> None:
    spec = load_spec()
    assert isinstance(spec, Spec)
    pointer = spec.request_pointer("/channels/{channel_id}/messages", "post")
    assert pointer is not None
    body = {"content": "x", "message_reference": {"message_id": 12}, "allowed_mentions": {"users": [1, "2"]}}
    assert spec.validate(pointer, body) == []


# ------------------------------------------------------------------------------------------------------------
# Documented limits (pure checks)
# ------------------------------------------------------------------------------------------------------------
def test_documented_limits() -> None:
    assert emu_limits.check_message({"content": "x" * 2000}) == []
    embeds = [{"description": "d" * 4000}, {"description": "d" * 2001}]
    assert [e.code for e in emu_limits.check_embeds(embeds)] == ["MAX_EMBED_SIZE_EXCEEDED"]
    row = {
        "type": 1,
        "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"b{i}"} for i in range(6)],
    }
    assert emu_limits.check_message({"components": [row]})
    dup = {"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "same"}] * 2}
    assert any(e.code == "COMPONENT_CUSTOM_ID_DUPLICATED" for e in emu_limits.check_message({"components": [dup]}))
    no_id = {"type": 1, "components": [{"type": 2, "style": 1, "label": "b"}]}
    assert emu_limits.check_message({"components": [no_id]})
    modal = {"title": "t" * 46, "custom_id": "m", "components": []}
    assert {e.path[-1] for e in emu_limits.check_modal(modal)} == {"title", "components"}
    assert emu_limits.check_command({"name": "Sondage", "description": "x"})
    assert emu_limits.check_command({"name": "sondage", "description": "x", "name_localizations": {"xx": "a"}})
    assert emu_limits.check_command({"name": "résumé", "description": "Résumer"}) == []
    assert emu_limits.check_command({"name": "Résumer le message", "type": 3, "description": ""}) == []
    assert emu_limits.check_thread_name({"name": ""}, required=True)


async def test_standalone_emulator_without_fixture() -> None:
    async with DiscordEmulator(gateway_compression="none", edit_rate_limit=RateLimitRule(5, 5.0)) as emu:
        assert discord.http.Route.BASE == emu.api_url
        status, body = await _raw(emu, "GET", "/users/@me")
        assert status == 200 and body["bot"] is True
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


# ------------------------------------------------------------------------------------------------------------
# More interaction shapes, guild commands, crash detection
# ------------------------------------------------------------------------------------------------------------
class ReviewView(discord.ui.View):
    """A select, a button opening a modal, and a deferred-update button."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="review:topic",
        placeholder="Thème",
        options=[
            discord.SelectOption(label="Économie", value="eco"),
            discord.SelectOption(label="Sport", value="sport"),
        ],
    )
    async def topic(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"thème {select.values[0]}", ephemeral=True)

    @discord.ui.button(label="Commenter", custom_id="review:comment")
    async def comment(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(CommentModal())

    @discord.ui.button(label="Archiver", custom_id="review:archive", style=discord.ButtonStyle.danger)
    async def archive(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="archivé", view=None)


class CommentModal(discord.ui.Modal, title="Commentaire"):
    """Submitted from a component: answering with edit_message updates the component's message."""

    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Texte", custom_id="comment:text")

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.edit_message(content=f"commentaire : {self.text.value}")


class GuildBot(commands.Bot):
    """Guild-scoped commands, a context menu and a moderator-only command."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default())
        self.guild_id = guild_id

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        self.add_view(ReviewView())

        @self.tree.command(name="revue", description="Poster une revue", guild=guild)
        async def revue(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("revue", view=ReviewView())

        @self.tree.command(name="purge", description="Réservé aux modérateurs", guild=guild)
        @app_commands.default_permissions(manage_guild=True)
        async def purge(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("purgé", ephemeral=True)

        @self.tree.context_menu(name="Résumer le message", guild=guild)
        async def summarize(interaction: discord.Interaction[Any], message: discord.Message) -> None:
            await interaction.response.send_message(f"résumé de « {message.content} »", ephemeral=True)

        @self.tree.command(name="digest", description="Digest en MP", guild=guild)
        async def digest(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer(ephemeral=True)
            try:
                await interaction.user.send("Votre digest")
                await interaction.followup.send("envoyé")
            except discord.Forbidden:
                await interaction.followup.send("MP fermés")


async def test_guild_commands_components_and_context_menu(emulator: DiscordEmulator) -> None:
    guild = emulator.guild
    assert guild is not None
    bot = GuildBot(guild.id)
    async with connect_bot(emulator, bot):
        await sync_commands(bot, guild)
        assert {c["name"] for c in emulator.commands(guild)} == {
            "revue",
            "purge",
            "Résumer le message",
            "digest",
        }
        assert emulator.commands() == []

        rec = await emulator.invoke("alice", "revue")
        assert rec.data["guild_id"] == str(guild.id)
        message = await rec.wait_reply()

        picked = await emulator.select("bob", message, "Thème", ["Sport"])
        assert (await picked.wait_reply()).content == "thème sport"

        opened = await emulator.click("bob", message, "Commenter")
        modal = await opened.wait_modal()
        done = await emulator.submit_modal("bob", modal, {"Texte": "bravo"})
        assert done.payload["message"]["id"] == str(message.id)
        assert (await done.wait_reply()).content == "commentaire : bravo"
        assert emulator.message(message.id).content == "commentaire : bravo"

        archived = await emulator.click("mod", message, "Archiver")
        assert (await archived.wait_reply()).content == "archivé"
        assert archived.response_type == 6 and emulator.message(message.id).components == []

        summary = await emulator.invoke("alice", "Résumer le message", target=message)
        assert (await summary.wait_reply()).content == "résumé de « archivé »"

        with pytest.raises(EmulatorError, match="cannot see /purge"):
            await emulator.invoke("alice", "purge")
        purged = await emulator.invoke("mod", "purge")
        assert (await purged.wait_reply()).content == "purgé"

        sent = await emulator.invoke("alice", "digest")
        assert (await sent.wait_reply()).content == "envoyé" and sent.ephemeral
        dm = emulator.open_dm(emulator.members["alice"].user)
        assert [m.content for m in emulator.messages_in(dm)] == ["Votre digest"]
        emulator.members["bob"].dms_open = False
        closed = await emulator.invoke("bob", "digest")
        assert (await closed.wait_reply()).content == "MP fermés"


async def test_followup_with_unknown_token_is_a_failure(emulator: DiscordEmulator) -> None:
    path = f"/webhooks/{emulator.application_id}/not-a-token?wait=true"
    with emulator.expect_failures("unknown_webhook"):
        status, body = await _raw(emulator, "POST", path, json={"content": "x"})
    assert status == 404 and body["code"] == 10015


async def test_bot_crash_is_raised_at_once(emulator: DiscordEmulator, bot: EmuBot) -> None:
    with pytest.raises(BotCrashed):
        async with connect_bot(emulator, bot):
            # A dispatch discord.py cannot parse kills Client.connect(); the test must not hang.
            emulator.gateway.dispatch("INTERACTION_CREATE", {"type": 2, "id": "1"})
            await asyncio.sleep(30)
    with pytest.raises(BotCrashed, match="before READY"):

        class Broken(commands.Bot):
            async def setup_hook(self) -> None:
                raise RuntimeError("boom")

        async with connect_bot(emulator, Broken(command_prefix="!", intents=discord.Intents.default())):
            pass


async def test_swallowed_bot_errors_are_failures(emulator: DiscordEmulator) -> None:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())

    @bot.tree.command(name="casse", description="Lève une exception")
    async def casse(interaction: discord.Interaction[Any]) -> None:
        raise RuntimeError("bug dans la commande")

    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        with emulator.expect_failures("bot_error") as caught:
            rec = await emulator.invoke("alice", "casse")
            with pytest.raises(AssertionError, match="bug dans la commande"):
                await rec.wait_response(timeout=0.3)
        assert "Ignoring exception in command" in caught[0].message


class LifecycleBot(commands.Bot):
    """Every webhook route of an interaction: @original GET/PATCH/DELETE, followup POST/PATCH/DELETE."""

    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default())
        self.steps: list[str] = []

    async def setup_hook(self) -> None:
        @self.tree.command(name="cycle", description="Cycle de vie d'une réponse")
        async def cycle(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("v1")
            await interaction.edit_original_response(content="v2")
            original = await interaction.original_response()
            self.steps.append(original.content)
            follow = await interaction.followup.send("suite", wait=True)
            await follow.edit(content="suite modifiée")
            extra = await interaction.followup.send("éphémère", ephemeral=True, wait=True)
            await extra.delete()
            await interaction.delete_original_response()
            self.steps.append("done")


async def test_interaction_webhook_lifecycle(emulator: DiscordEmulator) -> None:
    bot = LifecycleBot()
    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        rec = await emulator.invoke("alice", "cycle")
        await emulator.wait_for(lambda: "done" in bot.steps)
        assert bot.steps == ["v2", "done"]
        original = rec.original
        assert original is not None and original.deleted and original.content == "v2"
        assert [r["content"] for r in original.revisions] == ["v1"]
        follow, extra = rec.followups
        assert follow.content == "suite modifiée" and not follow.deleted and follow.edit_count == 1
        assert extra.ephemeral and extra.deleted
        assert [m.content for m in emulator.messages_in("general")] == ["suite modifiée"]
        assert bot.latency < 1  # heartbeats were acknowledged
        assert emulator.gateway.connections[0].heartbeats >= 1


def test_every_emulated_route_is_in_the_spec() -> None:
    from tests.discord_emulator.rest import _ROUTES

    assert len(_ROUTES) > 50
    if not SPEC_PRESENT:
        pytest.skip("Discord OpenAPI description absent (shared/discord/openapi.json)")
    spec = load_spec()
    assert spec is not None
    missing = [f"{r.method} {r.template}" for r in _ROUTES if spec.operation(r.template, r.method) is None]
    assert missing == []


async def test_member_roles_history_and_auto_archive(emulator: DiscordEmulator, bot: EmuBot) -> None:
    guild = emulator.guild
    assert guild is not None
    bob = emulator.members["bob"]
    role_path = f"/guilds/{guild.id}/members/{bob.id}/roles/{emulator.roles['Modérateur'].id}"
    assert (await _raw(emulator, "PUT", role_path))[0] == 403  # the default bot role lacks MANAGE_ROLES
    emulator.set_bot_permissions(PERMISSIONS["manage_roles"] | PERMISSIONS["view_channel"])
    assert (await _raw(emulator, "PUT", role_path))[0] == 204
    assert emulator.roles["Modérateur"].id in bob.roles
    admin_path = f"/guilds/{guild.id}/members/{bob.id}/roles/{emulator.roles['Administrateur'].id}"
    emulator.roles["Administrateur"].position = 99  # above the bot's own role: refused like Discord
    assert (await _raw(emulator, "PUT", admin_path))[0] == 403

    general = emulator.channels["general"]
    emulator.add_message("general", "visible", author=bob, dispatch=False)
    emulator.deny_bot("read_message_history", channel=general)
    assert await _raw(emulator, "GET", f"/channels/{general.id}/messages") == (200, [])

    async with connect_bot(emulator, bot):
        news = bot.get_channel(emulator.channels["actualites"].id)
        assert isinstance(news, discord.TextChannel)
        emulator.set_bot_permissions(["create_public_threads", "send_messages_in_threads"])
        thread = await news.create_thread(name="Fil", type=discord.ChannelType.public_thread)
        emulator.archive_thread(thread.id, locked=True)
        # discord.py drops archived threads from its cache on THREAD_UPDATE.
        await emulator.wait_for(lambda: news.guild.get_thread(thread.id) is None)
        with pytest.raises(discord.HTTPException) as locked:
            await thread.send("fermé")
        assert locked.value.code == 50083


async def test_an_emulator_bug_fails_fast_instead_of_500(emulator: DiscordEmulator, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(emulator.world, "guild_payload", broken)
    guild = emulator.guild
    assert guild is not None
    with emulator.expect_failures("emulator_error") as caught:
        status, _ = await _raw(emulator, "GET", f"/guilds/{guild.id}")
    assert status == 400 and "KeyError" in caught[0].message


async def test_errors_after_the_bot_closed_are_not_failures(emulator: DiscordEmulator) -> None:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())

    @bot.listen("on_late_work")
    async def late_work() -> None:
        await asyncio.sleep(0.2)
        raise RuntimeError("resource closed at shutdown")

    @bot.tree.command(name="audit", description="Déclenche un travail en tâche de fond")
    async def audit(interaction: discord.Interaction[Any]) -> None:
        interaction.client.dispatch("late_work")
        await interaction.response.send_message("ok", ephemeral=True)

    async with connect_bot(emulator, bot):
        await sync_commands(bot)
        await (await emulator.invoke("alice", "audit")).wait_reply()
    await emulator.wait_for(lambda: emulator.shutdown_errors, timeout=2)
    assert "resource closed at shutdown" in emulator.shutdown_errors[0]
    assert emulator.failures == []


async def test_native_polls_votes_intent_voters_paging_and_expire(emulator: DiscordEmulator) -> None:
    alice, bob = emulator.members["alice"], emulator.members["bob"]
    seen: list[tuple[str, int, int]] = []

    async def on_add(payload: discord.RawPollVoteActionEvent) -> None:
        seen.append(("add", payload.user_id, payload.answer_id))

    async def on_remove(payload: discord.RawPollVoteActionEvent) -> None:
        seen.append(("remove", payload.user_id, payload.answer_id))

    blind = EmuBot(intents=discord.Intents(guilds=True))  # without the polls intent: no vote event
    blind.add_listener(on_add, "on_raw_poll_vote_add")
    async with connect_bot(emulator, blind):
        general = blind.get_channel(emulator.channels["general"].id)
        assert isinstance(general, discord.TextChannel)
        poll = discord.Poll(question="Pour ou contre ?", duration=__import__("datetime").timedelta(hours=2))
        poll.add_answer(text="Pour")
        poll.add_answer(text="Contre")
        sent = await general.send(poll=poll)
        emulator.native_vote(alice, sent.id, 1)
        await asyncio.sleep(0.1)
        assert seen == []

    polls_bot = EmuBot(intents=discord.Intents(guilds=True, guild_polls=True))
    polls_bot.add_listener(on_add, "on_raw_poll_vote_add")
    polls_bot.add_listener(on_remove, "on_raw_poll_vote_remove")
    async with connect_bot(emulator, polls_bot):
        emulator.native_vote(bob, sent.id, 2)
        emulator.native_vote(bob, sent.id, 1)  # single choice: refused by the client, no event
        emulator.native_vote(alice, sent.id, 1, add=False)
        await emulator.wait_for(lambda: len(seen) == 2)
        assert seen == [("add", bob.id, 2), ("remove", alice.id, 1)]
        for member in emulator.add_members(3):
            emulator.native_vote(member, sent.id, 2)

        path = f"/channels/{sent.channel.id}/polls/{sent.id}/answers/2"
        status, first = await _raw(emulator, "GET", path, params={"limit": "2"})
        assert status == 200 and len(first["users"]) == 2
        status, rest = await _raw(emulator, "GET", path, params={"limit": "2", "after": first["users"][-1]["id"]})
        assert status == 200 and len(rest["users"]) == 2
        assert {u["id"] for u in first["users"]}.isdisjoint(u["id"] for u in rest["users"])
        with emulator.expect_failures("invalid_body"):
            assert (await _raw(emulator, "GET", path, params={"limit": "101"}))[0] == 400
        assert (await _raw(emulator, "GET", f"/channels/{sent.channel.id}/polls/{sent.id}/answers/9"))[0] == 404

        fetched = await polls_bot.get_channel(sent.channel.id).fetch_message(sent.id)  # type: ignore[union-attr]
        ended = await fetched.end_poll()
        assert ended.poll is not None and ended.poll.is_finalized()
        assert [a.vote_count for a in ended.poll.answers] == [0, 4]
        status, _ = await _raw(emulator, "POST", f"/channels/{sent.channel.id}/polls/{sent.id}/expire")
        assert status == 400  # already ended
        result = emulator.last_message("general")
        assert result is not None and result.type == 46  # Discord's poll result message
