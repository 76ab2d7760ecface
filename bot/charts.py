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


def _pyplot() -> Any:
    # Imported on first use: matplotlib costs a few hundred ms, which start-up and the vote path never pay.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def bar_chart_png(groups: Sequence[BarGroup], language: str = "fr") -> bytes:
    """Horizontal bars, one group per poll (count and share of the group's votes); returns PNG bytes."""
    plt = _pyplot()
    rows = sum(len(g.bars) for g in groups) + 2 * len(groups)
    height = max(2.0, 0.38 * rows + 0.4)
    fig, axes = plt.subplots(
        len(groups),
        1,
        figsize=(8, height),
        squeeze=False,
        gridspec_kw={"height_ratios": [len(g.bars) + 1 for g in groups]},
    )
    fig.patch.set_facecolor(BACKGROUND)
    for ax, group in zip(axes[:, 0], groups, strict=True):
        labels = [textwrap.shorten(label, 40, placeholder="…") for label, _ in group.bars][::-1]
        counts = [count for _, count in group.bars][::-1]
        total = sum(counts) or 1
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(counts))][::-1]
        ax.set_facecolor(BACKGROUND)
        bars = ax.barh(labels, counts, color=colours, height=0.65)
        for bar, count in zip(bars, counts, strict=True):
            ax.text(
                bar.get_width() + total * 0.01,
                bar.get_y() + bar.get_height() / 2,
                f"{count} ({100 * count / total:.0f}{PERCENT_SIGN.get(language, '%')})",
                va="center",
                color=CARD_TEXT,
                fontsize=9,
            )
        ax.set_title(textwrap.shorten(group.title, 90, placeholder="…"), color=CARD_TEXT, fontsize=10, loc="left")
        ax.tick_params(colors=CARD_TEXT, labelsize=9)
        ax.set_xlim(0, max([*counts, 1]) * 1.25)
        for spine in ax.spines.values():
            spine.set_color(GRID)
        ax.xaxis.grid(True, color=GRID, linewidth=0.5)
        ax.set_axisbelow(True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor=fig.get_facecolor())
    plt.close(fig)
    return buffer.getvalue()
