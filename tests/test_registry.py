from __future__ import annotations

from pathlib import Path

import pytest

from qun.spiders.registry import RegistryError, load_sources, select


def test_shipped_registry_loads_with_real_and_sample_sources():
    sources = load_sources()
    real = [s for s in sources.values() if not s.sample]
    sample = [s for s in sources.values() if s.sample]
    assert {"cdb-zh", "cdb-en", "gongyishibao", "narada", "cfforum", "bsr-china", "ssir"} <= {
        s.id for s in real
    }
    assert len(sample) == 5
    assert all(s.domains and (s.articles or s.reports) for s in sources.values())
    assert all(d.endswith(".example") for s in sample for d in s.domains)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- id: Bad_Id\n  outlet: x\n  kind: media\n  lang: en\n  domains: [a.org]\n", "source #1"),
        (
            "- id: nokind\n  outlet: x\n  lang: en\n  domains: [a.org]\n",
            "source 'nokind': missing 'kind'",
        ),
        (
            "- id: badre\n  outlet: x\n  kind: media\n  lang: en\n  domains: [a.org]\n"
            "  listings: ['http://a.org/']\n  articles: ['(']\n",
            "source 'badre': bad regular expression",
        ),
        (
            "- id: nodisc\n  outlet: x\n  kind: media\n  lang: en\n  domains: [a.org]\n",
            "source 'nodisc': no discovery",
        ),
        (
            "- id: typo\n  outlet: x\n  kind: media\n  lang: en\n  domains: [a.org]\n"
            "  listings: ['http://a.org/']\n  artciles: []\n",
            "unknown field",
        ),
    ],
)
def test_bad_entries_name_themselves(tmp_path: Path, entry: str, message: str):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + entry, "utf-8")
    with pytest.raises(RegistryError, match=message):
        load_sources(path)


def test_select_groups_and_unknown_names():
    sources = load_sources()
    assert {s.id for s in select(sources, "sample")} == {s.id for s in sources.values() if s.sample}
    with pytest.raises(RegistryError, match="unknown source 'nope'"):
        select(sources, "cdb-zh,nope")
