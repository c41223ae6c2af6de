"""The report's charts, drawn with matplotlib's Agg renderer (no display needed).

Each chart is written as a PNG file and as inline SVG whose glyphs are paths, so Chinese labels
render in any browser whether or not it has a Chinese font. Matplotlib needs a CJK font to draw
them: `cjk_font()` finds one (Noto Sans CJK, Source Han Sans, WenQuanYi, ...) if installed.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#6a4c93", "#52a675"]
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
_CJK_FILE = re.compile(r"cjk|wqy|wenquanyi|sourcehan|droidsansfallback|uming|ukai", re.I)


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""

    def pick() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = pick()
    if found:
        return found
    # installed after matplotlib cached its font list: add the files themselves
    for path in font_manager.findSystemFonts():
        if _CJK_FILE.search(Path(path).name):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    return pick()


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    png: bytes
    svg: str


def _inline_svg(svg: str, prefix: str) -> str:
    """Matplotlib's SVG without its XML prologue, ids prefixed so several can share a page."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'id="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)


def render(
    name: str, title: str, draw: Callable[[Figure], None], size: tuple[float, float] = (8, 3.6)
) -> Chart:
    """Draw a figure and keep it as PNG bytes and as inline SVG."""
    font = cjk_font()
    rc: Any = {  # matplotlib types its keys as literals
        "font.family": "sans-serif",
        "font.sans-serif": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "svg.fonttype": "path",
        "svg.hashsalt": name,  # stable ids: the same data gives the same file
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "font.size": 9,
    }
    fonts_log = logging.getLogger("matplotlib.font_manager")
    level = fonts_log.level
    fonts_log.setLevel(logging.ERROR)  # a font with only a medium weight is fine
    try:
        with rc_context(rc), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            return _draw(name, title, draw, size)
    finally:
        fonts_log.setLevel(level)


def _draw(
    name: str, title: str, draw: Callable[[Figure], None], size: tuple[float, float]
) -> Chart:
    fig = Figure(figsize=size, layout="constrained")
    draw(fig)
    fig.suptitle(title, fontsize=11)
    png, svg = io.BytesIO(), io.StringIO()
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return Chart(name, title, png.getvalue(), _inline_svg(svg.getvalue(), f"chart-{name}"))


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _years_axis(ax) -> None:
    ax.xaxis.get_major_locator().set_params(integer=True)


def lines(series: dict[str, pd.Series], percent: bool, ylabel: str) -> Callable[[Figure], None]:
    """A line per series (index: year)."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, (label, s) in enumerate(series.items()):
            s = s.sort_index()
            ax.plot(
                [int(x) for x in s.index],
                s.to_numpy(dtype=float),
                marker="o",
                markersize=3,
                color=PALETTE[i % len(PALETTE)],
                label=label,
            )
        if percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_ylabel(ylabel)
        _years_axis(ax)
        if series:
            ax.legend(fontsize=8, loc="upper left", frameon=False)

    return draw


def partnerships(years: pd.DataFrame) -> Callable[[Figure], None]:
    """Horizontal and vertical partnerships per year, stacked."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        x = years["period"].astype(int).to_numpy()
        h, v = years["horizontal"].to_numpy(), years["vertical"].to_numpy()
        ax.bar(x, h, color=PALETTE[0], label="horizontal 横向（同部门）")
        ax.bar(x, v, bottom=h, color=PALETTE[1], label="vertical 纵向（跨部门）")
        ax.set_ylabel("partnerships 合作数")
        _years_axis(ax)
        ax.legend(fontsize=8, loc="upper left", frameon=False)

    return draw


def funders(top: pd.DataFrame, index: pd.DataFrame) -> Callable[[Figure], None]:
    """Top funders by amount (left) and the grant-making index by year (right)."""

    def draw(fig: Figure) -> None:
        left, right = fig.subplots(1, 2, width_ratios=[1.2, 1])
        t = top.head(10).iloc[::-1]
        left.barh(
            [_short(n) for n in t["funder"].astype(str)],
            t["amount"].to_numpy() / 1e4,
            color=PALETTE[3],
        )
        left.xaxis.set_major_locator(MaxNLocator(4))
        left.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        left.set_xlabel("CNY 10,000 万元")
        left.set_title("top funders 主要资助方")
        if not index.empty:
            right.plot(index["year"], index["funder_role_share"], marker="o", color=PALETTE[4])
        right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        right.set_title("grant-making index 资助型指数")
        right.set_ylabel("share as funder 资助方角色占比")
        _years_axis(right)

    return draw


def backbone(top: pd.DataFrame) -> Callable[[Figure], None]:
    """Backbone candidates by score."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        t = top.head(12).iloc[::-1]
        ax.barh(
            [_short(n) for n in t["org"].astype(str)],
            t["score"].to_numpy(dtype=float),
            color=PALETTE[5],
        )
        ax.set_xlabel("backbone score 骨干组织得分")

    return draw
