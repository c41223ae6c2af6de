"""The source registry: sites are data (`sources.yaml`), validated on load.

Adding a source means adding an entry to the YAML file; no Python changes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

REGISTRY = Path(__file__).with_name("sources.yaml")
KINDS = {"media", "foundation", "research"}
LANGS = {"zh-Hans", "zh-Hant", "en", "mixed"}
_LIST_KEYS = (
    "domains",
    "feeds",
    "sitemaps",
    "listings",
    "report_listings",
    "follow",
    "articles",
    "reports",
)


class RegistryError(ValueError):
    """The registry file or one of its entries is invalid; the message names the entry."""


@dataclass(frozen=True)
class Source:
    id: str
    outlet: str
    kind: str
    lang: str
    domains: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sitemaps_from_robots: bool = False
    listings: tuple[str, ...] = ()
    report_listings: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    max_pages: int = 500
    max_pdf_bytes: int = 20 * 1024 * 1024
    sample: bool = False
    content: str = ""  # CSS selector of the article's element, for sites where that is simpler
    notes: str = ""
    patterns: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict, compare=False)

    def matches(self, key: str, url: str) -> bool:
        """Whether a URL matches one of this source's `follow`, `articles` or `reports` patterns."""
        return any(p.search(url) for p in self.patterns.get(key, ()))

    def allows(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)


def _entry(raw: Any, index: int) -> Source:
    where = f"source #{index + 1}"
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: expected a mapping, got {type(raw).__name__}")
    sid = raw.get("id")
    if not isinstance(sid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sid):
        raise RegistryError(f"{where}: 'id' must be lowercase letters, digits and dashes")
    where = f"source '{sid}'"
    unknown = set(raw) - {f for f in Source.__dataclass_fields__ if f != "patterns"}
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {sorted(unknown)}")
    for key in ("outlet", "kind", "lang", "domains"):
        if not raw.get(key):
            raise RegistryError(f"{where}: missing '{key}'")
    if raw["kind"] not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {sorted(KINDS)}")
    if raw["lang"] not in LANGS:
        raise RegistryError(f"{where}: lang must be one of {sorted(LANGS)}")
    values: dict[str, Any] = dict(raw)
    for key in _LIST_KEYS:
        items = raw.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise RegistryError(f"{where}: '{key}' must be a list of strings")
        values[key] = tuple(items)
    for key in ("feeds", "sitemaps", "listings", "report_listings"):
        for url in values[key]:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise RegistryError(f"{where}: '{key}' has a bad URL {url!r}")
    if not (
        values["feeds"]
        or values["sitemaps"]
        or values["listings"]
        or values["report_listings"]
        or raw.get("sitemaps_from_robots")
    ):
        raise RegistryError(f"{where}: no discovery (feeds, sitemaps, listings or report_listings)")
    patterns: dict[str, tuple[re.Pattern[str], ...]] = {}
    for key in ("follow", "articles", "reports"):
        try:
            patterns[key] = tuple(re.compile(p) for p in values[key])
        except re.error as exc:
            raise RegistryError(f"{where}: bad regular expression in '{key}': {exc}") from exc
    content = raw.get("content", "")
    if not isinstance(content, str) or (content and not content_selector_ok(content)):
        raise RegistryError(
            f"{where}: 'content' must be a CSS selector (div.TRS_Editor), not {content!r}"
        )
    for key in ("max_pages", "max_pdf_bytes"):
        if key in raw and (not isinstance(raw[key], int) or raw[key] <= 0):
            raise RegistryError(f"{where}: '{key}' must be a positive integer")
    return Source(**values, patterns=patterns)


def content_selector_ok(selector: str) -> bool:
    """Whether `selector` is a CSS selector (what `content` takes)."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError:
        return False
    return True


def registry_path() -> Path:
    """The registry in use: QUN_REGISTRY (a user's own file, set by `--registry FILE`), else
    the bundled spiders/sources.yaml."""
    own = os.environ.get("QUN_REGISTRY", "").strip()
    return Path(own) if own else REGISTRY


def load_sources(path: Path | str | None = None) -> dict[str, Source]:
    """Load and validate the registry (default: registry_path()); raise RegistryError naming
    the bad entry."""
    path = path or registry_path()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"cannot read source registry {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise RegistryError(f"{path}: expected a top-level 'sources:' list")
    sources: dict[str, Source] = {}
    for i, raw in enumerate(data["sources"]):
        src = _entry(raw, i)
        if src.id in sources:
            raise RegistryError(f"source '{src.id}': duplicate id")
        sources[src.id] = src
    return sources


def select(sources: dict[str, Source], spec: str) -> list[Source]:
    """Resolve a comma-separated list of ids; `sample` and `real` name the two groups."""
    chosen: list[Source] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part in ("sample", "real", "all"):
            chosen += [
                s for s in sources.values() if part == "all" or s.sample == (part == "sample")
            ]
        elif part in sources:
            chosen.append(sources[part])
        else:
            raise RegistryError(f"unknown source '{part}' (known: {', '.join(sorted(sources))})")
    if not chosen:
        raise RegistryError("no source selected")
    return list(dict.fromkeys(chosen))
