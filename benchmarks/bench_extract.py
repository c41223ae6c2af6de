"""Extraction speed (organizations, funding, partnerships, concepts) on Chinese and English text,
at 1 and 2 processes, next to bare spaCy tokenization of the same text measured in the same run;
and a rerun of `qun extract --documents` over an unchanged corpus as a fraction of the first run.
Medians over repeated runs."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import median, save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def corpus(lang: str, target_chars: int) -> list[str]:
    manifest = json.loads((ROOT / "spiders/sample_site/manifest.json").read_text("utf-8"))
    texts = [
        d["text"]
        for d in manifest["documents"]
        if (d["lang"] == "en") == (lang == "en") and d["text"]
    ]
    out, total = [], 0
    while total < target_chars:
        for t in texts:
            out.append(t)
            total += len(t)
    return out


def _extract_all(texts: list[str], statistical: tuple[str, ...] | None = None) -> int:
    """As the pipeline runs it (the default recognizers: spaCy's English model, the Chinese
    CRF with the learned decision), or with these recognizers only."""
    from qun.models.extract import document_rows

    for t in texts:
        if statistical is None:
            document_rows(t)
        else:
            document_rows(t, statistical)
    return len(texts)


def _extract_without_zh_crf(texts: list[str]) -> int:
    return _extract_all(texts, ("en",))


def _organizations_only(texts: list[str]) -> int:
    """Organization recognition, resolution and typing alone (as the pipeline runs it)."""
    from qun.models.orgs import find_orgs

    for t in texts:
        find_orgs(t)
    return len(texts)


def _tokenize_all(args: tuple[str, list[str]]) -> int:
    import spacy

    nlp = spacy.blank(args[0])
    for _ in nlp.pipe(args[1], batch_size=64):
        pass
    return len(args[1])


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def parallel(texts: list[str], workers: int, fn=_extract_all) -> float:
    chunks = [texts[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(fn, [c[:20] for c in chunks]))  # warm each worker's imports and models
        start = time.perf_counter()
        list(pool.map(fn, chunks))
        return time.perf_counter() - start


def rerun_fraction(repeat: int) -> dict[str, float]:
    from qun.flows.pipeline import extract_task

    with tempfile.TemporaryDirectory() as tmp:
        qun = Path(sys.executable).with_name("qun")
        subprocess.run(
            [str(qun), "crawl", "--demo", "--data-dir", tmp, "-q"], check=True, capture_output=True
        )
        firsts, reruns = [], []
        for _ in range(repeat):
            for p in Path(tmp).glob("extraction_log"):
                import shutil

                shutil.rmtree(p)
            firsts.append(timed(extract_task.fn, Path(tmp)))
            reruns.append(timed(extract_task.fn, Path(tmp)))
    return {
        "first_s": median(firsts),
        "rerun_s": median(reruns),
        "rerun_fraction": round(median(reruns) / median(firsts), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chars", type=int, default=400_000)
    args = parser.parse_args()
    _extract_all(corpus("zh", 2000))  # load gazetteer, lexicon, dictionaries once
    _extract_all(corpus("en", 2000))  # and spaCy's English model
    result: dict[str, object] = {"repeat": args.repeat}
    # zh and en: the pipeline's extraction (gazetteer, rules, the Chinese CRF and the learned
    # decision over candidates, learned relation component; for English spaCy's model).
    # zh_without_crf: Chinese as before the CRF (`--statistical en`: gazetteer and rules).
    setups = (
        ("zh", "zh", _extract_all, args.chars),
        ("en", "en", _extract_all, args.chars),
        ("zh_without_crf", "zh", _extract_without_zh_crf, args.chars),
        ("zh_organizations", "zh", _organizations_only, args.chars),
        ("en_organizations", "en", _organizations_only, args.chars),
    )
    for name, blank, fn, target in setups:
        texts = corpus(blank, target)
        chars = sum(map(len, texts))
        one = [timed(fn, texts) for _ in range(args.repeat)]
        two = [parallel(texts, 2, fn) for _ in range(args.repeat)]
        ref = [timed(_tokenize_all, (blank, texts)) for _ in range(args.repeat)]
        result[name] = {
            "documents": len(texts),
            "chars": chars,
            "chars_per_s_1proc": round(chars / median(one)),
            "chars_per_s_2proc": round(chars / median(two)),
            "docs_per_s_1proc": round(len(texts) / median(one), 1),
            "docs_per_s_2proc": round(len(texts) / median(two), 1),
            "reference_spacy_blank_tokenize_chars_per_s": round(chars / median(ref)),
        }
    result["rerun_unchanged"] = rerun_fraction(args.repeat)
    path = save("extract", result)
    print(f"{path}: {json.dumps(result, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
