"""The `qun` command: run the pipeline, or one step of it, from the shell.

User errors print one line (`qun: error: ...`) and exit 1; `--verbose` shows tracebacks.
"""

from __future__ import annotations

import argparse
import codecs
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from qun.datasets import remote

EXIT_USER_ERROR = 1


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


def _prefect_env(verbose: bool) -> None:
    """Prefect settings that must be in place before Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    if not verbose:
        # Prefect's console log (a failed task's traceback, the temporary server's chatter)
        # only with --verbose: a failure ends in qun's one line. Runs still log to the API.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    # Dask's own chatter (cluster start and stop) only with --verbose; workers inherit it
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "info" if verbose else "error")


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)


# ---- run / crawl ---------------------------------------------------------------------------------
def _with_sample_server(args: argparse.Namespace, body: Callable[[str | None, str], Any]) -> Any:
    """Call body(proxy, sources), serving the bundled sample site first when --demo is given."""
    from qun.spiders.registry import load_sources, select

    sources = "sample" if args.demo and args.sources == "real" else args.sources
    chosen = select(load_sources(), sources)  # a bad name is a user error, before any work
    _check_sample_use(chosen, demo=args.demo)
    if not args.demo:
        _check_addresses(chosen, args.allow_private)
    if not args.demo:
        return body(None, sources)
    from qun.spiders.devserver import SiteServer

    with SiteServer() as server:
        _say(args, f"serving the sample site on {server.url} (synthetic content)")
        return body(server.url, sources)


def _check_sample_use(chosen: list[Any], demo: bool, command: str = "") -> None:
    """Sample sources live only on the bundled sample site (served by --demo), real ones only
    on the web: refuse a mix that would fail after the crawl has started."""
    real = [s.id for s in chosen if not s.sample]
    sample = [s.id for s in chosen if s.sample]
    if command == "serve" and sample:
        raise UserError(
            f"qun serve schedules crawls of real sites; {', '.join(sample)} "
            "are sample sources, served only by `qun run --demo`"
        )
    if demo and real:
        raise UserError(
            f"--demo crawls the bundled sample site, which does not hold {', '.join(real)} "
            "(leave out --demo to crawl real sites)"
        )
    if not demo and sample:
        raise UserError(
            f"{', '.join(sample)} are sample sources: they exist only on the bundled sample "
            "site, crawled with --demo"
        )
    if real and not os.environ.get("QUN_CONTACT", "").strip():
        logging.getLogger("qun").warning(
            "QUN_CONTACT is not set, so the sites see the project's address as the contact in "
            'the User-Agent: export QUN_CONTACT="https://your.org/contact" (or an e-mail)'
        )


def _check_addresses(chosen: list[Any], allowed: bool) -> None:
    """A source on a private or loopback address (an intranet, a local mirror) is crawled only
    with --allow-private: a registry entry must not point the crawler at the user's network by
    mistake."""
    from qun.spiders.resolver import non_public

    for source in chosen:
        for domain in source.domains:
            address = non_public(domain)
            if address is not None and not allowed:
                raise UserError(
                    f"source {source.id}: {domain} is a non-public address ({address}); "
                    "crawling it needs --allow-private (for intranets and local mirrors)"
                )


def _require_datasets(args: argparse.Namespace) -> None:
    """Commands that read datasets refuse a folder that holds none (only run and crawl make
    one)."""
    from qun.datasets.catalog import require_datasets

    require_datasets(args.data_dir)


def cmd_run(args: argparse.Namespace) -> int:
    from qun.flows.pipeline import pipeline_flow

    started = time.monotonic()
    summary = _with_sample_server(
        args,
        lambda proxy, sources: pipeline_flow(
            remote.data_dir(args.data_dir),
            sources,
            proxy,
            fast=args.demo or args.fast,
            dask=args.dask,
            allow_private=args.allow_private,
        ),
    )
    from qun.flows import progress

    progress.close()  # the bar ends before the summary is printed
    if args.json:
        print(
            json.dumps(
                {
                    "data_dir": str(summary.data_dir),
                    "rows": summary.rows,
                    "date_range": summary.date_range,
                    "crawl": summary.crawl,
                    "report": str(summary.report),
                },
                ensure_ascii=False,
            )
        )
        return 0
    if not args.quiet:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"qun run finished in {time.monotonic() - started:.0f} s")
        table.add_column("dataset")
        table.add_column("rows", justify="right")
        table.add_column("path")
        for name, rows in summary.rows.items():
            table.add_row(name, str(rows), remote.location(args.data_dir, name))
        console = Console(soft_wrap=True)
        console.print(table)
        console.print(f"documents dated {summary.date_range[0]} to {summary.date_range[1]}")
        for spider, c in summary.crawl.items():
            console.print(
                f"spider {spider}: {c['requests']} requests, "
                f"{c['documents']} documents, {c['errors']} errors recorded"
            )
        console.print(f"report: {summary.report}")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from qun.flows.pipeline import SPIDERS, crawl_flow

    spiders = SPIDERS if args.spider == "all" else (args.spider,)
    result = _with_sample_server(
        args,
        lambda proxy, sources: crawl_flow(
            remote.data_dir(args.data_dir),
            sources,
            proxy,
            args.demo or args.fast,
            spiders,
            allow_private=args.allow_private,
        ),
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


# ---- extract ---------------------------------------------------------------------------------
# The values of `lang` an input line may give (those qun writes); without one it is detected.
LANGS = ("zh-Hans", "zh-Hant", "en", "und")


def _lines(handle: BinaryIO) -> Iterator[str | dict[str, Any]]:
    """Each input line, decoded, or the error record of a line that is not UTF-8: one item per
    line, empty lines included (a UTF-8 byte order mark on the first line is dropped)."""
    for number, raw in enumerate(handle, 1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield {"id": None, "error": f"line {number} is not UTF-8 (byte {exc.start + 1})"}


def extract_line(line: str, options: Any = None) -> dict[str, Any]:
    """One output record of the `qun extract` contract for one input line; a line that cannot
    be read or extracted gets a record with an `error` instead."""
    from qun.models.extract import extract

    if not line.strip():
        return {"id": None, "error": "empty line"}
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"not JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(record, dict):
        return {"id": None, "error": "not a JSON object"}
    rid = record.get("id")
    # the output's id is a string: any other JSON value comes back as its JSON text (7 -> "7",
    # true -> "true", [1, 2] -> "[1,2]"), never as Python's rendering of it
    if not (isinstance(rid, str) or rid is None):
        rid = json.dumps(rid, ensure_ascii=False, separators=(",", ":"))
    text = record.get("text")
    if not isinstance(text, str):
        return {"id": rid, "error": "missing 'text' (a string)"}
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return {"id": rid, "error": f"'text' holds an unpaired surrogate at {exc.start}"}
    lang = record.get("lang")
    if lang is not None and lang not in LANGS:
        return {"id": rid, "error": f"unknown 'lang' {lang!r} (one of {', '.join(LANGS)})"}
    try:
        return {"id": rid, **extract(text, lang, options)}
    except Exception as exc:  # one text that breaks an extractor must not end the stream
        return {"id": rid, "error": f"extraction failed: {type(exc).__name__}: {exc}"}


def _statistical(value: str) -> tuple[str, ...]:
    chosen = tuple(sorted({v.strip() for v in value.split(",") if v.strip()}))
    unknown = set(chosen) - {"en", "zh"}
    if unknown:
        raise UserError(f"--statistical takes en and/or zh, not {', '.join(sorted(unknown))}")
    if "zh" in chosen:
        from qun.models.ner import load

        if load() is None:
            raise UserError("no trained Chinese recognizer in models/data/ner_zh (qun train ner)")
    return chosen


def cmd_extract(args: argparse.Namespace) -> int:
    statistical = _statistical(args.statistical)
    if args.documents:
        from qun.flows.pipeline import extract_flow

        _require_datasets(args)
        started = time.monotonic()
        counts = extract_flow(remote.data_dir(args.data_dir), args.dask, list(statistical))
        print(json.dumps(counts))
        _say(
            args,
            f"extracted {counts['extracted']} documents ({counts['unchanged']} unchanged"
            + (
                f", {counts['failed']} failed: see extraction_log.error"
                if counts.get("failed")
                else ""
            )
            + f") in {time.monotonic() - started:.0f} s",
        )
        return 0
    if args.dask:
        raise UserError("--dask applies to --documents only")
    try:
        src = open(args.jsonl, "rb") if args.jsonl != "-" else sys.stdin.buffer
    except OSError as exc:
        raise UserError(f"cannot read {args.jsonl}: {exc.strerror}") from exc
    try:
        dst = open(args.out, "w", encoding="utf-8") if args.out != "-" else sys.stdout
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from exc
    from qun.models.extract import ExtractOptions

    options = ExtractOptions(statistical=statistical)
    n = errors = 0
    with src, dst:
        for line in _lines(src):
            out = line if isinstance(line, dict) else extract_line(line, options)
            errors += "error" in out
            n += 1
            dst.write(json.dumps(out, ensure_ascii=False) + "\n")
    _say(args, f"{n} lines, {errors} with errors")
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    _require_datasets(args)
    from qun.flows.pipeline import reextract_flow

    print(json.dumps(reextract_flow(remote.data_dir(args.data_dir))))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from qun.flows.pipeline import import_flow

    warcs = [Path(w) for w in args.warc]
    for warc in warcs:
        if not warc.is_file():
            raise UserError(f"cannot read {warc}: no such file")
    if args.source and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", args.source):
        raise UserError(f"--source {args.source!r}: use lowercase letters, digits, '.', '-', '_'")
    try:
        result = import_flow(remote.data_dir(args.data_dir), warcs, args.source, args.outlet)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps(result, ensure_ascii=False))
    warc = result["warc"]
    _say(
        args,
        f"{warc.get('records', 0)} records: {warc.get('documents', 0)} documents, "
        f"{warc.get('errors', 0)} errors recorded in crawl_errors, "
        f"{warc.get('records', 0) - warc.get('pages', 0)} records skipped (see the counts)",
    )
    return 0


# ---- trends / report / eval / sources ------------------------------------------------------------
def _skip_damaged(args: argparse.Namespace) -> None:
    """--skip-damaged: readers leave damaged files out (named on stderr) instead of stopping."""
    if args.skip_damaged:
        from qun.datasets import store

        os.environ[store.SKIP_DAMAGED_ENV] = "1"


def _or_skip(run: Callable[[], Any]) -> Any:
    """Run a command that takes --skip-damaged; a damaged file's error says it can."""
    from qun.datasets.store import DamagedFile

    try:
        return run()
    except DamagedFile as exc:
        raise UserError(f"{exc} (or pass --skip-damaged to compute from the rest)") from exc


def _name_skipped() -> None:
    from qun.datasets import store

    for path in sorted(store.skipped):
        print(f"qun: warning: left out the damaged file {path}", file=sys.stderr)


def cmd_trends(args: argparse.Namespace) -> int:
    _require_datasets(args)
    _skip_damaged(args)
    from qun.flows.pipeline import trends_flow

    print(json.dumps(_or_skip(lambda: trends_flow(remote.data_dir(args.data_dir)))))
    _name_skipped()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    _require_datasets(args)
    _skip_damaged(args)
    from qun.flows.pipeline import report_flow

    out = Path(args.out) if args.out else None
    print(_or_skip(lambda: report_flow(remote.data_dir(args.data_dir), out)))
    _name_skipped()
    return 0


def _print_scores(title: str, scores: dict[str, dict[str, Any]]) -> None:
    """A table of scores; a task's `f1_ci` (a bootstrap interval), where given, as a column."""
    print(title)
    ci = any("f1_ci" in s for s in scores.values())
    print(
        f"{'':<15}{'P':>8}{'R':>8}{'F1':>8}{'tp':>7}{'fp':>7}{'fn':>7}"
        + (f"{'F1 95% interval':>18}" if ci else "")
    )
    for name, s in scores.items():
        interval = f"{s['f1_ci'][0]:.3f}–{s['f1_ci'][1]:.3f}" if "f1_ci" in s else ""
        print(
            f"{name:<15}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
            f"{s['tp']:>7}{s['fp']:>7}{s['fn']:>7}" + (f"{interval:>18}" if ci else "")
        )


def cmd_eval_ner(args: argparse.Namespace) -> int:
    from qun.models.corpora import load
    from qun.models.evaluate import (
        crf_predictor,
        evaluate_ner,
        pipeline_predictor,
        rules_predictor,
    )
    from qun.models.orgs import STATISTICAL_DEFAULT

    try:
        examples = load(args.dataset)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"cannot load {args.dataset}: {exc}") from exc
    from qun.models.evaluate import model_predictor
    from qun.models.ner import MODEL_DIR, load

    # `default`: what `qun extract` finds as shipped (gazetteer, rules, default recognizers);
    # `crf`: the CRF recognizer alone; `model`: the spaCy recognizer (`qun train ner`)
    predictors = {
        "rules": rules_predictor,
        "default": pipeline_predictor(STATISTICAL_DEFAULT),
        "crf": crf_predictor,
    }
    nlp = load(Path(args.model)) if args.model else load(MODEL_DIR)
    if args.model and nlp is None:
        raise UserError(f"no trained model in {args.model}")
    if nlp is not None:
        predictors["model"] = model_predictor(nlp, with_rules=False)
        predictors["model+rules"] = model_predictor(nlp, with_rules=True)
    results = {
        name: {k: v.as_dict() for k, v in evaluate_ner(examples, fn).items()}
        for name, fn in predictors.items()
    }
    if args.json:
        print(json.dumps(results))
        return 0
    for setup, scores in results.items():
        _print_scores(f"{args.dataset} ({len(examples)} sentences), {setup}:", scores)
    return 0


def cmd_eval_relations(args: argparse.Namespace) -> int:
    from qun.models.evaluate import (
        REAL_SPLITS,
        RELATION_TASKS,
        evaluate_relations,
        f1_difference,
        f1_interval,
        gazetteer_groups,
        relation_passages,
        write_errors,
    )

    split = "all" if args.dataset == "cluener-dev" else args.dataset
    sets: dict[str, list] = {}
    if split in ("dev", "test", "all"):
        for name in ["dev", "test"] if split == "all" else [split]:
            sets[name] = relation_passages(name)
    elif split in (*REAL_SPLITS, "real", "waiting-heldout"):
        for name in REAL_SPLITS if split == "real" else [split]:
            try:
                sets[name] = relation_passages(name)
            except ValueError as exc:
                raise UserError(str(exc)) from None
            for group, members in gazetteer_groups(sets[name]).items():
                sets[f"{name}, {group}"] = members
    else:
        raise UserError(
            "for relations, --dataset is dev, test, all (passages written for qun), "
            "real-train, real-heldout or real (passages from real pages, split by outlet), "
            "or waiting-heldout (waiting passages of held-out outlets)"
        )
    if args.errors and split not in ("dev", "test", "all", "real-train"):
        raise UserError(
            "--errors is for dev, test, all or real-train: the held-out passages are for "
            "scores only (reading their errors would tune the extractors to them)"
        )
    from qun.models.relation_model import load_model

    model = load_model()
    if model is None:
        raise UserError("the learned relation component is not installed (qun train relations)")
    setups = {"rules": None, "rules+model": model}
    results: dict[str, tuple[int, dict[str, Any]]] = {}
    errors: list[dict[str, Any]] = []
    for name, passages in sets.items():
        counts: dict[str, list] = {}
        for setup, component in setups.items():
            # each error once: from the split itself, not again from its gazetteer groups
            keep: list[dict[str, Any]] | None = None
            if args.errors and setup == "rules+model" and ", " not in name:
                keep = []
            result = evaluate_relations(passages, model=component, errors=keep)
            errors += [{"split": name, **e} for e in keep or []]
            rows = result["per_passage"]
            counts[setup] = rows
            scores: dict[str, Any] = {}
            for task in RELATION_TASKS:
                scores[task] = result[task].as_dict()
                lo, hi = f1_interval([r[task] for r in rows])
                scores[task]["f1_ci"] = [round(lo, 4), round(hi, 4)]
            scores["direction_accuracy"] = round(result["direction_accuracy"], 4)
            results[f"{name}/{setup}"] = (len(passages), scores)
        gain = {
            task: [
                round(v, 4)
                for v in f1_difference(
                    [r[task] for r in counts["rules"]], [r[task] for r in counts["rules+model"]]
                )
            ]
            for task in ("funding", "partnerships")
        }
        results[f"{name}/rules+model"][1]["f1_gain_over_rules"] = gain
    if args.errors:
        kinds = write_errors(Path(args.errors), errors)
        print(f"{len(errors)} errors written to {args.errors}", file=sys.stderr)
        for what, n in kinds:
            print(f"  {n:5d}  {what}", file=sys.stderr)
    if args.json:
        print(json.dumps({k: v for k, (_, v) in results.items()}))
        return 0
    for key, (n, scores) in results.items():
        name, setup = key.split("/")
        direction = scores.pop("direction_accuracy")
        gain = scores.pop("f1_gain_over_rules", None)
        _print_scores(f"relations, {name} split ({n} passages), {setup}:", scores)
        print(f"direction right on {direction:.1%} of matched partnerships")
        if gain:
            parts = [f"{t} {d:+.3f} ({lo:+.3f} to {hi:+.3f})" for t, (d, lo, hi) in gain.items()]
            print("F1 gain of the learned component (95% interval):", "; ".join(parts))
    return 0


def cmd_eval_pages(args: argparse.Namespace) -> int:
    """Main text and dates on real pages, qun beside trafilatura and readability-lxml."""
    from qun.models.corpora import shared_data
    from qun.spiders import pagecheck

    pages = Path(args.pages) if args.pages else shared_data() / "real_pages" / "gne"
    try:
        checks = (
            pagecheck.load_checks(Path(args.checks)) if args.checks else pagecheck.load_checks()
        )
        if not checks:
            raise UserError("no page checks found (spiders/data/page_checks/*.jsonl or --checks)")
        scores = pagecheck.evaluate(checks, pages)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(scores, ensure_ascii=False))
        return 0
    for split, by_name in scores.items():
        first = next(iter(by_name.values()))
        print(f"{split} ({first['pages']} pages, {first['dated_pages']} dated)")
        print(
            f"  {'extractor':<28}{'must found':>11}{'all must':>10}"
            f"{'no boilerplate':>16}{'dates':>8}"
        )
        for name, s in by_name.items():
            cells = [
                s["must_strings_found"],
                s["pages_with_all_must"],
                s["pages_without_boilerplate"],
                s["dates_right"],
            ]
            shown = ["-" if v is None else f"{v:.3f}" for v in cells]
            print(f"  {name:<28}{shown[0]:>11}{shown[1]:>10}{shown[2]:>16}{shown[3]:>8}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from qun.models.evaluate import evaluate_documents

    if args.task == "ner":
        return cmd_eval_ner(args)
    if args.task == "relations":
        return cmd_eval_relations(args)
    if args.task == "pages":
        return cmd_eval_pages(args)
    path = Path(args.manifest) if args.manifest else None
    if path is None:
        from qun.spiders.devserver import SAMPLE_SITE

        path = SAMPLE_SITE.parent / "manifest.json"
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read manifest {path}: {exc}") from exc
    docs = [d for d in manifest["documents"] if d.get("allowed", True)]
    scores = {k: v.as_dict() for k, v in evaluate_documents(docs).items()}
    if args.json:
        print(json.dumps(scores))
    else:
        print(
            f"{'task':<15}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"
            f"   ({len(docs)} documents)"
        )
        for name, s in scores.items():
            print(
                f"{name:<15}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
                f"{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
            )
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    if args.action != "describe":  # describe reads the schema, not the data
        _require_datasets(args)
    from qun.datasets import catalog, store
    from qun.datasets.read import validate

    if args.action == "list":
        listed = [
            {
                "name": spec.name,
                "rows": store.count(spec, args.data_dir),
                "partitions": len(store.part_files(spec, args.data_dir)),
                "path": remote.location(args.data_dir, spec.name),
            }
            for spec in catalog.ALL
        ]
        if args.json:
            print(json.dumps(listed, indent=1))
        for d in [] if args.json else listed:
            print(
                f"{d['name']:<20}{d['rows']:>9} rows {d['partitions']:>4} partitions  {d['path']}"
            )
        return 0
    if args.action == "describe":
        return _describe(args)
    if args.action == "repair":
        return _repair(args)
    problems = validate(args.data_dir)
    if args.json:
        print(json.dumps({"data_dir": args.data_dir, "valid": not problems, "problems": problems}))
    for problem in [] if args.json else problems:
        print(problem)
    if problems:
        raise UserError(f"{len(problems)} problem(s) in {args.data_dir}")
    if not args.json:
        print(f"all datasets in {args.data_dir} are valid")
    return 0


def _describe(args: argparse.Namespace) -> int:
    """A dataset's notes and columns (type, nullability, description) from the data dictionary."""
    import textwrap

    from qun.datasets import catalog, dictionary

    if not args.name:
        raise UserError(f"which dataset? qun datasets describe NAME ({', '.join(catalog.BY_NAME)})")
    if args.name not in catalog.BY_NAME:
        raise UserError(f"unknown dataset {args.name!r}; known: {', '.join(catalog.BY_NAME)}")
    spec = catalog.BY_NAME[args.name]
    entry = dictionary.entries()[spec.name]
    columns = [
        {
            "name": f.name,
            "type": str(f.type),
            "nullable": f.nullable,
            "description": entry.columns[f.name].description,
        }
        for f in spec.schema
    ]
    if args.json:
        described = {
            "name": spec.name,
            "notes": entry.notes,
            "partition": spec.partition,
            "key": list(spec.key),
            "schema_version": spec.version,
            "columns": columns,
        }
        print(json.dumps(described, ensure_ascii=False, indent=1))
        return 0
    print(f"{spec.name}")
    print(textwrap.fill(entry.notes, 100, initial_indent="  ", subsequent_indent="  "))
    print(
        f"  partitioned by {spec.partition}; key {', '.join(spec.key)}; "
        f"schema version {spec.version}"
    )
    width = max(len(c["name"]) for c in columns) + 2
    kinds = max(len(c["type"]) for c in columns) + 2
    for c in columns:
        head = (
            f"  {c['name']:<{width}}{c['type']:<{kinds}}{'' if c['nullable'] else 'not null':<10}"
        )
        print(
            textwrap.fill(
                c["description"], 100, initial_indent=head, subsequent_indent=" " * len(head)
            )
        )
    return 0


def _repair(args: argparse.Namespace) -> int:
    from qun.datasets import lock, repair

    if remote.is_uri(args.data_dir):
        raise UserError(
            "`qun datasets repair` sets damaged files aside in a local folder: copy the data "
            "down (or mount it), repair there, and copy it back"
        )
    with lock.hold(args.data_dir, "datasets repair"):
        moved = repair.repair(args.data_dir)
    for item in moved:
        print(f"set aside {item.path} ({item.cause}) -> {item.moved_to}")
        print(f"  its rows come back with {item.rebuilt_by}")
    steps = repair.next_steps(moved)
    if steps:
        print(
            "now run, in this order: " + "; ".join(f"{s} --data-dir {args.data_dir}" for s in steps)
        )
    elif not moved:
        print(f"nothing to repair in {args.data_dir}")
    return 0


def cmd_train_relations(args: argparse.Namespace) -> int:
    from qun.models.relation_model import MODEL_PATH
    from qun.models.relation_train import RelationTrainOptions, train

    out = Path(args.out) if args.out else MODEL_PATH
    try:
        meta = train(out, RelationTrainOptions(seed=args.seed), log=lambda m: _say(args, m))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps({k: meta[k] for k in ("passages", "features", "minutes")}))
    return 0


def cmd_train_types(args: argparse.Namespace) -> int:
    from qun.models import orgtypes, orgtypes_train

    out = Path(args.out) if args.out else orgtypes.MODEL_FILE
    try:
        meta = orgtypes_train.train(out, seed=args.seed)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps(meta))
    return 0


# Exit status of a command line that asks for something that does not apply (as argparse's).
EXIT_USAGE = 2

# The options of `qun train ner` alone (dest -> flag). Their parser default is None, so that a
# flag given to another trainer is seen and refused; unset, the shipped model's values apply.
_NER_ONLY_OPTIONS = {
    "steps": "--steps",
    "eval_every": "--eval-every",
    "limit": "--limit",
    "width": "--width",
    "window": "--window",
    "dropout": "--dropout",
    "learn_rate": "--learn-rate",
    "refresh_names": "--refresh-names",
}


def ner_train_options(args: argparse.Namespace) -> Any:
    """The TrainOptions of `qun train ner`: the flags given, TrainOptions' defaults otherwise."""
    from qun.models.ner_train import TrainOptions

    given = {dest: getattr(args, dest) for dest in _NER_ONLY_OPTIONS if dest != "refresh_names"}
    return TrainOptions(seed=args.seed, **{k: v for k, v in given.items() if v is not None})


def cmd_train_ner_crf(args: argparse.Namespace) -> int:
    from qun.models.crf_ner import MODEL, train
    from qun.models.ner_train import crf_examples

    try:
        examples, sources = crf_examples()
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    record = train(examples, Path(args.out) if args.out else MODEL, sources=sources)
    print(json.dumps(record))
    return 0


def cmd_train_org_merge(args: argparse.Namespace) -> int:
    from qun.models.ner_train import train_org_merge
    from qun.models.orgmerge import MODEL

    try:
        record = train_org_merge(Path(args.out) if args.out else MODEL, log=lambda m: _say(args, m))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps(record))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.what != "ner":
        given = [
            flag for dest, flag in _NER_ONLY_OPTIONS.items() if getattr(args, dest) is not None
        ]
        if given:  # refused before any work
            verb = "applies" if len(given) == 1 else "apply"
            print(f"qun: error: {', '.join(given)} {verb} to 'qun train ner' only", file=sys.stderr)
            return EXIT_USAGE
    if args.what == "relations":
        return cmd_train_relations(args)
    if args.what == "types":
        return cmd_train_types(args)
    if args.what == "ner-crf":
        return cmd_train_ner_crf(args)
    if args.what == "org-merge":
        return cmd_train_org_merge(args)
    from qun.models.ner import MODEL_DIR, gazetteer_names, write_feature_names
    from qun.models.ner_train import train

    options = ner_train_options(args)
    if args.refresh_names:
        write_feature_names(gazetteer_names())
    try:
        out = Path(args.out) if args.out else MODEL_DIR
        meta = train(out, options, log=lambda m: _say(args, m))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps({k: meta[k] for k in ("best_step", "held_out_mean_f1", "minutes")}))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from qun.spiders.registry import load_sources

    sources = load_sources().values()
    if args.json:
        fields = ("id", "outlet", "kind", "lang", "domains", "sample", "max_pages", "notes")
        listed = [{f: getattr(s, f) for f in fields} for s in sources]
        print(json.dumps(listed, ensure_ascii=False, indent=1))
        return 0
    for s in sources:
        kind = "sample" if s.sample else s.kind
        print(f"{s.id:<18} {kind:<10} {s.lang:<8} {s.outlet}")
    return 0


# ---- serve / progress ----------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from qun.flows import deploy

    if not deploy.api_url():
        raise UserError(
            "qun serve needs a Prefect server: start one with `prefect server start` and set "
            "PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)"
        )
    from qun.spiders.registry import load_sources, select

    _check_sample_use(select(load_sources(), args.sources), demo=False, command="serve")
    why = deploy.unreachable(deploy.api_url())
    if why is not None:
        raise UserError(
            f"cannot reach the Prefect server at {deploy.api_url()} ({why}): start it with "
            "`prefect server start`, or set PREFECT_API_URL to one that runs"
        )
    _say(
        args,
        f"serving {deploy.DAILY} and {deploy.WEEKLY} for {remote.location(args.data_dir)} "
        f"to {deploy.api_url()} (Ctrl-C to stop)",
    )
    deploy.serve(remote.data_dir(args.data_dir), args.sources, args.dask)
    return 0


def _dask_spec(value: str) -> str:
    from qun.flows.cluster import parse_spec

    try:
        parse_spec(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


_DASK_OPTION: dict[str, Any] = {
    "dest": "dask",
    "metavar": "CLUSTER",
    "type": _dask_spec,
    "help": "extract on Dask: `local` (a local cluster, one worker per core), `local:N` "
    "(N workers) or a scheduler address `tcp://host:8786` (default: in this process)",
}


class _ProgressBar:
    """Progress of the long steps on stderr (rich), one bar per step."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: Any = None
        self._bar.start()

    def step(self, name: str, total: int | None) -> None:
        self._finish()
        self._task = self._bar.add_task(name, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)

    def _finish(self) -> None:
        if self._task is not None:
            task = self._bar.tasks[self._task]
            self._bar.update(self._task, total=task.total or 1, completed=task.total or 1)

    def close(self) -> None:
        self._finish()
        self._bar.stop()


_LONG_COMMANDS = {"run", "crawl", "import", "extract", "reextract", "trends", "report"}
_EXTRACTING_COMMANDS = {"run", "extract", "reextract", "serve"}


def _check_settings() -> None:
    """Settings read from the environment, checked before any work starts."""
    from qun.models.extract import doc_budget

    try:
        doc_budget()
    except ValueError as exc:
        raise UserError(f"{exc}; unset it or give a number of seconds") from None


def _progress(args: argparse.Namespace) -> Any:
    """A progress bar when stderr is a terminal and --quiet is not given, else None."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return _ProgressBar()


# ---- parser ------------------------------------------------------------------------------------
def _version() -> str:
    from qun import __version__

    return __version__


SKIP_DAMAGED_HELP = (
    "compute from the readable files when a dataset file is damaged (each left-out file is "
    "named, counted and shown in the report) instead of stopping"
)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default="data",
        metavar="DIR",
        help="where the datasets live: a folder or a URL, s3://bucket/prefix (default: ./data)",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="print only results")
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show Prefect logs and Python tracebacks"
    )
    crawling = argparse.ArgumentParser(add_help=False)
    crawling.add_argument(
        "--demo",
        action="store_true",
        help="serve the bundled synthetic sample site on 127.0.0.1 and crawl it",
    )
    crawling.add_argument(
        "--sources",
        default="real",
        metavar="IDS",
        help="comma-separated source ids from `qun sources`, or `real` / "
        "`sample` (default: real; with --demo: sample)",
    )
    crawling.add_argument(
        "--fast", action="store_true", help="no politeness delays (only for sites you run yourself)"
    )
    crawling.add_argument(
        "--allow-private",
        action="store_true",
        help="crawl sources on private or loopback addresses (intranets, local mirrors)",
    )
    registry = argparse.ArgumentParser(add_help=False)
    registry.add_argument(
        "--registry",
        metavar="FILE",
        help="your own source registry (YAML, as spiders/sources.yaml) instead of the bundled "
        "one; also QUN_REGISTRY",
    )

    parser = argparse.ArgumentParser(
        prog="qun",
        description="Measure how collective-impact ideas spread through Chinese "
        "philanthropy discourse: crawl sector media and foundation reports, extract "
        "organizations and concepts, write Parquet datasets, trend tables and a report.",
    )
    parser.add_argument("--version", action="version", version=f"qun {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "run",
        parents=[common, crawling, registry],
        help="the whole pipeline: crawl, extract, trends, report",
        description="Crawl, extract, compute trends and write the report.",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--dask", **_DASK_OPTION)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "import",
        parents=[common, registry],
        help="take in pages other crawlers archived (WARC files)",
        description="Read WARC files written by other crawlers (wget --warc-file, Heritrix, "
        "Browsertrix, Common Crawl extracts) into `documents`, through the same decoding, "
        "main-text, date, template and reprint path as crawled pages. HTTP 200 HTML and PDF "
        "responses become documents or recorded errors; other records are counted and skipped. "
        "The WARC files stay where they are.",
    )
    p.add_argument("warc", nargs="+", metavar="FILE.warc.gz", help="WARC files (gzip or plain)")
    p.add_argument(
        "--source",
        metavar="ID",
        help="the source id of every page (default: the "
        "registry source of the URL's host, else the host)",
    )
    p.add_argument(
        "--outlet",
        metavar="NAME",
        help="the outlet name of every page (default: the source's outlet, else the host)",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "crawl",
        parents=[common, crawling, registry],
        help="crawl sources into `documents`",
        description="Run the spiders (each in its own process) and merge what "
        "they fetched into the documents and crawl_errors datasets.",
    )
    p.add_argument(
        "--spider",
        choices=["all", "media", "reports"],
        default="all",
        help="which spider to run (default: all)",
    )
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser(
        "extract",
        parents=[common],
        help="extract organizations and concepts",
        description='Read JSON lines {"id", "text", "lang"?} and write one '
        "JSON line of extractions per input line (the qun extract contract), or "
        "with --documents extract from the documents dataset into the mention "
        "datasets.",
    )
    p.add_argument("--jsonl", default="-", metavar="IN", help="input JSON lines (default: stdin)")
    p.add_argument("--out", default="-", metavar="OUT", help="output JSON lines (default: stdout)")
    p.add_argument(
        "--statistical",
        default="en,zh",
        metavar="LANGS",
        help="statistical organization recognizers beside the gazetteer and rules: en "
        "(spaCy's English model), zh (the Chinese CRF, with the learned decision over the "
        "candidates), en,zh (default), or '' for gazetteer and rules only",
    )
    p.add_argument(
        "--documents",
        action="store_true",
        help="extract from DIR/documents into DIR/org_mentions and concept_mentions",
    )
    p.add_argument("--dask", **_DASK_OPTION)
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "reextract",
        parents=[common],
        help="rebuild documents from the raw WARC archive",
        description="Re-run decoding and main-text extraction on the responses archived in "
        "DIR/archive/*.warc.gz (newest per URL), without crawling, and merge the results into "
        "the documents dataset.",
    )
    p.set_defaults(func=cmd_reextract)

    p = sub.add_parser(
        "trends",
        parents=[common],
        help="recompute the trend tables",
        description="Compute concept_trends from documents and concept_mentions.",
    )
    p.add_argument("--skip-damaged", action="store_true", help=SKIP_DAMAGED_HELP)
    p.set_defaults(func=cmd_trends)

    p = sub.add_parser(
        "report",
        parents=[common],
        help="write the HTML trend report",
        description="Write a self-contained HTML report from the datasets.",
    )
    p.add_argument("--out", metavar="FILE", help="report path (default: DIR/report/index.html)")
    p.add_argument("--skip-damaged", action="store_true", help=SKIP_DAMAGED_HELP)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "eval",
        parents=[common],
        help="score the extractors",
        description="Score extraction against annotated data. `sample`: "
        "organizations and concepts against the sample site's manifest "
        "(document level). `ner`: exact-span organization recognition on a NER corpus, "
        "merged and per source label. `relations`: funding, partnerships (with direction) "
        "and concepts on the annotated passages of models/data/relations_eval. `pages`: main text "
        "(strings that must and must not be in it) and publication dates on real pages of "
        "many outlets (checks in spiders/data/page_checks), beside trafilatura and "
        "readability-lxml.",
    )
    p.add_argument("task", choices=["sample", "ner", "relations", "pages"], help="what to evaluate")
    p.add_argument(
        "--pages",
        metavar="DIR",
        help="for pages: the saved pages, DIR/<site>/<file> (default: "
        "../shared/data/real_pages/gne or under QUN_SHARED_DATA)",
    )
    p.add_argument(
        "--checks",
        metavar="DIR",
        help="for pages: folder of check files, one split each (default: spiders/data/page_checks)",
    )
    p.add_argument(
        "--dataset",
        default="cluener-dev",
        metavar="NAME|PATH",
        help="for ner: cluener-dev, msra-test (from ../shared/data or "
        "QUN_SHARED_DATA), or a JSON-lines file of {text, spans}; for relations: "
        "dev, test, or all (default: dev and test, each scored apart), passages written for qun; "
        "real-train, real-heldout or real: passages from real pages of many outlets, split by "
        "outlet, each also scored on its passages within and beyond the gazetteer; "
        "waiting-heldout: the waiting passages of held-out outlets, which nothing trains on",
    )
    p.add_argument("--manifest", metavar="FILE", help="annotated manifest (default: the sample's)")
    p.add_argument(
        "--model",
        metavar="DIR",
        help="for ner: a trained recognizer (default: models/data/ner_zh if present)",
    )
    p.add_argument("--json", action="store_true", help="print scores as JSON")
    p.add_argument(
        "--errors",
        metavar="FILE",
        help="for relations: write every funding and partnership record scored wrong or "
        "missed (rules and learned component, as extraction runs), one JSON object a line, "
        "with what went wrong; not for the held-out passages, which are for scores only",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "datasets",
        parents=[common],
        help="list, describe, validate or repair the datasets",
        description="list: rows and partitions of each dataset; describe NAME: its columns; "
        "validate: read every file whole, check its schema and metadata, that keys are unique "
        "and that no interrupted write left files behind (exit 1 on any problem); "
        "repair: set damaged and left-over files aside (in DIR/_damaged/) and print the "
        "commands that bring their rows back.",
    )
    p.add_argument("action", choices=["list", "describe", "validate", "repair"])
    p.add_argument("name", nargs="?", help="dataset name (for describe)")
    p.add_argument("--json", action="store_true", help="print JSON (list, describe, validate)")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser(
        "train",
        parents=[common],
        help="train the Chinese organization recognizer or the relation component",
        description="Train the statistical organization recognizer (spaCy, character tokens "
        "with bigram, jieba and gazetteer features) on CLUENER, MSRA, Resume and Weibo from "
        "../shared/data (or QUN_SHARED_DATA), selecting the best checkpoint on held-out "
        "training sentences. Fixed seed and step count: the same command gives the same model. "
        "`relations`: the funding/partnership classifier (scikit-learn) on "
        "models/data/relations_train and FinRE, written to models/data/relation_model.json.gz.",
    )
    p.add_argument(
        "what",
        choices=["ner", "ner-crf", "org-merge", "relations", "types"],
        help="ner: the Chinese organization recognizer (spaCy); ner-crf: the fast one (CRF, "
        "used by extraction); org-merge: the decision over gazetteer, rule and CRF "
        "candidates (after ner-crf); relations: the relation classifier; types: the "
        "organization-type classifier",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="PATH",
        help="where to write the model (default: models/data/ner_zh, "
        "models/data/ner_zh_crf.crfsuite, models/data/orgmerge.json.gz, "
        "models/data/relation_model.json.gz or models/data/orgtypes.npz)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    # NER-only options default to None (the shipped model's values then apply), so that
    # cmd_train can refuse them for the other trainers
    ner = p.add_argument_group("options of `qun train ner` only (refused for the others)")
    ner.add_argument("--steps", type=int, help="update steps (default: 3600)")
    ner.add_argument(
        "--eval-every",
        type=int,
        metavar="N",
        help="steps between held-out evaluations (default: 300)",
    )
    ner.add_argument("--limit", type=int, help="sentences per corpus (quick runs)")
    ner.add_argument("--width", type=int, help="encoder width (default: 128)")
    ner.add_argument("--window", type=int, help="encoder window (default: 2)")
    ner.add_argument("--dropout", type=float, help="dropout (default: 0.3)")
    ner.add_argument("--learn-rate", type=float, help="Adam rate (default: 0.0005)")
    ner.add_argument(
        "--refresh-names",
        action="store_true",
        default=None,
        help="first rewrite models/data/ner_zh_names.txt (the gazetteer feature's names, frozen "
        "so that the same command gives the same model) from today's gazetteer",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "sources",
        parents=[common, registry],
        help="list the source registry",
        description="List the sources of spiders/sources.yaml.",
    )
    p.add_argument("--json", action="store_true", help="print the sources as JSON")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser(
        "serve",
        parents=[common, registry],
        help="serve the scheduled runs to a Prefect server",
        description="Register two deployments with the Prefect server that PREFECT_API_URL "
        "names, a daily crawl-and-extract (03:00 Asia/Shanghai) and a weekly trends-and-report "
        "(Mondays 05:00), and run their flow runs until interrupted.",
    )
    p.add_argument(
        "--sources",
        default="real",
        metavar="IDS",
        help="source ids for the daily crawl, or `real` / `sample` (default: real)",
    )
    p.add_argument("--dask", **_DASK_OPTION)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _prefect_env(args.verbose)
    if not args.verbose and not logging.getLogger("qun").handlers:
        # Prefect's console handler shows only CRITICAL without --verbose: qun's own warnings
        # (a chart character that no font has) still print, one line each
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("qun: warning: %(message)s"))
        logging.getLogger("qun").addHandler(console)
    from qun.datasets.store import DatasetError
    from qun.flows import progress
    from qun.spiders.process import CrawlFailed
    from qun.spiders.registry import RegistryError

    if getattr(args, "registry", None):  # the spiders, flows and reextract read it from here
        os.environ["QUN_REGISTRY"] = str(Path(args.registry).resolve())
    if args.command in _LONG_COMMANDS:
        progress.install(_progress(args))
    try:
        if args.command in _EXTRACTING_COMMANDS:
            _check_settings()
        return int(args.func(args))
    except BrokenPipeError:
        # the reader went away (`qun datasets list | head`): stop quietly, as `cat` does; stdout
        # goes to /dev/null so that the interpreter's last flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        return 141
    except (UserError, RegistryError, CrawlFailed, DatasetError, OSError) as exc:  # noqa: B014
        if args.verbose:
            raise
        print(f"qun: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("qun: interrupted", file=sys.stderr)
        return 130
    finally:
        progress.close()


if __name__ == "__main__":
    sys.exit(main())
