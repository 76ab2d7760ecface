"""The one send path, through the real discord.py client and the emulator's copy of Discord's checks."""

from __future__ import annotations

import discord

from bot.client import Tribune
from bot.outgoing import edit, send
from tests.discord_emulator import DiscordEmulator


def oversized_embed(i: int) -> discord.Embed:
    embed = discord.Embed(title=f"Titre {i} " * 60, description="mot " * 1500)
    embed.set_footer(text="pied " * 500)
    embed.set_author(name="auteur " * 60)
    for j in range(30):
        embed.add_field(name=f"champ {j} " * 40, value="valeur " * 200)
    return embed


async def test_a_message_far_beyond_discords_limits_is_still_delivered(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    channel = tribune.get_channel(emulator.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    message = await send(channel, "é" * 6000, embeds=[oversized_embed(i) for i in range(12)])
    stored = emulator.message(message.id)
    assert len(stored.content) == 2000 and stored.content.endswith("…")
    assert 1 <= len(stored.embeds) <= 10 and stored.embeds[0]["title"].startswith("Titre 0")

    await edit(message, content="🙂" * 3000, embeds=[oversized_embed(0)])
    edited = emulator.message(message.id)
    assert len(edited.content.encode("utf-16-le")) // 2 <= 2000 and edited.content.endswith("…")
    assert emulator.failures == []  # Discord (the emulator) refused nothing
