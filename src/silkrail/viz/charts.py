"""PNG charts comparing route options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silkrail.routing.results import Route

OPTION_COLOURS = {"rail": "#c0392b", "sea": "#138d90", "rail+sea": "#8e44ad"}


def write_comparison_chart(options: list[Route], path: Path, *, title: str) -> Path:
    """Three bar panels: transit days, cost in USD and tonnes of CO2, one bar per option."""
    from silkrail.extras import needs_extra

    with needs_extra("the comparison chart"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

    labels = [r.label or f"option {i + 1}" for i, r in enumerate(options)]
    colours = [OPTION_COLOURS.get(lbl, "#555") for lbl in labels]
    panels = [
        ("transit time (days)", [r.duration_h / 24 for r in options], "{:.1f}"),
        (f"cost (USD, {options[0].teu:g} TEU)", [r.cost_usd for r in options], "${:,.0f}"),
        (f"CO2 (t, {options[0].teu:g} TEU)", [r.co2_kg / 1000 for r in options], "{:.2f}"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    for ax, (name, values, fmt) in zip(axes, panels, strict=True):
        bars = ax.bar(labels, values, color=colours)
        ax.set_title(name)
        ax.spines[["top", "right"]].set_visible(False)
        for bar, val in zip(bars, values, strict=True):
            ax.annotate(
                fmt.format(val),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax.set_ylim(0, max(values) * 1.18 if max(values) > 0 else 1)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
