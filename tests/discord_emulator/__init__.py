"""A local Discord for tests: the unmodified discord.py client talks to it over real HTTP and a real gateway.

The emulator (``aiohttp.web`` on 127.0.0.1, ephemeral port) serves REST under ``/api/v10`` and the gateway
WebSocket (zlib-stream or plain frames), keeps guilds/channels/threads/messages/commands like Discord,
validates every request body against Discord's OpenAPI description (``<repo>/../shared/discord/openapi.json``,
skipped with one warning when absent) and the documented limits, enforces permissions, rate limits and the
interaction rules (3 s deadline, one acknowledgement, valid followup tokens). Anything real Discord would
reject is recorded in ``emulator.failures`` and fails the test at teardown.

Usage (the ``emulator`` fixture comes from ``tests.discord_emulator.pytest_plugin``)::

    from tests.discord_emulator import connect_bot, sync_commands

    async def test_poll_vote(emulator):
        bot = make_tribune_bot()                      # any commands.Bot / discord.Client
        async with connect_bot(emulator, bot):        # bot.start() against the emulator, waits for READY
            await sync_commands(bot)                  # the emulator stores the synced tree
            alice = emulator.members["alice"]         # locale "fr"; also bob (en-US), mod, admin
            rec = await emulator.invoke(alice, "poll create", question="Pour ou contre ?")
            reply = await rec.wait_reply()            # waits through defer + @original edit
            assert not rec.ephemeral and "Pour ou contre" in reply.content
            vote = await emulator.click(emulator.members["bob"], reply, "Pour")
            assert (await vote.wait_response()).type == 7          # UPDATE_MESSAGE
            form = await (await emulator.invoke(alice, "avis")).wait_modal()
            done = await emulator.submit_modal(alice, form, {"Votre avis": "Très bien"})
            await done.wait_reply()
            assert emulator.rate_limited_count == 0
            body = emulator.requests_matching("POST", "/channels/{channel_id}/messages")[-1].json
            assert body["allowed_mentions"] == {"parse": []}

Options go through ``@pytest.mark.emulator(...)``: ``bot_permissions``, ``gateway_compression="none"``
(plain text frames instead of zlib-stream), ``interaction_deadline`` (3 s), ``edit_rate_limit=RateLimitRule(5,
5.0)``, ``default_rate_limit``, ``validate``, ``capture_bot_errors``, ``default_guild``. Run-time switches:
``emulator.deny_bot("send_messages", channel="general")``, ``emulator.set_bot_permissions(...)``,
``emulator.set_overwrite(...)``, ``emulator.fail_old_message_edits = True`` with ``emulator.age_message(msg,
7200)`` (or ``with emulator.backdated(7200):`` so discord.py's ``created_at`` is old too),
``emulator.set_edit_rate_limit(5, 5.0, advertise=False)`` (hidden sub-limit: real 429s),
``await emulator.force_reconnect()``, ``async with emulator.gateway_outage(): ...`` (events replayed on
RESUME), ``emulator.archive_thread(t)``, ``emulator.add_members(300)``, and for negative tests
``with emulator.expect_failures("invalid_body") as caught: ...``.

Failure kinds: invalid_body, invalid_json, unknown_route, late_interaction_response,
interaction_already_acknowledged, unknown_interaction, unknown_webhook, invalid_callback, bot_error (an
exception discord.py swallowed and logged), bot_crashed, emulator_error, gateway.
"""

from __future__ import annotations

from .emulator import DiscordEmulator, RequestRecord, UploadedFile
from .errors import (
    BotCrashed,
    CommandNotSynced,
    ComponentNotFound,
    EmulatorError,
    EmulatorTimeout,
    Failure,
)
from .harness import connect_bot, sync_commands
from .interactions import CallbackRecord, InteractionRecord, ModalInput, ModalRecord, gather_limited
from .ratelimits import RateLimitRule
from .spec import SpecMissingWarning, default_spec_path, load_spec
from .state import (
    AttachmentRecord,
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    MessageRecord,
    RoleRecord,
    UserRecord,
)
from .util import BOT_DEFAULT, EVERYONE_BASIC, PERMISSIONS, perms

__all__ = [
    "BOT_DEFAULT",
    "EVERYONE_BASIC",
    "PERMISSIONS",
    "AttachmentRecord",
    "BotCrashed",
    "CallbackRecord",
    "ChannelRecord",
    "CommandNotSynced",
    "ComponentNotFound",
    "DiscordEmulator",
    "EmulatorError",
    "EmulatorTimeout",
    "Failure",
    "GuildRecord",
    "InteractionRecord",
    "MemberRecord",
    "MessageRecord",
    "ModalInput",
    "ModalRecord",
    "RateLimitRule",
    "RequestRecord",
    "RoleRecord",
    "SpecMissingWarning",
    "UploadedFile",
    "UserRecord",
    "connect_bot",
    "default_spec_path",
    "gather_limited",
    "load_spec",
    "perms",
    "sync_commands",
]
