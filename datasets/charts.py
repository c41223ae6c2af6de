"""The report's charts, drawn with matplotlib's Agg renderer (no display needed).

Each chart is written as a PNG file and as inline SVG whose glyphs are paths, so Chinese labels
render in any browser whether or not it has a Chinese font. Matplotlib draws them in the Chinese
font shipped with qun (`fonts/`, a subset of Noto Sans SC under the SIL Open Font License), with
an installed Chinese font (Noto Sans CJK, Source Han Sans, WenQuanYi, ...) for any character the
subset lacks; a character that no font has is named in a warning.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from qun.datasets.intervals import share_text, wilson

log = logging.getLogger(__name__)

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#6a4c93", "#52a675"]
SHIPPED_FONT = Path(__file__).with_name("fonts") / "NotoSansSC-Regular-subset.otf"
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
_MISSING_GLYPH = re.compile(r"Glyph (\d+) \(.*?\) missing from font")


@functools.cache
def cjk_font() -> str | None:
    """The family name of the Chinese font the charts are drawn in: the one shipped with qun,
    else an installed one; None (and a warning) when there is neither."""
    try:
        font_manager.fontManager.addfont(SHIPPED_FONT)
        return font_manager.FontProperties(fname=SHIPPED_FONT).get_name()
    except (OSError, RuntimeError, ValueError):
        found = installed_cjk_font()
        log.warning(
            "the Chinese chart font %s cannot be read; charts use %s",
            SHIPPED_FONT,
            found or "no Chinese font: Chinese labels will show as empty boxes",
        )
        return found


@functools.cache
def installed_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""

    def pick() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) != SHIPPED_FONT}
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


def cjk_font_file() -> Path | None:
    """The file matplotlib draws `cjk_font()` from, or None."""
    family = cjk_font()
    if family is None:
        return None
    prop = font_manager.FontProperties(family=family)
    try:
        return Path(font_manager.fontManager.findfont(prop, fallback_to_default=False))
    except ValueError:
        return None


def font_families() -> list[str]:
    """The charts' font list, in order: matplotlib takes each character from the first font
    that has it (the shipped Chinese font, an installed Chinese font, DejaVu Sans)."""
    families = [cjk_font(), installed_cjk_font(), "DejaVu Sans"]
    return list(dict.fromkeys(f for f in families if f))


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
    """Draw a figure and keep it as PNG bytes and as inline SVG; warn (one line) when some
    characters have a glyph in none of the chart fonts and show as boxes."""
    rc: Any = {  # matplotlib types its keys as literals
        "font.family": "sans-serif",
        "font.sans-serif": font_families(),
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
        with rc_context(rc), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            chart = _draw(name, title, draw, size)
    finally:
        fonts_log.setLevel(level)
    missing: set[str] = set()
    for w in caught:
        found = _MISSING_GLYPH.search(str(w.message))
        if found:
            missing.add(chr(int(found.group(1))))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        log.warning(
            "chart %s: no chart font has a glyph for %s, drawn as empty boxes (fonts: %s)",
            name,
            " ".join(sorted(missing)),
            ", ".join(font_families()),
        )
    return chart


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


@dataclass(frozen=True)
class Line:
    """One line of a chart (index: year), with what is drawn around it: a 95% band (low, high),
    a fitted curve (dashed) and a note at its last point."""

    label: str
    values: pd.Series
    low: pd.Series | None = None
    high: pd.Series | None = None
    fit: pd.Series | None = None
    note: str = ""


def lines(series: list[Line], percent: bool, ylabel: str) -> Callable[[Figure], None]:
    """A line per series, with its band, fit and note where it has them."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, line in enumerate(series):
            color = PALETTE[i % len(PALETTE)]
            s = line.values.sort_index()
            x = [int(v) for v in s.index]
            ax.plot(x, s.to_numpy(dtype=float), marker="o", markersize=3, color=color)
            ax.plot([], [], marker="o", markersize=3, color=color, label=line.label)
            _band(ax, line, s, x, color, alpha=0.12)
            if line.fit is not None and len(line.fit):
                f = line.fit.sort_index()
                ax.plot(
                    [int(v) for v in f.index],
                    f.to_numpy(dtype=float),
                    linestyle="--",
                    linewidth=1,
                    color=color,
                )
            if line.note and len(s):
                ax.annotate(
                    line.note,
                    (x[-1], float(s.iloc[-1])),
                    xytext=(4, 0),
                    textcoords="offset points",
                    fontsize=7,
                    color=color,
                    va="center",
                )
        if percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_ylabel(ylabel)
        if any(line.note for line in series):
            ax.margins(x=0.12)
        _years_axis(ax)
        if series:
            ax.legend(fontsize=8, loc="upper left", frameon=False)

    return draw


def _band(ax, line: Line, s: pd.Series, x: list[int], color: str, alpha: float) -> None:
    """The line's 95% band, when it has one."""
    if line.low is not None and line.high is not None:
        ax.fill_between(
            x,
            line.low.reindex(s.index).to_numpy(dtype=float),
            line.high.reindex(s.index).to_numpy(dtype=float),
            color=color,
            alpha=alpha,
            linewidth=0,
        )


def share_panels(series: list[Line], ylabel: str) -> Callable[[Figure], None]:
    """One small panel per share series (so bands do not hide each other): the share by year,
    its 95% band, and the last year's share with its counts."""

    def draw(fig: Figure) -> None:
        cols = min(3, max(1, len(series)))
        rows = max(1, math.ceil(len(series) / cols))
        axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
        for i, (ax, line) in enumerate(zip(axes, series, strict=False)):
            color = PALETTE[i % len(PALETTE)]
            s = line.values.sort_index()
            x = [int(v) for v in s.index]
            _band(ax, line, s, x, color, alpha=0.18)
            ax.plot(x, s.to_numpy(dtype=float), marker="o", markersize=2.5, color=color)
            if line.note and len(s):
                ax.annotate(
                    line.note,
                    (x[-1], float(s.iloc[-1])),
                    xytext=(-4, 6),
                    textcoords="offset points",
                    fontsize=7,
                    ha="right",
                    color=color,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                )
            ax.set_title(line.label, fontsize=9)
            ax.set_ylim(0, 1.02)
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
            _years_axis(ax)
        for ax in axes[len(series) :]:
            ax.set_visible(False)
        for ax in axes[::cols]:
            ax.set_ylabel(ylabel, fontsize=8)

    return draw


def share_series(label: str, k: pd.Series, n: pd.Series, note_last: bool = True) -> Line:
    """A share line of k of n per year with its 95% Wilson band and, at its last point, the
    share with its counts (`86% (6 of 7)`)."""
    k, n = k.sort_index(), n.reindex(k.index).sort_index()
    bounds = [wilson(int(a), int(b)) for a, b in zip(k, n, strict=True)]
    note = share_text(int(k.iloc[-1]), int(n.iloc[-1])) if note_last and len(k) else ""
    return Line(
        label,
        (k / n.where(n > 0)).astype(float),
        low=pd.Series([b[0] for b in bounds], index=k.index),
        high=pd.Series([b[1] for b in bounds], index=k.index),
        note=note,
    )


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
    """Top funders by amount (left) and the grant-making index by year (right): each year's
    share with its 95% Wilson interval as an error bar and its counts (funder-role mentions of
    all foundation mentions) beside it."""

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
        shown = index.dropna(subset=["funder_role_share"]) if not index.empty else index
        if not shown.empty:
            x = shown["year"].astype(int).to_numpy()
            k = shown["foundation_funder_mentions"].astype(int).to_numpy()
            n = shown["foundation_mentions"].astype(int).to_numpy()
            y = k / np.maximum(n, 1)
            bounds = np.array([wilson(int(a), int(b)) for a, b in zip(k, n, strict=True)])
            right.errorbar(
                x,
                y,
                yerr=[y - bounds[:, 0], bounds[:, 1] - y],
                marker="o",
                markersize=3,
                capsize=2,
                linewidth=1,
                color=PALETTE[4],
            )
            for xi, top_i, ki, ni in zip(x, bounds[:, 1], k, n, strict=True):
                right.annotate(
                    f"{ki}/{ni}",
                    (xi, top_i),
                    xytext=(0, 3),
                    textcoords="offset points",
                    fontsize=6,
                    ha="center",
                    va="bottom",
                    rotation=90,
                    color="#555",
                )
            right.annotate(
                share_text(int(k[-1]), int(n[-1])),
                (x[-1], y[-1]),
                xytext=(6, -10),
                textcoords="offset points",
                fontsize=7,
                color=PALETTE[4],
            )
            right.set_ylim(0, 1.15)
            right.margins(x=0.15)
        right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        right.set_title("grant-making index 资助型指数 (95% interval)")
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
