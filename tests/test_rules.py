"""Rules as data: clause rules load with located errors, lint finds contradictions, level and wording
disagreements, and the staff card shows an item only when the policy holds its rule."""

import dataclasses
import functools
import re
import shutil
from pathlib import Path

import pytest
from conftest import BUILD_DATE, ROOT, base_profile, with_answers

from policy_builder.checks.lint import Linter
from policy_builder.content.library import Library, load_library
from policy_builder.content.models import Rule
from policy_builder.core.errors import LibraryError
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.pipeline.rules import level_problems, wording_problems
from policy_builder.render.summary import leaflet, staff_summary


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    target = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", target)
    return target


def clause_span(text: str, clause_id: str) -> tuple[int, int]:
    """Where a clause's entry starts and ends in its section file's text."""
    head = f"  - id: {clause_id}\n"
    assert head in text, clause_id
    start = text.index(head)
    end = text.find("\n  - id: ", start + len(head))
    return start, len(text) if end < 0 else end + 1


def add_rules(root: Path, file: str, clause_id: str, *rules: str) -> None:
    """Add rules (each a YAML flow mapping) to a clause: first in its `rules:`, or in new `rules:` under its id."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    start, end = clause_span(text, clause_id)
    entry = text[start:end]
    lines = "".join(f"      - {rule}\n" for rule in rules)
    if "\n    rules:\n" in entry:
        entry = entry.replace("\n    rules:\n", f"\n    rules:\n{lines}", 1)
    else:
        head = f"  - id: {clause_id}\n"
        entry = entry.replace(head, f"{head}    rules:\n{lines}", 1)
    path.write_text(text[:start] + entry + text[end:], encoding="utf-8")


def remove_rules(root: Path, file: str, clause_id: str) -> None:
    """Take a clause's `rules:` away, as before it was annotated."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    start, end = clause_span(text, clause_id)
    entry = re.sub(r"\n    rules:\n(?:      .*\n)+", "\n", text[start:end], count=1)
    path.write_text(text[:start] + entry + text[end:], encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


@functools.cache
def covering_set() -> tuple:
    """The covering set of the bundled library's stances, built once a run: it comes from the questionnaire,
    which these tests never change (they plant rules and actions), and building it takes a second or more."""
    return tuple(Linter(load_library(ROOT / "clauses")).stances())


def linter_for(root: Path) -> Linter:
    """A linter for a changed copy of the library that reuses the covering set instead of building it again."""
    linter = Linter(load_library(root))
    linter._stances = list(covering_set())
    return linter


def contradiction_problems(root: Path) -> list[str]:
    linter = linter_for(root)
    linter.check_contradictions()
    return linter.problems


# --- contradictions across the covering set of stances ---------------------------------------------


def test_planted_contradiction_names_both_clauses_the_action_and_the_stance(library_copy):
    # video.ask-to-install is stated by no clause, so the planted pair is the only contradiction.
    add_rules(library_copy, "08-messaging.yaml", "messaging.permitted", "{action: video.ask-to-install, modality: may}")
    add_rules(
        library_copy,
        "10-out-of-hours.yaml",
        "out-of-hours.not-allowed",
        "{action: video.ask-to-install, modality: must_not}",
    )
    problems = contradiction_problems(library_copy)
    assert len(problems) == 1, problems
    problem = problems[0]
    may_line = line_of(library_copy / "08-messaging.yaml", "{action: video.ask-to-install, modality: may}")
    must_not_line = line_of(library_copy / "10-out-of-hours.yaml", "{action: video.ask-to-install, modality: must_not}")
    assert f"clauses/08-messaging.yaml:{may_line}: messaging.permitted says may 'video.ask-to-install'" in problem
    assert f"clauses/10-out-of-hours.yaml:{must_not_line}: out-of-hours.not-allowed says must_not" in problem
    # The stance: an employer and the answers that bring both rules into one policy.
    assert re.search(r"stance (england|wales|scotland|northern_ireland), \w+;", problem), problem
    assert "messaging.whatsapp='permitted'" in problem and "out_of_hours.contact='not_allowed'" in problem


def test_a_rule_when_that_keeps_the_two_apart_passes(library_copy):
    add_rules(
        library_copy,
        "08-messaging.yaml",
        "messaging.permitted",
        "{action: video.ask-to-install, modality: may, when: out_of_hours.contact != 'not_allowed'}",
    )
    add_rules(
        library_copy,
        "10-out-of-hours.yaml",
        "out-of-hours.not-allowed",
        "{action: video.ask-to-install, modality: must_not}",
    )
    linter = linter_for(library_copy)
    assert linter.check_contradictions() == 0
    assert linter.problems == []
    assert linter.stances_checked > 100


def test_contradiction_in_one_nation_names_that_nation(library_copy):
    # devices.privacy-settings states a must rule for the action of the same name.
    add_rules(
        library_copy,
        "03-principles.yaml",
        "principles.regulator",
        "{action: devices.privacy-settings, modality: should_not, when: organisation.nation == 'wales'}",
    )
    problems = contradiction_problems(library_copy)
    assert len(problems) == 1 and "stance wales, " in problems[0], problems
    assert "devices.privacy-settings says must" in problems[0]
    assert "principles.regulator says should_not" in problems[0]


def test_no_stance_for_a_council_in_northern_ireland(library_copy):
    # This rule reaches a council only in Northern Ireland, where councils employ no social
    # workers, so this contradiction is in no real employer's policy.
    add_rules(
        library_copy, "07-devices.yaml", "devices.privacy-settings", "{action: viewing.covert, modality: must_not}"
    )
    add_rules(
        library_copy,
        "11-viewing.yaml",
        "viewing.law-listed-authority",
        "{action: viewing.covert, modality: may, when: organisation.type == 'local_authority' and organisation.nation == 'northern_ireland'}",
    )
    assert contradiction_problems(library_copy) == []


# --- one rule, one place: duplicate rulings and `see:` cross-references ------------------------------

PLANTED = "video.ask-to-install"  # an action no clause states, so planted rules are the only ones on it


@pytest.fixture(scope="module")
def bundled_stances() -> list:
    """The covering set of the bundled library (see covering_set)."""
    return list(covering_set())


def duplicate_check(root: Path, stances: list) -> Linter:
    linter = Linter(load_library(root))
    linter._stances = stances
    linter.check_contradictions()
    return linter


def test_two_clauses_ruling_on_one_action_are_a_duplicate_ruling(library_copy, bundled_stances):
    add_rules(library_copy, "03-principles.yaml", "principles.regulator", f"{{action: {PLANTED}, modality: may}}")
    add_rules(library_copy, "07-devices.yaml", "devices.privacy-settings", f"{{action: {PLANTED}, modality: may}}")
    linter = duplicate_check(library_copy, bundled_stances)
    planted = [d for d in linter.duplicates if f"'{PLANTED}'" in d]
    assert len(planted) == 1, planted
    first = line_of(library_copy / "03-principles.yaml", f"{{action: {PLANTED}, modality: may}}")
    second = line_of(library_copy / "07-devices.yaml", f"{{action: {PLANTED}, modality: may}}")
    message = planted[0]
    assert message.startswith(f"{library_copy}/03-principles.yaml:{first}: principles.regulator (may) and ")
    assert (
        f"{library_copy}/07-devices.yaml:{second}: devices.privacy-settings (may) both rule on '{PLANTED}'" in message
    )
    # Both clauses are in every policy: the stance is an employer, and no answer matters.
    assert re.search(r"in one policy: stance \w+, \w+; for any answers;", message), message
    assert "state it in one clause, or mark one a reminder with `see: <the other's id>`" in message
    assert linter.problems == []  # counted, not failed, until one_rule_one_place is switched on


def test_duplicate_names_the_answers_that_bring_both_clauses_in(library_copy, bundled_stances):
    add_rules(library_copy, "03-principles.yaml", "principles.regulator", f"{{action: {PLANTED}, modality: must}}")
    add_rules(library_copy, "08-messaging.yaml", "messaging.permitted", f"{{action: {PLANTED}, modality: should}}")
    planted = [d for d in duplicate_check(library_copy, bundled_stances).duplicates if f"'{PLANTED}'" in d]
    assert len(planted) == 1, planted
    assert "messaging.permitted (should)" in planted[0] and "principles.regulator (must)" in planted[0]
    assert "messaging.whatsapp='permitted'" in planted[0] and "devices.work_phones=" in planted[0]


def test_a_see_marks_a_reminder_and_passes(library_copy, bundled_stances):
    add_rules(library_copy, "03-principles.yaml", "principles.regulator", f"{{action: {PLANTED}, modality: may}}")
    add_rules(
        library_copy,
        "07-devices.yaml",
        "devices.privacy-settings",
        f"{{action: {PLANTED}, modality: may, see: principles.regulator}}",
    )
    linter = duplicate_check(library_copy, bundled_stances)
    assert [d for d in linter.duplicates if f"'{PLANTED}'" in d] == []
    assert linter.problems == []


def test_a_see_to_a_clause_not_in_the_policy_fails(library_copy, bundled_stances):
    # messaging.permitted is in a policy only where WhatsApp is permitted: elsewhere the reminder points nowhere.
    add_rules(library_copy, "08-messaging.yaml", "messaging.permitted", f"{{action: {PLANTED}, modality: may}}")
    add_rules(
        library_copy,
        "07-devices.yaml",
        "devices.privacy-settings",
        f"{{action: {PLANTED}, modality: may, see: messaging.permitted}}",
    )
    linter = duplicate_check(library_copy, bundled_stances)
    assert [d for d in linter.duplicates if f"'{PLANTED}'" in d] == []
    assert len(linter.problems) == 1, linter.problems
    line = line_of(library_copy / "07-devices.yaml", "see: messaging.permitted")
    problem = linter.problems[0]
    assert problem.startswith(
        f"{library_copy}/07-devices.yaml:{line}: devices.privacy-settings: rule for '{PLANTED}': see: messaging.permitted, "
        "but messaging.permitted is not in this policy"
    ), problem
    # The stance names the answers that keep messaging.permitted out.
    answers = dict(re.findall(r"(messaging\.whatsapp|devices\.work_phones)=('\w+'|None)", problem))
    assert set(answers) == {"messaging.whatsapp", "devices.work_phones"}, problem
    assert answers["messaging.whatsapp"] != "'permitted'" or answers["devices.work_phones"] in ("'none'", "None"), (
        problem
    )


def test_a_see_that_disagrees_with_the_rule_it_restates_fails(library_copy, bundled_stances):
    add_rules(library_copy, "03-principles.yaml", "principles.regulator", f"{{action: {PLANTED}, modality: should}}")
    add_rules(
        library_copy,
        "07-devices.yaml",
        "devices.privacy-settings",
        f"{{action: {PLANTED}, modality: must, see: principles.regulator}}",
    )
    problems = duplicate_check(library_copy, bundled_stances).problems
    assert len(problems) == 1, problems
    assert f"restates principles.regulator as must '{PLANTED}' but principles.regulator says should" in problems[0]


def test_a_see_to_a_clause_with_no_rule_on_the_action_fails(library_copy, bundled_stances):
    add_rules(
        library_copy,
        "07-devices.yaml",
        "devices.privacy-settings",
        f"{{action: {PLANTED}, modality: may, see: principles.regulator}}",
    )
    problems = duplicate_check(library_copy, bundled_stances).problems
    assert len(problems) == 1, problems
    assert f"see: principles.regulator, but principles.regulator states no rule on '{PLANTED}'" in problems[0]


def test_a_see_to_an_unknown_clause_fails_lint(library_copy):
    add_rules(
        library_copy,
        "07-devices.yaml",
        "devices.privacy-settings",
        f"{{action: {PLANTED}, modality: may, see: no.such}}",
    )
    # A sound reminder beside it, so the per-stance check runs too and must pass over the unknown one.
    add_rules(library_copy, "03-principles.yaml", "principles.regulator", f"{{action: {PLANTED}, modality: may}}")
    add_rules(
        library_copy,
        "04-personal-use.yaml",
        "personal-use.assume-public",
        f"{{action: {PLANTED}, modality: may, see: principles.regulator}}",
    )
    linter = linter_for(library_copy)
    linter.check_rules()
    assert [p for p in linter.problems if "see:" in p] == [
        f"{library_copy}/07-devices.yaml:{line_of(library_copy / '07-devices.yaml', 'see: no.such')}: "
        f"devices.privacy-settings: rule for '{PLANTED}': see: no.such is not a clause in the library; "
        "name the clause whose rule this one restates"
    ], linter.problems


def test_see_must_name_a_clause(library_copy):
    add_rules(
        library_copy, "07-devices.yaml", "devices.privacy-settings", f"{{action: {PLANTED}, modality: may, see: 3}}"
    )
    with pytest.raises(LibraryError, match="see: expected text, got a whole number; the id of the clause whose rule"):
        load_library(library_copy)


def test_duplicates_fail_lint_only_when_one_rule_one_place_is_on(library_copy, bundled_stances, monkeypatch):
    monkeypatch.delenv("POLICY_BUILDER_ONE_RULE_ONE_PLACE", raising=False)
    add_rules(library_copy, "03-principles.yaml", "principles.regulator", f"{{action: {PLANTED}, modality: may}}")
    add_rules(library_copy, "07-devices.yaml", "devices.privacy-settings", f"{{action: {PLANTED}, modality: may}}")
    # The bundled library has it on: start from a library with the switch off.
    settings = library_copy / "library.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("one_rule_one_place: true\n", ""), encoding="utf-8"
    )

    def check() -> Linter:
        linter = Linter(load_library(library_copy))
        linter._stances = bundled_stances
        linter.check_rules()
        return linter

    off = check()
    assert not any(f"'{PLANTED}'" in p for p in off.problems)
    note = next(n for n in off.notes if n.startswith("Rules: "))
    assert (
        f", 0 contradictions, {len(off.duplicates)} duplicate rulings allowed until one_rule_one_place is on (" in note
    )
    # Switched on in the library...
    (library_copy / "library.yaml").write_text(
        (library_copy / "library.yaml").read_text(encoding="utf-8") + "one_rule_one_place: true\n", encoding="utf-8"
    )
    on = check()
    assert sum(f"'{PLANTED}'" in p for p in on.problems) == 1
    assert len(on.duplicates) == len(off.duplicates)
    assert f"{len(on.duplicates)} duplicate rulings (" in next(n for n in on.notes if n.startswith("Rules: "))
    # ... and the environment variable overrides the library either way.
    monkeypatch.setenv("POLICY_BUILDER_ONE_RULE_ONE_PLACE", "0")
    assert not any(f"'{PLANTED}'" in p for p in check().problems)


def test_guide_clauses_rule_on_nothing(library: Library):
    # Only policy clauses count: the loader refuses rules on a guide clause, so none reach the check.
    assert all(not clause.rules for clause in library.clauses if clause.document == "guide")


def test_covering_set_holds_every_possible_pair_and_no_impossible_one(library: Library):
    linter = Linter(library)
    stances = linter.stances()
    employers = {(s["organisation.nation"], s["organisation.type"]) for s in stances}
    assert len(employers) == 19 and ("northern_ireland", "local_authority") not in employers
    for nation, kind in employers:
        mine = [s for s in stances if (s["organisation.nation"], s["organisation.type"]) == (nation, kind)]
        pairs = {(s["messaging.whatsapp"], s["messaging.record_method"]) for s in mine}
        # Messaging not allowed: the record method is not asked, so it stays unanswered (None).
        expected = {
            (w, m) for w in ("keep_in_touch", "permitted") for m in ("screenshot", "export", "integrated", "none", None)
        }
        assert pairs == expected | {("not_allowed", None)}, (nation, kind)
        views = {(s["surveillance.viewing"], s["out_of_hours.contact"]) for s in mine}
        assert len(views) == 9
        services = {(tuple(s["organisation.services"]), s["training.carers"]) for s in mine}
        assert len(services) == 9  # three sets of services, each with carers trained yes, no or unanswered
    assert linter.pairwise(dict(stances[0])) == Linter(library).pairwise(dict(stances[0]))  # deterministic


def test_covering_set_is_quick_enough(library: Library):
    import time

    # Processor time, not the clock: on a shared machine other jobs' load made the clock time fail (6-7 s).
    started = time.process_time()
    Linter(library).stances()
    assert time.process_time() - started < 5


# --- level and wording ------------------------------------------------------------------------------------


def with_rules(
    library: Library, clause_id: str, *rules: tuple[str, str], text: str | None = None, level: str | None = None
):
    clause = library.clause(clause_id)
    changes = {"rules": tuple(Rule(action=a, modality=m) for a, m in rules)}
    if text is not None:
        changes["text"] = text
    if level is not None:
        changes["level"] = level
    return dataclasses.replace(clause, **changes)


def test_rules_that_agree_with_level_and_wording_pass(library: Library):
    clause = with_rules(library, "out-of-hours.not-allowed", ("out-of-hours.contact", "must_not"))
    assert level_problems(clause) == [] and wording_problems(clause) == []
    permitted = with_rules(
        library, "messaging.permitted", ("messaging.app", "may"), ("messaging.sensitive-content", "must_not")
    )
    assert level_problems(permitted) == [], level_problems(permitted)


def test_level_disagreeing_with_rules_is_caught(library: Library):
    assert any(
        "level may but it states a must rule" in p
        for p in level_problems(
            with_rules(
                library,
                "personal-use.monitoring",
                ("monitoring.work-systems", "may"),
                ("messaging.work-device-only", "must"),
            )
        )
    )
    assert any(
        "level must but no rule is must or must_not" in p
        for p in level_problems(with_rules(library, "out-of-hours.not-allowed", ("out-of-hours.contact", "may")))
    )
    assert any(
        "level note" in p
        for p in level_problems(
            with_rules(library, "definitions.social-media", ("posting.harmful-content", "must_not"))
        )
    )
    assert (
        level_problems(dataclasses.replace(library.clause("out-of-hours.not-allowed"), rules=())) == []
    )  # no rules yet: not judged


def test_modal_verbs_disagreeing_with_rules_are_caught(library: Library):
    text = "Staff must tell their manager about any contact outside working hours."
    clause = with_rules(library, "out-of-hours.not-allowed", ("out-of-hours.contact", "must_not"), text=text)
    assert any(
        "must_not rule (out-of-hours.contact)" in p and "'must not' or 'never'" in p for p in wording_problems(clause)
    )
    clause = with_rules(
        library, "out-of-hours.not-allowed", ("out-of-hours.contact", "must"), text="Staff must not reply."
    )
    assert any("has a must rule" in p for p in wording_problems(clause))
    clause = with_rules(
        library, "out-of-hours.not-allowed", ("out-of-hours.rota-contact", "may"), text="Staff must not reply."
    )
    assert any("has a may rule" in p for p in wording_problems(clause))
    # Words inside Jinja tags do not count: only what a reader can see.
    clause = with_rules(
        library, "out-of-hours.not-allowed", ("out-of-hours.contact", "must_not"), text="Staff {{ 'must not' }} reply."
    )
    assert any("has no must, should, may" in p for p in wording_problems(clause))


def test_rule_stated_as_fact_is_caught(library: Library):
    clause = with_rules(
        library,
        "out-of-hours.not-allowed",
        ("out-of-hours.contact", "must_not"),
        text="Staff contact people only in working hours.",
    )
    problems = wording_problems(clause)
    assert len(problems) == 1 and "has no must, should, may, never or do not" in problems[0]


def test_verbs_the_definitions_do_not_define_are_caught(library: Library):
    text = "Staff should keep digital-free time and are encouraged to switch off. Staff are expected to rest."
    clause = with_rules(library, "staff-safety.digital-wellbeing", ("wellbeing.digital-free-time", "should"), text=text)
    problems = wording_problems(clause)
    assert any("'are expected to'" in p for p in problems) and any("'encouraged'" in p for p in problems)
    fine = "Staff should keep digital-free time. Staff are not expected to answer messages at night."
    clause = with_rules(library, "staff-safety.digital-wellbeing", ("wellbeing.digital-free-time", "should"), text=fine)
    assert wording_problems(clause) == []


def test_lint_reports_level_and_wording_problems_with_the_clause(library_copy):
    add_rules(
        library_copy,
        "04-personal-use.yaml",
        "personal-use.monitoring",
        "{action: messaging.work-device-only, modality: must}",
    )
    remove_rules(library_copy, "10-out-of-hours.yaml", "out-of-hours.emergency-route")
    linter = linter_for(library_copy)
    linter.check_rules()
    assert any(
        re.search(
            r"clauses/04-personal-use\.yaml:\d+: personal-use\.monitoring: level may but it states a must rule", p
        )
        for p in linter.problems
    ), linter.problems
    assert any(note.startswith("Rules: ") and "stances checked, 0 contradictions" in note for note in linter.notes)
    # Every rule-stating clause must say its rules: one without them fails lint.
    assert any(
        re.search(r"10-out-of-hours\.yaml:\d+: out-of-hours\.emergency-route: level \w+ but no 'rules:'", p)
        for p in linter.problems
    ), linter.problems


# --- loading ----------------------------------------------------------------------------------------------


def test_unknown_action_is_an_error_at_its_line_with_a_suggestion(library_copy):
    add_rules(library_copy, "08-messaging.yaml", "messaging.permitted", "{action: messaging.smss, modality: may}")
    with pytest.raises(LibraryError) as error:
        load_library(library_copy)
    line = line_of(library_copy / "08-messaging.yaml", "messaging.smss")
    message = str(error.value)
    assert f"08-messaging.yaml:{line}: messaging.permitted: unknown action 'messaging.smss'" in message
    assert "did you mean 'messaging.sms'" in message


def test_bad_modality_is_an_error_listing_the_modalities(library_copy):
    add_rules(library_copy, "08-messaging.yaml", "messaging.permitted", "{action: messaging.sms, modality: shall}")
    with pytest.raises(
        LibraryError,
        match=r"08-messaging\.yaml:\d+: messaging\.permitted: .*modality 'shall' is not one of must, must_not, should, should_not, may",
    ):
        load_library(library_copy)


def test_bad_rule_when_is_an_error(library_copy):
    add_rules(
        library_copy,
        "08-messaging.yaml",
        "messaging.permitted",
        '{action: messaging.sms, modality: may, when: "messaging.apps =="}',
    )
    with pytest.raises(
        LibraryError,
        match=r"08-messaging\.yaml:\d+: messaging\.permitted: rule for 'messaging\.sms': when: cannot be read",
    ):
        load_library(library_copy)


def test_unknown_name_in_rule_when_is_a_library_problem(library_copy):
    add_rules(
        library_copy,
        "08-messaging.yaml",
        "messaging.permitted",
        "{action: messaging.sms, modality: may, when: \"'sms' in messaging.appz\"}",
    )
    library = load_library(library_copy)
    assert any("rule for 'messaging.sms': when" in str(p) and "messaging.appz" in str(p) for p in library.problems)


def test_clauses_without_rules_still_load(library_copy):
    remove_rules(library_copy, "08-messaging.yaml", "messaging.permitted")
    library = load_library(library_copy)
    assert library.actions and library.clause("messaging.permitted").rules == ()
    assert library.clause("messaging.keep-in-touch-only").rules  # its neighbours keep theirs


# --- the staff card and the leaflet ---------------------------------------------------------------------------

ITEM = """
  - kind: do
    clause: out-of-hours.by-judgement
    rule: {action: video.ask-to-install, modality: may}
    text: Contact people out of hours only when their safety needs it.
"""


def add_summary_item(root: Path, item: str = ITEM) -> None:
    path = root / "summary.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nitems:\n", "\nitems:\n" + item, 1), encoding="utf-8")


def policy_with(library: Library, tmp_path: Path, **answers):
    from conftest import yaml  # the same YAML dump the other tests use

    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(with_answers(base_profile(), **answers)), encoding="utf-8")
    return build_policy(library, load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE))


def test_summary_item_with_a_rule_shows_only_when_the_policy_holds_the_rule(library_copy, tmp_path):
    add_rules(
        library_copy,
        "10-out-of-hours.yaml",
        "out-of-hours.by-judgement",
        "{action: video.ask-to-install, modality: may, when: devices.work_phones == 'all'}",
    )
    add_summary_item(library_copy)
    library = load_library(library_copy)
    wanted = "Contact people out of hours only when their safety needs it"

    def card(**answers) -> str:
        policy = policy_with(library, tmp_path, **answers)
        return "\n".join(text for _, text in staff_summary(library, policy).blocks)

    assert wanted in card(out_of_hours__contact="allowed", devices__work_phones="all")
    # The clause is in the policy, but its rule's when is false: no rule, no item.
    assert wanted not in card(out_of_hours__contact="allowed", devices__work_phones="none")
    assert wanted not in card(out_of_hours__contact="not_allowed", devices__work_phones="all")


def test_leaflet_block_with_a_rule(library_copy, tmp_path):
    # out-of-hours.by-judgement states may 'out-of-hours.contact'.
    path = library_copy / "leaflet.yaml"
    block = "  - text: We may call you in the evening if we are worried about you.\n    rule: {action: out-of-hours.contact, modality: may}\n"
    path.write_text(path.read_text(encoding="utf-8").replace("\nblocks:\n", "\nblocks:\n" + block, 1), encoding="utf-8")
    library = load_library(library_copy)
    wanted = "We may call you in the evening"
    allowed = leaflet(library, policy_with(library, tmp_path, out_of_hours__contact="allowed"))
    not_allowed = leaflet(library, policy_with(library, tmp_path, out_of_hours__contact="not_allowed"))
    assert any(wanted in text for _, text in allowed.blocks)
    assert not any(wanted in text for _, text in not_allowed.blocks)


def test_lint_fails_a_summary_rule_no_clause_states(library_copy):
    add_summary_item(library_copy)
    linter = Linter(load_library(library_copy))
    linter.check_handouts()
    assert any(
        "summary.yaml:" in p and "no clause states may 'video.ask-to-install', so this is never shown" in p
        for p in linter.problems
    ), linter.problems


def test_lint_fails_a_summary_rule_with_an_unknown_action(library_copy):
    add_summary_item(library_copy, ITEM.replace("video.ask-to-install", "video.ask-to-instal"))
    linter = Linter(load_library(library_copy))
    linter.check_handouts()
    assert any(
        "unknown action 'video.ask-to-instal' (did you mean 'video.ask-to-install'" in p for p in linter.problems
    )


def test_summary_item_with_both_when_and_rule_is_refused(library_copy):
    add_summary_item(library_copy, ITEM + "    when: out_of_hours.contact == 'allowed'\n")
    from policy_builder.render.summary import load_summary

    with pytest.raises(LibraryError, match=r"summary\.yaml:\d+: give when: or rule:, not both"):
        load_summary(library_copy)


def test_action_in_an_unknown_section_is_a_lint_problem(library_copy):
    path = library_copy / "actions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("section: viewing", "section: viewng", 1), encoding="utf-8"
    )
    linter = linter_for(library_copy)
    linter.check_rules()
    assert any(
        re.search(r"actions\.yaml:\d+: viewing\.\S+: section 'viewng' is not a section of the library", p)
        for p in linter.problems
    ), linter.problems


def test_action_id_must_be_dotted_lowercase(library_copy):
    path = library_copy / "actions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  messaging.sms:", "  Messaging SMS:", 1), encoding="utf-8"
    )
    with pytest.raises(LibraryError, match=r"actions\.yaml:\d+: action id 'Messaging SMS' must be lowercase"):
        load_library(library_copy)
