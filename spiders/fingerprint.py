"""Stable ids and content fingerprints: normalized URLs, SHA-256 hashes and 64-bit SimHash."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

_TRACKING = re.compile(r"^(utm_[a-z]+|spm|from|share_token|fbclid|gclid)$", re.I)
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalize_url(url: str) -> str:
    """Lowercase scheme and host, drop fragments, default ports and tracking parameters."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k)
        )
    )
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def doc_id_for(url: str) -> str:
    """A document's stable id: 16 hex digits of the SHA-256 of its normalized URL."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:16]


def content_hash(text: str) -> str:
    """SHA-256 of the text with white space folded, so layout changes do not count."""
    return hashlib.sha256(_SPACE.sub(" ", text).strip().encode("utf-8")).hexdigest()


def _shingles(text: str, k: int = 4) -> list[str]:
    s = _PUNCT.sub("", text.lower())
    return [s[i : i + k] for i in range(max(len(s) - k + 1, 1))]


def simhash(text: str) -> int:
    """64-bit SimHash over character 4-grams (works for Chinese and English alike); signed."""
    grams = _shingles(text)
    digests = b"".join(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest() for g in grams)
    bits = np.unpackbits(
        np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1, bitorder="little"
    )  # row i: the 64 bits of gram i, bit 0 first
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(grams)
    value = int(np.packbits(votes > 0, bitorder="little").view("<u8")[0])
    return value - (1 << 64) if value >= 1 << 63 else value  # fits Parquet int64


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
