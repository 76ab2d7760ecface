"""Bar charts as PNG bytes (matplotlib, Agg backend), readable on Discord's dark and light themes."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Mid-tone colours on a neutral grey card: contrast holds on both Discord themes.
BACKGROUND = "#2b2d31"
CARD_TEXT = "#f2f3f5"
GRID = "#4e5058"
PERCENT_SIGN = {"fr": "\u202f%", "en": "%"}
PALETTE = ["#5865f2", "#57f287", "#fee75c", "#eb459e", "#ed4245", "#3ba55d", "#faa61a", "#9b84ec", "#00b0f4", "#b9bbbe"]


@dataclass(frozen=True)
class BarGroup:
    """One poll: its title and (label, count) bars."""

    title: str
    bars: Sequence[tuple[str, int]]


WIDTH_INCHES = 8.0
ROW_INCHES = 0.3
MARGIN_INCHES = 0.15
TITLE_ROWS = 1.2  # a title row a little taller than a bar row, so it reads as the group's heading
GAP_ROWS = 0.8
CHAR_WIDTH_INCHES = 0.068  # DejaVu Sans at 9 pt: about 4.9 pt per character on average


def _label(label: str) -> str:
    return textwrap.shorten(label, 40, placeholder="…")


def _pyplot() -> Any:
    # Imported on first use: matplotlib costs a few hundred ms, which start-up and the vote path never pay.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def bar_chart_png(groups: Sequence[BarGroup], language: str = "fr") -> bytes:
    """Horizontal bars, one group per poll (count and share of the group's votes); returns PNG bytes.

    One axes for all groups, drawn in row units, without ticks (every bar carries its count and share):
    ten polls as ten matplotlib axes cost ten sets of ticks and layouts, most of the drawing time.
    """
    plt = _pyplot()
    from matplotlib.transforms import blended_transform_factory

    rows = sum(TITLE_ROWS + len(group.bars) + GAP_ROWS for group in groups) - GAP_ROWS
    height = max(1.0, ROW_INCHES * rows + 2 * MARGIN_INCHES)
    labels = [_label(label) for group in groups for label, _ in group.bars]
    left = min(0.5, (max(map(len, labels), default=1) * CHAR_WIDTH_INCHES + 0.3) / WIDTH_INCHES)
    fig = plt.figure(figsize=(WIDTH_INCHES, height), facecolor=BACKGROUND)
    ax = fig.add_axes((left, MARGIN_INCHES / height, 0.97 - left, 1 - 2 * MARGIN_INCHES / height))
    ax.set_axis_off()
    ax.set_xlim(0, 1.28)  # the longest bar takes 1; the rest of the width holds its count
    ax.set_ylim(rows - 0.5, -0.5)  # row 0 at the top
    # x in figure fractions, y in rows: titles start at the figure's edge, labels end at the bars.
    figure_x = blended_transform_factory(fig.transFigure, ax.transData)
    sign = PERCENT_SIGN.get(language, "%")
    row = 0.0
    positions: list[float] = []
    widths: list[float] = []
    colours: list[str] = []
    for group in groups:
        ax.text(
            0.015,
            row,
            textwrap.shorten(group.title, 90, placeholder="…"),
            transform=figure_x,
            color=CARD_TEXT,
            fontsize=10,
            va="center",
        )
        top = row + TITLE_ROWS
        total = sum(count for _, count in group.bars) or 1
        longest = max([count for _, count in group.bars] or [1]) or 1
        for index, (label, count) in enumerate(group.bars):
            y = top + index
            positions.append(y)
            widths.append(count / longest)
            colours.append(PALETTE[index % len(PALETTE)])
            ax.text(
                left - 0.012, y, _label(label), transform=figure_x, color=CARD_TEXT, fontsize=9, ha="right", va="center"
            )
            ax.text(
                count / longest + 0.015,
                y,
                f"{count} ({100 * count / total:.0f}{sign})",
                color=CARD_TEXT,
                fontsize=9,
                va="center",
            )
        ax.vlines(0, top - 0.5, top + len(group.bars) - 0.5, color=GRID, linewidth=1)
        row = top + len(group.bars) + GAP_ROWS
    ax.barh(positions, widths, color=colours, height=0.65)
    buffer = io.BytesIO()
    # Fast zlib level: the encoder was a quarter of the time; the file stays far below Discord's attachment limit.
    fig.savefig(buffer, format="png", dpi=100, facecolor=fig.get_facecolor(), pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return buffer.getvalue()
