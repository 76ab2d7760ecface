"""Numbers, percentages, dates and durations written the way each language writes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

NBSP = "\u00a0"
NNBSP = "\u202f"  # French thousands separator and space before %

MONTHS = {
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def format_number(value: float, language: str, decimals: int = 0) -> str:
    """`1 234,5` in French, `1,234.5` in English."""
    text = f"{value:,.{decimals}f}"
    if language == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def format_percent(value: float, language: str, decimals: int = 1) -> str:
    """`62,5 %` in French, `62.5%` in English; whole numbers lose their `,0`."""
    number = format_number(value, language, decimals)
    zero = ("," if language == "fr" else ".") + "0" * decimals
    if decimals and number.endswith(zero):
        number = number[: -len(zero)]
    return f"{number}{NNBSP}%" if language == "fr" else f"{number}%"


def format_date(moment: date | datetime, language: str) -> str:
    """`26 nov. 2026` in French, `Nov 26, 2026` in English."""
    month = MONTHS.get(language, MONTHS["en"])[moment.month - 1]
    if language == "fr":
        day = "1er" if moment.day == 1 else str(moment.day)
        return f"{day} {month} {moment.year}"
    return f"{month} {moment.day}, {moment.year}"


def format_duration(span: timedelta, language: str) -> str:
    """A short human duration: `7 j`, `12 h`, `1 j 6 h` / `7 d`, `12 h`, `1 d 6 h`."""
    total_minutes = int(span.total_seconds() // 60)
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    day_unit = "j" if language == "fr" else "d"
    parts = []
    if days:
        parts.append(f"{days}{NBSP}{day_unit}")
    if hours:
        parts.append(f"{hours}{NBSP}h")
    if minutes and not days:
        parts.append(f"{minutes}{NBSP}min")
    return " ".join(parts) or f"0{NBSP}min"
