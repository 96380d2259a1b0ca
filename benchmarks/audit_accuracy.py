"""How often `policy-builder audit` is right: precision and recall per class on the labelled policies.

    python benchmarks/audit_accuracy.py [--labels tests/audit/labels] [--detail] [--json]
    python benchmarks/audit_accuracy.py --labels tests/audit/holdout2/labels   # the held-out pair
    python benchmarks/audit_accuracy.py --speed [--runs 5]

Every label file under tests/audit/labels/ names a document under tests/audit/documents/ and, for
at least 30 actions, whether the document covers, contradicts or misses it (tests/audit/README.md).
The audit is run on each document without a profile (the library's own positions, as the labels
are written) and only the labelled actions are scored. Precision of a class: of the actions the audit
put in it, the share the labels put there too; recall: of the actions labelled with it, the share
the audit found. `--detail` lists every disagreement with the audit's evidence.

`--speed` audits a document of about 40 pages (the labelled documents joined, about 18,000 words) and
prints the median wall and CPU time over `--runs` runs, after one warm-up (the library loaded once, as the
CLI does per run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policy_builder.audit import audit_document, read_passages  # noqa: E402
from policy_builder.content.library import Library, load_library  # noqa: E402

CLASSES = ("covers", "contradicts", "misses")
LABELS = ROOT / "tests" / "audit" / "labels"
DOCUMENTS = ROOT / "tests" / "audit" / "documents"


def load_labels(folder: Path) -> list[dict[str, Any]]:
    sets = []
    for path in sorted(folder.glob("*.yaml")):
        # libyaml where PyYAML has it: the same data, read in a fraction of the time (the suite reads them often)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        labels = {action: entry["label"] for action, entry in (data.get("labels") or {}).items()}
        # The documents sit beside the labels: tests/audit/labels -> tests/audit/documents, and the same for
        # a held-out pair (tests/audit/holdout2/labels -> tests/audit/holdout2/documents).
        document = folder.parent / "documents" / data["document"]
        sets.append({"name": path.stem, "document": document, "labels": labels, "raw": data})
    return sets


def scores(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float | int]]:
    """Per class: precision, recall and the counts behind them, from (expected, predicted) pairs."""
    out: dict[str, dict[str, float | int]] = {}
    for cls in CLASSES:
        predicted = sum(1 for _, p in pairs if p == cls)
        expected = sum(1 for e, _ in pairs if e == cls)
        hit = sum(1 for e, p in pairs if e == p == cls)
        out[cls] = {
            "precision": hit / predicted if predicted else 1.0,
            "recall": hit / expected if expected else 1.0,
            "true": hit,
            "predicted": predicted,
            "labelled": expected,
        }
    return out


def evaluate(folder: Path = LABELS, library: Any = None) -> dict[str, Any]:
    library = library or load_library()
    documents = []
    every: list[tuple[str, str]] = []
    # the contradictions the audit is sure of (certainty "clear", the only ones a board summary names): how many
    # of those the labels call contradictions too; "contradicts" above counts both clear and "to check"
    clear = {"true": 0, "predicted": 0}
    for entry in load_labels(folder):
        audit = audit_document(entry["document"], library)
        verdicts = {f.action: f for f in audit.findings}
        pairs, wrong = [], []
        for action, expected in entry["labels"].items():
            finding = verdicts.get(action)
            predicted = finding.verdict if finding else "misses"
            pairs.append((expected, predicted))
            if finding is not None and predicted == "contradicts" and finding.certainty == "clear":
                clear["predicted"] += 1
                clear["true"] += expected == "contradicts"
            if predicted != expected:
                evidence = finding.evidence if finding else None
                wrong.append(
                    {
                        "action": action,
                        "expected": expected,
                        "predicted": predicted,
                        "label_quote": (entry["raw"]["labels"][action] or {}).get("quote"),
                        "audit_quote": evidence.sentence if evidence else None,
                        "audit_where": evidence.passage.where if evidence else None,
                        "cue": evidence.cue if evidence else None,
                    }
                )
        every.extend(pairs)
        documents.append({"document": entry["document"].name, "scores": scores(pairs), "wrong": wrong})
    clear_precision = clear["true"] / clear["predicted"] if clear["predicted"] else 1.0
    return {
        "overall": scores(every),
        "documents": documents,
        "clear_contradicts": {**clear, "precision": clear_precision},
    }


def _line(name: str, result: dict[str, dict[str, float | int]]) -> str:
    cells = [
        f"{cls} P {r['precision']:.2f} R {r['recall']:.2f} ({r['true']}/{r['predicted']}/{r['labelled']})"
        for cls, r in result.items()
    ]
    return f"{name:28} " + "   ".join(cells)


def write_long_policy(path: Path, words: int = 18000) -> int:
    """Write a Markdown policy of about ``words`` words (18,000: 40 pages at 450 a page); returns its word count.

    The labelled documents joined, then again from the start until the count is reached: a long policy,
    in the styles a real one mixes, the same every time (benchmarks/run.py audits it too).
    """
    parts: list[str] = []
    read = 0  # words in the documents read so far
    for entry in load_labels(LABELS):
        if read >= words:
            break  # the documents read hold enough: those after them would not be reached (a short --quick run)
        passages = read_passages(entry["document"])
        parts.append(f"# {entry['name']}\n")
        heading = None
        for passage in passages:
            if passage.heading != heading and passage.heading:
                parts.append(f"\n## {passage.heading}\n")
                heading = passage.heading
            parts.append(passage.text + "\n")
        read = sum(len(part.split()) for part in parts)
    lines, count = [], 0
    while count < words:
        for part in parts:
            lines.append(part)
            count += len(part.split())
            if count >= words:
                break
    path.write_text("\n".join(lines), encoding="utf-8")
    return len(path.read_text(encoding="utf-8").split())


def speed(runs: int, *, library: Library | None = None, warm_up: bool = True) -> dict[str, Any]:
    """Median seconds to audit the labelled documents joined into one Markdown file of about 40 pages.

    ``warm_up``: audit once first, unmeasured, so the figures leave out compiling the patterns and building
    the matcher; without it the first run counts them, as a person's first audit does.
    """
    library = library if library is not None else load_library()
    with tempfile.TemporaryDirectory(prefix="pb-audit-speed-") as temp:
        path = Path(temp) / "forty-pages.md"
        total_words = write_long_policy(path)
        if warm_up:
            audit_document(path, library)  # patterns compiled, matcher built
        times, cpu = [], []
        for _ in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            audit_document(path, library)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    # CPU time as well as wall time: on a shared machine the wall time measures the other processes too.
    return {
        "words": total_words,
        "runs": runs,
        "median_seconds": statistics.median(times),
        "median_cpu_seconds": statistics.median(cpu),
        "times": times,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--detail", action="store_true", help="list every disagreement with the audit's evidence")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--speed", action="store_true", help="time a 40-page document instead")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.speed:
        result = speed(args.runs)
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(
                f"{result['words']} words: median {result['median_seconds']:.2f} s wall, "
                f"{result['median_cpu_seconds']:.2f} s CPU over {result['runs']} runs"
            )
        return
    result = evaluate(args.labels)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("class: P precision, R recall (right / predicted / labelled)")
    for document in result["documents"]:
        print(_line(document["document"], document["scores"]))
        if args.detail:
            for w in document["wrong"]:
                print(f"    {w['action']}: labelled {w['expected']}, audit {w['predicted']} ({w['cue']})")
                if w["audit_quote"]:
                    print(f"        audit: {w['audit_where']}: {w['audit_quote'][:160]}")
                if w["label_quote"]:
                    print(f"        label: {w['label_quote'][:160]}")
    print(_line("OVERALL", result["overall"]))
    clear = result["clear_contradicts"]
    print(f"{'clear contradictions':28} P {clear['precision']:.2f} ({clear['true']}/{clear['predicted']})")


if __name__ == "__main__":
    main()
