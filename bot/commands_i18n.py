"""French names and descriptions for slash commands, through discord.py's Translator.

Commands are declared with their English base names (`poll create`, `settings show`…); this translator
supplies the French version of every name, description, option and choice to Discord when the tree is
synced, from `bot/i18n/locales/commands.fr.json` (English text → French text).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import discord
from discord import app_commands

COMMAND_LOCALES = {discord.Locale.french: "fr"}


@cache
def command_catalog(language: str) -> dict[str, str]:
    """English command text → translated text, for one language."""
    path = resources.files("bot.i18n").joinpath("locales", f"commands.{language}.json")
    return json.loads(path.read_text(encoding="utf-8"))


class CatalogTranslator(app_commands.Translator):
    """Looks every command string up in the command catalog of the client's language."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = COMMAND_LOCALES.get(locale)
        if language is None:
            return None
        return command_catalog(language).get(string.message)
