"""How well `audit --profile-out` infers questionnaire answers: against the labelled set's `answers:`.

    python benchmarks/audit_answers.py [--verbose] [--json] [--labels tests/audit/holdout2/labels]

For each labelled document under tests/audit/ (labels/*.yaml with an `answers:` map of the answers
its text settles), the answers inferred from the document are compared with the labels:
  correct  inferred and equal to the label
  wrong    inferred, but not the label's answer
  missed   labelled, not inferred
  unlabelled  inferred for a question the label's `answers:` map leaves out: listed with --verbose
           to judge by hand (a label set that lists only some answers the text settles would
           otherwise count right answers as wrong); counted apart, never as correct
Precision = correct / (correct + wrong); recall = correct / labelled. A wrong answer costs a manager
more than a missing one (they must notice it), so precision matters most: the target is 0.9.
The answers are those a draft profile keeps (questions that apply given the others).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / "tests" / "audit"


@dataclass
class DocumentScore:
    name: str
    correct: list[str] = field(default_factory=list)
    wrong: list[tuple[str, Any, Any]] = field(default_factory=list)  # (question, inferred, labelled)
    missed: list[tuple[str, Any]] = field(default_factory=list)
    unlabelled: list[tuple[str, Any, str]] = field(default_factory=list)  # (question, inferred, quote)
    seconds: float = 0.0


def labelled_documents(folder: Path = AUDIT / "labels") -> list[tuple[str, Path, dict[str, Any]]]:
    """(name, document, answers) for every label file in ``folder`` with an `answers:` map (the documents
    sit beside the labels, in ../documents)."""
    found = []
    for label in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(label.read_text(encoding="utf-8")) or {}
        answers = data.get("answers")
        if not isinstance(answers, dict):
            continue
        found.append((label.stem, folder.parent / "documents" / data["document"], answers))
    return found


def _same(inferred: Any, labelled: Any) -> bool:
    if isinstance(labelled, list) and isinstance(inferred, list):
        return sorted(map(str, inferred)) == sorted(map(str, labelled))
    if isinstance(labelled, str) and isinstance(inferred, str):
        # A name is right when it is the labelled name, whatever its capitals or a leading "the".
        def plain(text: str) -> str:
            text = text.strip().lower().replace("'", "").replace("\u2019", "")
            return text[4:] if text.startswith("the ") else text

        return plain(inferred) == plain(labelled)
    return type(inferred) is type(labelled) and inferred == labelled


def score_all(folder: Path = AUDIT / "labels") -> list[DocumentScore]:
    sys.path.insert(0, str(ROOT))
    from policy_builder.audit.draft import draft_from_policy
    from policy_builder.content.library import load_library

    library = load_library()
    scores = []
    for name, document, labelled in labelled_documents(folder):
        started = time.perf_counter()
        draft = draft_from_policy(library, document)
        score = DocumentScore(name, seconds=time.perf_counter() - started)
        inferred = draft.values()
        quotes = {item.question_id: item.quote for item in draft.answers}
        for qid, value in inferred.items():
            if qid not in labelled:
                score.unlabelled.append((qid, value, quotes[qid]))
            elif _same(value, labelled[qid]):
                score.correct.append(qid)
            else:
                score.wrong.append((qid, value, labelled[qid]))
        score.missed = [(qid, value) for qid, value in labelled.items() if qid not in inferred]
        scores.append(score)
    return scores


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true", help="List each wrong and missed answer.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--labels", type=Path, default=AUDIT / "labels", help="label folder (default the labelled set)")
    args = parser.parse_args()
    scores = score_all(args.labels)
    correct = sum(len(s.correct) for s in scores)
    wrong = sum(len(s.wrong) for s in scores)
    missed = sum(len(s.missed) for s in scores)
    if args.json:
        print(
            json.dumps(
                {
                    "documents": {
                        s.name: {
                            "correct": len(s.correct),
                            "wrong": len(s.wrong),
                            "missed": len(s.missed),
                            "unlabelled": len(s.unlabelled),
                        }
                        for s in scores
                    },
                    "unlabelled": sum(len(s.unlabelled) for s in scores),
                    "precision": round(ratio(correct, correct + wrong), 3),
                    "recall": round(ratio(correct, correct + missed), 3),
                },
                indent=2,
            )
        )
        return
    unlabelled = sum(len(s.unlabelled) for s in scores)
    head = (
        f"{'document':<26} {'correct':>7} {'wrong':>5} {'missed':>6} {'unlabelled':>10} {'precision':>9} {'recall':>6}"
    )
    print(head + f" {'ms':>5}")
    for s in scores:
        c, w, m, u = len(s.correct), len(s.wrong), len(s.missed), len(s.unlabelled)
        print(
            f"{s.name:<26} {c:>7} {w:>5} {m:>6} {u:>10} {ratio(c, c + w):>9.2f} {ratio(c, c + m):>6.2f}"
            f" {s.seconds * 1000:>5.0f}"
        )
        if args.verbose:
            for qid, value, label in s.wrong:
                print(f"    wrong       {qid}: inferred {value!r}, label {label!r}")
            for qid, label in s.missed:
                print(f"    missed      {qid}: label {label!r}")
            for qid, value, quote in s.unlabelled:
                print(f'    unlabelled  {qid}: inferred {value!r} from "{quote[:110]}"')
    print(
        f"{'all':<26} {correct:>7} {wrong:>5} {missed:>6} {unlabelled:>10} "
        f"{ratio(correct, correct + wrong):>9.2f} {ratio(correct, correct + missed):>6.2f}"
    )


if __name__ == "__main__":
    main()
