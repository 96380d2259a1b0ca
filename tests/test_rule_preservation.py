"""Every rule kept (issue 13): each action a bundled profile's policy ruled on in the reviewed baseline
(tests/fixtures/policy-rules.json) is still ruled on, with the same modality, by the policy built now,
unless tests/fixtures/rule-changes.yaml lists the change with its reason; and every entry there is needed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from rule_snapshot import CHANGES, SNAPSHOT, Rulings, all_rulings

from policy_builder.content.library import Library

PROFILES = Path(__file__).resolve().parent.parent / "profiles"
MODALITIES = ("must", "must_not", "should", "should_not", "may")
CHANGE_FIELDS = ("action", "profile", "old", "new", "reason")


@dataclass(frozen=True)
class Change:
    action: str
    profile: str  # a profile's stem, or "all"
    old: str
    new: str  # a modality, or "removed"
    reason: str
    line: int

    def covers(self, profile: str, action: str, old: str) -> bool:
        return self.action == action and self.old == old and self.profile in ("all", profile)

    def where(self) -> str:
        return f"{CHANGES.name}:{self.line}: {self.profile} {self.action} {self.old} -> {self.new}"


def load_changes(path: Path, profiles: set[str]) -> list[Change]:
    """The file of deliberate changes, each entry checked: a bad entry is a failure with its line."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text)
    data = yaml.safe_load(text) or {}
    entries = data.get("changes") or []
    assert isinstance(entries, list), f"{path.name}: 'changes:' must be a list"
    nodes = []
    if node is not None:
        for key, value in node.value:
            if key.value == "changes" and isinstance(value, yaml.SequenceNode):
                nodes = value.value
    changes = []
    for index, entry in enumerate(entries):
        line = nodes[index].start_mark.line + 1 if index < len(nodes) else 0
        at = f"{path.name}:{line}"
        assert isinstance(entry, dict), f"{at}: each change is a mapping with {', '.join(CHANGE_FIELDS)}"
        missing = [f for f in CHANGE_FIELDS if not str(entry.get(f) or "").strip()]
        assert not missing, f"{at}: missing {', '.join(missing)}"
        unknown = set(entry) - set(CHANGE_FIELDS)
        assert not unknown, f"{at}: unknown field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(CHANGE_FIELDS)}"
        assert entry["profile"] == "all" or entry["profile"] in profiles, (
            f"{at}: profile '{entry['profile']}' is not a bundled profile ({', '.join(sorted(profiles))}) or 'all'"
        )
        assert entry["old"] in MODALITIES, f"{at}: old must be one of {', '.join(MODALITIES)}"
        assert entry["new"] in (*MODALITIES, "removed"), f"{at}: new must be a modality or 'removed'"
        assert entry["new"] != entry["old"], f"{at}: new is the same as old; that is no change"
        changes.append(Change(**{f: str(entry[f]) for f in CHANGE_FIELDS}, line=line))
    return changes


def compare(baseline: Rulings, now: Rulings, changes: list[Change]) -> list[str]:
    """Every failure: a rule lost or changed with no entry, an entry that says the wrong thing, a stale entry."""
    failures: list[str] = []
    used: set[Change] = set()
    for profile, rulings in sorted(baseline.items()):
        if profile not in now:
            failures.append(f"{profile}: in the baseline but no longer a bundled profile; take a new baseline")
            continue
        for action, by_modality in sorted(rulings.items()):
            current = now[profile].get(action, {})
            for old, clauses in sorted(by_modality.items()):
                if old in current:
                    continue
                held = ", ".join(f"{m} ({', '.join(c)})" for m, c in sorted(current.items())) or "no rule on it"
                lost = f"{profile}: '{action}' was {old} (stated by {', '.join(clauses)}); now {held}"
                change = next((c for c in changes if c.covers(profile, action, old)), None)
                if change is None:
                    failures.append(f"{lost}: restore the rule, or list it in {CHANGES.name} with the reason")
                    continue
                used.add(change)
                if change.new == "removed" and set(current) - set(by_modality):
                    failures.append(f"{change.where()}: says removed, but {lost}")
                elif change.new != "removed" and change.new not in current:
                    failures.append(f"{change.where()}: says {change.new}, but {lost}")
    for profile in sorted(set(now) - set(baseline)):
        failures.append(f"{profile}: a bundled profile with no baseline in {SNAPSHOT.name}; run make rules-snapshot")
    for change in changes:
        if change not in used:
            failures.append(f"{change.where()}: stale: every baseline policy still holds this rule; delete the entry")
    return failures


@pytest.fixture(scope="module")
def baseline() -> Rulings:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))["profiles"]


@pytest.fixture(scope="module")
def now(library: Library) -> Rulings:
    return all_rulings(library)


def test_every_rule_of_the_baseline_is_kept_or_its_change_listed(baseline: Rulings, now: Rulings):
    changes = load_changes(CHANGES, {p.stem for p in PROFILES.glob("*.yaml")})
    failures = compare(baseline, now, changes)
    assert not failures, "Rules lost or changed since the baseline:\n" + "\n".join(failures)


def test_baseline_covers_every_bundled_profile_with_rules(baseline: Rulings):
    assert set(baseline) == {p.stem for p in PROFILES.glob("*.yaml")}
    # A baseline that lost its rules would let anything pass: each policy rules on over 100 actions.
    assert all(len(rulings) > 100 for rulings in baseline.values()), {p: len(r) for p, r in baseline.items()}


# --- the comparison itself, on small made-up rulings --------------------------------------------


def change(action: str, old: str, new: str, profile: str = "all") -> Change:
    return Change(action=action, profile=profile, old=old, new=new, reason="because", line=7)


BASE: Rulings = {
    "council": {"contact.friend-request": {"must_not": ["boundaries.a"]}, "devices.lock": {"must": ["devices.b"]}},
    "trust": {"contact.friend-request": {"must_not": ["boundaries.a"]}},
}


def without(rulings: Rulings, profile: str, action: str) -> Rulings:
    copy: dict[str, Any] = json.loads(json.dumps(rulings))
    del copy[profile][action]
    return copy


def test_a_lost_rule_names_the_profile_the_action_and_the_clause_that_stated_it():
    failures = compare(BASE, without(BASE, "council", "devices.lock"), [])
    assert failures == [
        "council: 'devices.lock' was must (stated by devices.b); now no rule on it: restore the rule, "
        "or list it in rule-changes.yaml with the reason"
    ]


def test_a_changed_modality_is_reported_with_what_holds_now():
    now = json.loads(json.dumps(BASE))
    now["trust"]["contact.friend-request"] = {"should_not": ["boundaries.c"]}
    failures = compare(BASE, now, [])
    assert len(failures) == 1 and "trust: 'contact.friend-request' was must_not" in failures[0]
    assert "now should_not (boundaries.c)" in failures[0]


def test_a_listed_change_passes_and_must_say_what_happened():
    now = json.loads(json.dumps(BASE))
    now["trust"]["contact.friend-request"] = {"should_not": ["boundaries.c"]}
    assert compare(BASE, now, [change("contact.friend-request", "must_not", "should_not", "trust")]) == []
    wrong = compare(BASE, now, [change("contact.friend-request", "must_not", "removed", "trust")])
    assert len(wrong) == 1 and "says removed, but trust:" in wrong[0]


def test_a_removal_for_all_profiles_covers_each():
    now = without(without(BASE, "council", "contact.friend-request"), "trust", "contact.friend-request")
    assert compare(BASE, now, [change("contact.friend-request", "must_not", "removed")]) == []


def test_a_stale_entry_fails():
    failures = compare(BASE, BASE, [change("devices.lock", "must", "removed", "council")])
    assert failures == [
        "rule-changes.yaml:7: council devices.lock must -> removed: stale: every baseline policy "
        "still holds this rule; delete the entry"
    ]


def test_a_bad_entry_in_the_changes_file_is_refused_with_its_line(tmp_path: Path):
    path = tmp_path / "rule-changes.yaml"
    path.write_text(
        "changes:\n"
        "  - action: devices.lock\n    profile: all\n    old: must\n    new: removed\n    reason: Merged.\n"
        "  - action: devices.lock\n    profile: nowhere\n    old: must\n    new: removed\n    reason: x\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match=r"rule-changes.yaml:7: profile 'nowhere' is not a bundled profile"):
        load_changes(path, {"council", "trust"})
    path.write_text(
        "changes:\n  - action: devices.lock\n    profile: all\n    old: must\n    new: must\n", encoding="utf-8"
    )
    with pytest.raises(AssertionError, match=r"rule-changes.yaml:2: missing reason"):
        load_changes(path, {"council"})


def test_a_rule_taken_out_of_a_library_copy_is_reported_for_each_profile(baseline: Rulings, tmp_path: Path):
    import shutil

    from conftest import ROOT

    from policy_builder.content.library import load_library

    copy = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", copy)
    path = copy / "05-boundaries.yaml"
    text = path.read_text(encoding="utf-8")
    rule = "      - action: contact.friend-request-service-user\n"
    assert rule in text
    path.write_text(text.replace(rule, rule + "        when: false\n", 1), encoding="utf-8")
    failures = compare(baseline, all_rulings(load_library(copy)), load_changes(CHANGES, set(baseline)))
    assert len(failures) == len(baseline), failures
    for profile in baseline:
        assert (
            f"{profile}: 'contact.friend-request-service-user' was must_not "
            "(stated by boundaries.no-personal-connections); now no rule on it" in "\n".join(failures)
        )
