"""The opinions extension: `/opinion …` moderation commands and the 💬 / 👍 / 🗑️ buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.opinions.cog import OpinionsCog

if TYPE_CHECKING:
    from bot.client import Tribune


async def setup(bot: Tribune) -> None:
    await bot.add_cog(OpinionsCog(bot))
