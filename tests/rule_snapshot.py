"""What each bundled profile's policy rules on, for the rule-preservation test (`make rules-snapshot`).

tests/fixtures/policy-rules.json records, per profile, every action the policy rules on, with each
modality and the clauses that state it. It was taken from the 1.x library before issue 13 shortened
the policy; tests/test_rule_preservation.py checks today's policy against it. Regenerate it only to
take a new reviewed baseline (read the diff), never to make the test pass: a rule that is meant to
go or change belongs in tests/fixtures/rule-changes.yaml with its reason.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SNAPSHOT = FIXTURES / "policy-rules.json"
CHANGES = FIXTURES / "rule-changes.yaml"
BUILD_DATE = dt.date(2026, 11, 21)

# profile -> action -> modality -> ids of the clauses that state it
Rulings = dict[str, dict[str, dict[str, list[str]]]]


def profile_rulings(profile: Path, library: object = None) -> dict[str, dict[str, list[str]]]:
    """action -> modality -> clause ids, for the policy this profile builds today."""
    from policy_builder.content.library import Library, load_library
    from policy_builder.pipeline.assemble import build_policy, policy_context
    from policy_builder.pipeline.profile import load_profile
    from policy_builder.pipeline.rules import rules_in_force

    lib = library if isinstance(library, Library) else load_library(ROOT / "clauses")
    answers = load_profile(profile, lib.questionnaire, lib.nations, build_date=BUILD_DATE)
    policy = build_policy(lib, answers)
    # The clauses the built policy prints (not the practice guide's: they state no rules), with the
    # rules whose `when` holds for these answers.
    in_policy = {clause.id for clause in policy.clauses}
    chosen = [c for c in lib.clauses if c.id in in_policy and c.document == "policy"]
    found: dict[str, dict[str, list[str]]] = {}
    for entry in rules_in_force(chosen, policy_context(lib, answers)):
        clauses = found.setdefault(entry.rule.action, {}).setdefault(entry.rule.modality, [])
        if entry.clause.id not in clauses:
            clauses.append(entry.clause.id)
    return {action: dict(sorted(by.items())) for action, by in sorted(found.items())}


def all_rulings(library: object = None) -> Rulings:
    return {path.stem: profile_rulings(path, library) for path in sorted((ROOT / "profiles").glob("*.yaml"))}


def snapshot_text(data: dict) -> str:
    """JSON with one line per (profile, action), so a reviewer reads it as a list and a diff shows each ruling."""
    dump = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    lines = ["{"]
    lines += [f" {dump(key)}: {dump(value)}," for key, value in data.items() if key != "profiles"]
    lines.append(' "profiles": {')
    profiles = list(data["profiles"].items())
    for p, (profile, rulings) in enumerate(profiles):
        lines.append(f"  {dump(profile)}: {{")
        actions = list(rulings.items())
        for a, (action, by) in enumerate(actions):
            lines.append(f"   {dump(action)}: {dump(by)}" + ("," if a < len(actions) - 1 else ""))
        lines.append("  }" + ("," if p < len(profiles) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def write_snapshot() -> None:
    from policy_builder.content.library import load_library

    library = load_library(ROOT / "clauses")
    data = {
        "about": (
            "What each bundled profile's policy rules on (action -> modality -> clauses), taken from library "
            f"{library.version}; tests/test_rule_preservation.py keeps every one, or tests/fixtures/"
            "rule-changes.yaml says why not. Regenerate with `make rules-snapshot` only for a new reviewed baseline."
        ),
        "library_version": library.version,
        "profiles": all_rulings(library),
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(snapshot_text(data), encoding="utf-8")
    count = sum(len(by) for rulings in data["profiles"].values() for by in rulings.values())
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}: {count} (profile, action, modality) rulings")


if __name__ == "__main__":
    write_snapshot()
