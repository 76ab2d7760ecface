"""The polls extension: `/poll …` commands, vote buttons, live tallies, deadlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.polls.cog import PollsCog

if TYPE_CHECKING:
    from bot.client import Tribune


async def setup(bot: Tribune) -> None:
    await bot.add_cog(PollsCog(bot))
