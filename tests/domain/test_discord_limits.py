"""Discord's limits in one table: fitting embeds and contents, bounded quotes, invisible-only text."""

from __future__ import annotations

import discord

from bot.i18n import t
from bot.outgoing import fit_message, fit_modal, fit_view
from bot.text import (
    CONTENT_MAX,
    EMBED_TOTAL_MAX,
    QUOTED_MAX,
    discord_len,
    fit,
    fit_embed_dicts,
    visible_text,
)
from tests.discord_emulator.limits import check_embeds


def test_fit_leaves_fitting_text_untouched_and_cuts_the_rest_with_an_ellipsis() -> None:
    assert fit("  deux espaces ", 50) == "  deux espaces "
    cut = fit("mot " * 100, 30)
    assert discord_len(cut) <= 30 and cut.endswith("…")
    emoji = fit("🙂" * 50, 11)  # two UTF-16 units each, as Discord counts
    assert discord_len(emoji) <= 11 and emoji.endswith("…")


def test_every_embed_field_and_the_message_total_are_brought_within_discords_limits() -> None:
    huge = {
        "title": "T" * 900,
        "description": "mot " * 2000,
        "footer": {"text": "f" * 3000},
        "author": {"name": "a" * 400},
        "fields": [{"name": "n" * 400, "value": "v" * 2000, "inline": False}] * 30,
    }
    fitted = fit_embed_dicts([huge] * 12)
    assert check_embeds(fitted) == []  # the emulator's copy of Discord's checks
    assert 1 <= len(fitted) <= 10
    assert fitted[0]["title"].endswith("…")
    assert huge["title"] == "T" * 900  # the caller's data is not changed


def test_within_the_total_embeds_are_unchanged() -> None:
    embeds = [{"title": "Sondage", "description": "Oui / Non", "color": 5}]
    assert fit_embed_dicts(embeds) == embeds


def test_the_total_gives_way_from_the_last_description_first() -> None:
    embeds = [{"title": "Article", "description": "a " * 1900}, {"title": "Sondage", "description": "b " * 1900}]
    fitted = fit_embed_dicts(embeds)
    assert check_embeds(fitted) == []
    assert fitted[0]["description"] == embeds[0]["description"]
    assert len(fitted[1]["description"]) < len(embeds[1]["description"])
    assert sum(len(e["title"]) + len(e.get("description") or "") for e in fitted) <= EMBED_TOTAL_MAX


def test_fit_message_bounds_content_and_embeds_of_discord_py_arguments() -> None:
    embed = discord.Embed(title="x" * 300, description="y" * 5000, colour=discord.Colour(0x123456))
    fitted = fit_message({"content": "z" * 6000, "embed": embed, "ephemeral": True})
    assert discord_len(fitted["content"]) <= CONTENT_MAX
    assert check_embeds([fitted["embed"].to_dict()]) == []
    assert fitted["embed"].colour == embed.colour and fitted["ephemeral"] is True
    assert len(embed.title or "") == 300  # the original embed is left alone


def test_fit_modal_shortens_title_placeholder_and_prefill() -> None:
    modal = discord.ui.Modal(title="Titre " * 20)
    field = discord.ui.TextInput(label="Votre avis", placeholder="p" * 300, default="d" * 5000, max_length=1000)
    modal.add_item(field)
    fit_modal(modal)
    assert len(modal.title) <= 45 and len(field.placeholder or "") <= 100 and len(field.default or "") == 1000


def test_quoted_member_text_is_bounded_in_every_message() -> None:
    message = t("duration.invalid", "fr", value="9" * 5000)
    assert "9" * QUOTED_MAX not in message and "9" * (QUOTED_MAX - 1) + "…" in message
    assert len(message) < QUOTED_MAX + 100
    assert "« 3 weeks  »" in t("duration.invalid", "fr", value="3 weeks ")  # short text is quoted as typed


def test_visible_text_drops_zero_width_direction_and_control_characters() -> None:
    assert visible_text("\u200b\u200c\u200d\u2060\ufeff\u202e\u0000 \t\n") == ""
    assert visible_text("\u0301\u0336") == ""  # lone combining marks (zalgo without letters)
    assert visible_text("Oui\u200b !") == "Oui!"
    assert visible_text("😀") == "😀"


def test_fit_view_shortens_button_labels_and_select_texts() -> None:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Réponse " * 30, custom_id="tribune:test:1"))
    select = discord.ui.Select(
        custom_id="tribune:test:2",
        placeholder="Choisir " * 40,
        options=[discord.SelectOption(label="Option " * 30, value="a", description="Détail " * 30)],
    )
    view.add_item(select)
    fit_view(view)
    button = view.children[0]
    assert isinstance(button, discord.ui.Button) and len(button.label or "") <= 80
    assert len(select.placeholder or "") <= 150
    assert len(select.options[0].label) <= 100 and len(select.options[0].description or "") <= 100
    assert button.custom_id == "tribune:test:1"  # ids are never touched
