"""The catalogs: French and English hold the same keys with the same placeholders."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGES, catalog, language_of, placeholders, t


def test_every_key_exists_in_every_language() -> None:
    keys = {lang: set(catalog(lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        missing = keys["fr"] - keys[lang]
        extra = keys[lang] - keys["fr"]
        assert not missing, f"missing in {lang}: {sorted(missing)}"
        assert not extra, f"only in {lang}: {sorted(extra)}"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "fr"])
def test_placeholders_match_french(lang: str) -> None:
    french = catalog("fr")
    for key, template in catalog(lang).items():
        assert placeholders(template) == placeholders(french[key]), key


def test_no_empty_message() -> None:
    for lang in LANGUAGES:
        assert all(text.strip() for text in catalog(lang).values()), lang


def test_lookup_fills_placeholders_and_falls_back() -> None:
    assert t("error.cooldown", "fr", seconds=3) == "Doucement ! Réessayez dans 3 s."
    assert t("error.cooldown", "en", seconds=3) == "Easy! Try again in 3 s."
    assert t("error.cooldown", "de", seconds=3).startswith("Doucement")  # unknown language → French
    assert t("no.such.key", "fr") == "no.such.key"


def test_language_of_discord_locales() -> None:
    assert language_of("fr") == "fr"
    assert language_of("en-US") == "en" and language_of("de") == "en"
    assert language_of(None) == "fr"


def test_every_literal_key_used_in_the_code_exists() -> None:
    """`t("some.key", …)` in bot/ and cogs/ must name a catalog entry (a typo would show the raw key)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"""\b(?:t|tn|UserFacingError|Refused)\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
    french = catalog("fr")
    missing = set()
    for folder in ("bot", "cogs"):
        for path in (root / folder).rglob("*.py"):
            for key in pattern.findall(path.read_text(encoding="utf-8")):
                if key not in french and f"{key}.one" not in french:
                    missing.add(f"{path.relative_to(root)}: {key}")
    assert not missing, sorted(missing)
