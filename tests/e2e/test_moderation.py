"""Moderator commands: the server-side check over the whole tree, settings, audit log, errors."""

from __future__ import annotations

from typing import Any

import pytest

from bot.client import Tribune
from db.audit import AuditStore
from db.guild_settings import GuildSettingsStore
from tests.discord_emulator import DiscordEmulator

# Commands every member may use; every other command is for moderators only.
PUBLIC_COMMANDS = {"poll results", "mydata export", "mydata delete"}

OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN, OPTION_USER, OPTION_CHANNEL, OPTION_ROLE = 3, 4, 5, 6, 7, 8
OPTION_NUMBER, OPTION_ATTACHMENT = 10, 11


def leaf_commands(commands: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, options) of every invocable chat command in the synced tree."""
    found = []

    def walk(path: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            found.append((path, options))
        for sub in subs:
            walk(f"{path} {sub['name']}", sub.get("options", []))

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command["name"], command.get("options", []))
    return found


def sample_options(emulator: DiscordEmulator, options: list[dict[str, Any]]) -> dict[str, Any]:
    """A valid value for every required option (the check must refuse before any of them is used)."""
    values: dict[str, Any] = {}
    for option in options:
        if not option.get("required"):
            continue
        name, kind = option["name"], option["type"]
        if option.get("choices"):
            values[name] = option["choices"][0]["value"]
        elif kind == OPTION_STRING:
            values[name] = "12h" if "duration" in name else "Une valeur de test ?"
        elif kind in (OPTION_INTEGER, OPTION_NUMBER):
            values[name] = max(1, option.get("min_value", 1))
        elif kind == OPTION_BOOLEAN:
            values[name] = True
        elif kind == OPTION_CHANNEL:
            values[name] = "general"
        elif kind == OPTION_ROLE:
            values[name] = emulator.roles["Modérateur"]
        elif kind == OPTION_USER:
            values[name] = emulator.members["bob"]
        else:
            raise AssertionError(f"no sample for option type {kind} ({name})")
    return values


def every_member_sees_every_command(emulator: DiscordEmulator) -> None:
    """What a server admin does in Discord's integration settings: default permissions no longer hide."""
    for commands in emulator.synced_commands.values():
        for command in commands:
            command["default_member_permissions"] = None


async def test_every_moderator_command_refuses_a_plain_member_and_does_nothing(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    every_member_sees_every_command(emulator)
    commands = leaf_commands(emulator.commands())
    moderator_commands = [(path, options) for path, options in commands if path not in PUBLIC_COMMANDS]
    assert len(moderator_commands) >= 15  # the tree really was walked
    requests_before = len(emulator.requests)
    for path, options in moderator_commands:
        sample = sample_options(emulator, options)
        record = await emulator.invoke(emulator.members["alice"], path, options=sample)
        reply = await record.wait_reply()
        assert record.ephemeral, path
        assert "réservée aux modérateurs" in reply.content, (path, reply.content)
    async with tribune.db.read() as conn:
        for table in ("audit_log", "guild_settings", "polls", "articles"):
            async with conn.execute(f"SELECT count(*) FROM {table}") as cur:
                assert (await cur.fetchone())[0] == 0, table
    # Only the refusals went to Discord: no message posted, edited or deleted anywhere.
    sent = {(r.method, r.route) for r in emulator.requests[requests_before:]}
    assert all("/interactions/" in route or route.startswith("/webhooks/") for _, route in sent), sent


async def test_the_moderator_role_grants_moderator_commands(emulator: DiscordEmulator, tribune: Tribune) -> None:
    role = emulator.roles["Modérateur"]
    set_role = await emulator.invoke(emulator.members["mod"], "settings moderator-role", role=role)
    await set_role.wait_reply()
    every_member_sees_every_command(emulator)
    emulator.set_member_roles(emulator.members["alice"], [role])
    show = await emulator.invoke(emulator.members["alice"], "settings show")
    embed = (await show.wait_reply()).embeds[0]
    assert embed["title"] == "Réglages de Tribune sur ce serveur"
    assert any(f["value"] == f"<@&{role.id}>" for f in embed["fields"])


async def test_settings_round_trip_and_validation(emulator: DiscordEmulator, tribune: Tribune) -> None:
    mod = emulator.members["mod"]
    steps = [
        ("settings articles-channel", {"channel": "actualites"}),
        ("settings digest-channel", {"channel": "general"}),
        ("settings language", {"language": "en"}),
        ("settings timezone", {"name": "America/Montreal"}),
        ("settings digest-schedule", {"day": 4, "hour": 18}),
        ("settings poll-duration", {"duration": "3d"}),
        ("settings digest", {"state": "off", "empty_week": "silent"}),
    ]
    for path, options in steps:
        record = await emulator.invoke(mod, path, options=options)
        assert (await record.wait_reply()).content == "✅ Réglage enregistré.", path
    async with tribune.db.read() as conn:
        stored = await GuildSettingsStore(conn).get(emulator.guild.id)
    assert stored.articles_channel_id == emulator.channel("actualites").id
    assert stored.digest_channel_id == emulator.channel("general").id
    assert stored.language == "en" and stored.timezone == "America/Montreal"
    assert (stored.digest_weekday, stored.digest_hour) == (4, 18)
    assert stored.poll_duration_seconds == 3 * 86400
    assert stored.digest_enabled is False and stored.digest_empty_notice is False

    for path, options, fragment in [
        ("settings timezone", {"name": "Mars/Olympus"}, "Fuseau horaire « Mars/Olympus » inconnu"),
        ("settings poll-duration", {"duration": "40d"}, "entre 1 heure et 32 jours"),
    ]:
        record = await emulator.invoke(mod, path, options=options)
        assert fragment in (await record.wait_reply()).content
    async with tribune.db.read() as conn:
        assert await GuildSettingsStore(conn).get(emulator.guild.id) == stored

    autocomplete = await emulator.autocomplete(mod, "settings timezone", "name", "paris")
    assert [c["value"] for c in await autocomplete.wait_choices()] == ["Europe/Paris"]


async def test_a_missing_bot_permission_is_named(emulator: DiscordEmulator, tribune: Tribune) -> None:
    emulator.deny_bot("create_public_threads", channel="actualites")
    record = await emulator.invoke(
        emulator.members["mod"], "settings articles-channel", options={"channel": "actualites"}
    )
    reply = await record.wait_reply()
    assert (
        reply.content
        == f"Il me manque la permission « Créer des fils publics » dans <#{emulator.channel('actualites').id}>."
    )
    async with tribune.db.read() as conn:
        assert (await GuildSettingsStore(conn).get(emulator.guild.id)).articles_channel_id is None


async def test_audit_entries_log_channel_and_paged_audit_view(emulator: DiscordEmulator, tribune: Tribune) -> None:
    mod = emulator.members["mod"]
    await (await emulator.invoke(mod, "settings log-channel", options={"channel": "actualites"})).wait_reply()
    for duration in ("1d", "2d", "3d", "4d", "5d", "6d", "1w", "8d", "9d", "10d", "11d"):
        await (await emulator.invoke(mod, "settings poll-duration", duration=duration)).wait_reply()
    async with tribune.db.read() as conn:
        entries = await AuditStore(conn).latest(emulator.guild.id, limit=50)
    assert len(entries) == 12 and {e.actor_id for e in entries} == {mod.id}
    assert entries[0].action == "settings.poll_duration" and entries[0].details == {"poll_duration_seconds": "950400"}
    await emulator.wait_for(lambda: len(emulator.messages_in("actualites")) >= 11, timeout=5)
    assert "settings.poll_duration" in emulator.messages_in("actualites")[-1].content

    audit = await emulator.invoke(mod, "settings audit", options={"member": mod})
    first_page = await audit.wait_reply()
    assert first_page.embeds[0]["footer"]["text"] == "Page 1/2"
    assert first_page.embeds[0]["description"].count("\n") == 9  # 10 entries per page
    turn = await emulator.click(mod, first_page, "Suivant")
    await turn.wait_response()
    assert emulator.message(first_page.id).embeds[0]["footer"]["text"] == "Page 2/2"


@pytest.mark.parametrize("locale,expected", [("fr", "réservée aux modérateurs"), ("en-US", "for moderators")])
async def test_refusals_follow_the_member_locale(
    emulator: DiscordEmulator, tribune: Tribune, locale: str, expected: str
) -> None:
    every_member_sees_every_command(emulator)
    record = await emulator.invoke(emulator.members["alice"], "settings show", locale=locale)
    assert expected in (await record.wait_reply()).content


async def test_an_unexpected_error_is_logged_with_context_and_the_member_gets_an_apology(
    emulator: DiscordEmulator, tribune: Tribune, caplog: pytest.LogCaptureFixture
) -> None:
    async with tribune.db.transaction() as conn:
        await conn.execute("DROP TABLE audit_log")  # a broken store: every audited action fails
    record = await emulator.invoke(emulator.members["mod"], "settings poll-duration", duration="2d")
    reply = await record.wait_reply()
    assert record.ephemeral
    assert (
        reply.content
        == "Désolé, une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez dans un instant."
    )
    assert "Traceback" not in reply.content and "audit_log" not in reply.content
    async with tribune.db.read() as conn:  # the change and its audit entry are one unit of work
        assert (await GuildSettingsStore(conn).get(emulator.guild.id)).poll_duration_seconds == 7 * 86400
    logged = [
        r for r in caplog.records if r.levelname == "ERROR" and "Unexpected error in interaction" in r.getMessage()
    ]
    assert (
        logged
        and "settings poll-duration" in logged[0].getMessage()
        and str(emulator.guild.id) in logged[0].getMessage()
    )


@pytest.mark.emulator(interaction_deadline=0.0)
async def test_interactions_that_expire_on_discords_side_are_logged(
    emulator: DiscordEmulator, tribune: Tribune, caplog: pytest.LogCaptureFixture
) -> None:
    with emulator.expect_failures():
        record = await emulator.invoke(emulator.members["mod"], "settings show")
        await emulator.wait_for(
            lambda: any("expired before it was answered" in r.getMessage() for r in caplog.records), timeout=5
        )
    assert record.reply is None
