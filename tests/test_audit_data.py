"""The audit's wording is data (clauses/audit.yaml, clauses/audit-answers.yaml), and lint checks it: each
mistake is one line with the file, the line, the problem and what is allowed."""

import re
from pathlib import Path

import pytest
from conftest import copy_library

from policy_builder.audit.api import infer_scope, matcher_for
from policy_builder.audit.match import Matcher
from policy_builder.audit.read import Passage
from policy_builder.checks.lint import lint_library
from policy_builder.content.library import load_library


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    # one section is enough: the audit check reads the audit files, the actions and the questionnaire
    return copy_library(tmp_path / "clauses", "05-boundaries.yaml")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def audit_problems(folder: Path) -> list[str]:
    return lint_library(load_library(folder), checks=["audit"])


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_the_bundled_audit_files_are_clean():
    assert lint_library(load_library(), checks=["audit"]) == []


def test_an_unknown_action_is_named_with_its_line(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "\n  devices.lock:\n", "\n  devices.lockk:\n")
    problems = audit_problems(library_copy)
    assert problems == [
        f"{path}:{line_of(path, 'devices.lockk:')}: actions: unknown action 'devices.lockk' (not in clauses/actions.yaml)"
    ]


def test_a_bad_pattern_in_audit_yaml_is_named_with_its_line(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "    - must never\n", "    - must (never\n")
    (problem,) = audit_problems(library_copy)
    assert problem.startswith(f"{path}:{line_of(path, 'must (never')}: modality.forbids: 'must (never' is not a valid")


def test_a_bad_re_term_is_named_with_its_action(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "\n  devices.lock:\n    terms:\n      - [", "\n  devices.lock:\n    terms:\n      - ['re:pin(', ")
    (problem,) = audit_problems(library_copy)
    assert re.match(rf"{re.escape(str(path))}:\d+: devices.lock: 're:pin\(' is not a valid regular expression", problem)


def test_a_key_the_schema_does_not_allow_says_what_is_allowed(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "\n  devices.lock:\n    terms:", "\n  devices.lock:\n    trems: []\n    terms:")
    (problem,) = audit_problems(library_copy)
    assert problem.startswith(f"{path}:{line_of(path, 'trems:')}: ")
    assert "'trems'" in problem or "trems" in problem
    assert (
        "allowed: acts, against, elsewhere, inverts, limits, object, phrasings, position, terms, unless, unless_at"
        in problem
    )


def test_a_scope_signal_for_an_unknown_nation_or_type_is_caught(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "\n    england:\n      - '\\bSocial Work England", "\n    englund:\n      - '\\bSocial Work England")
    edit(path, "\n    voluntary:\n      - '(?i:", "\n    charity:\n      - '(?i:")
    problems = audit_problems(library_copy)
    assert (
        f"{path}:{line_of(path, 'englund:')}: scope.nation: 'englund' is not one of nations.yaml's nations"
        in (problems[0])
    )
    assert "england, northern_ireland, scotland, wales" in problems[0]
    assert f"{path}:{line_of(path, '    charity:')}: scope.employer_type: 'charity' is not one of" in problems[1]
    assert "voluntary" in problems[1]


def test_an_unknown_question_in_audit_answers_is_named(library_copy):
    path = library_copy / "audit-answers.yaml"
    edit(path, "\n  messaging.whatsapp:\n", "\n  messaging.whatsap:\n")
    (problem,) = audit_problems(library_copy)
    assert problem == (
        f"{path}:{line_of(path, 'messaging.whatsap:')}: 'messaging.whatsap' is not a question in the "
        "questionnaire (clauses/questionnaire.yaml)"
    )


def test_a_value_the_question_does_not_allow_is_named_with_what_it_allows(library_copy):
    path = library_copy / "audit-answers.yaml"
    edit(path, "      - value: keep_in_touch\n", "      - value: sometimes\n")
    (problem,) = audit_problems(library_copy)
    assert problem == (
        f"{path}:{line_of(path, 'value: sometimes')}: messaging.whatsapp: 'sometimes' is not one of "
        "not_allowed, keep_in_touch, permitted"
    )


def test_a_bad_regular_expression_in_audit_answers_is_named(library_copy):
    path = library_copy / "audit-answers.yaml"
    edit(path, "    about: '\\bvideo\\s+(calls?", "    about: '\\bvideo\\s+((calls?")
    (problem,) = audit_problems(library_copy)
    line = line_of(path, "video\\s+((calls?")
    assert problem.startswith(f"{path}:{line}: video.platforms: about: not a valid regular expression")


def test_the_scope_signals_come_from_audit_yaml(library_copy):
    """A signal added to the data changes what the audit infers, with no change to the code."""
    passages = [Passage("This policy applies to all staff of Oldmoor Care Homes.", "", "paragraph 1", 0)]
    library = load_library()
    assert infer_scope(passages, config=matcher_for(library).config).employer_type is None
    edit(
        library_copy / "audit.yaml",
        "    independent_provider:\n",
        "    independent_provider:\n      - '\\bCare Homes\\b'\n",
    )
    copied = load_library(library_copy)
    scope = infer_scope(passages, config=matcher_for(copied).config)
    assert (scope.employer_type, scope.evidence["employer_type"]) == ("independent_provider", "Care Homes")


def test_a_bad_re_object_word_is_named_with_its_action(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "\n  devices.lock:\n    terms:", "\n  devices.lock:\n    object: ['re:lock(']\n    terms:")
    (problem,) = audit_problems(library_copy)
    assert re.match(
        rf"{re.escape(str(path))}:\d+: devices.lock: 're:lock\(' is not a valid regular expression", problem
    )


def test_a_bad_grammar_pattern_is_named_with_its_line(library_copy):
    path = library_copy / "audit.yaml"
    edit(path, "  part_breaks:\n    - ';\\s'", "  part_breaks:\n    - ';\\s('")
    (problem,) = audit_problems(library_copy)
    assert problem.startswith(f"{path}:{line_of(path, chr(39) + ';' + chr(92) + 's(' + chr(39))}: ")
    assert "grammar.part_breaks: ';\\s(' is not a valid regular expression" in problem


def test_how_a_sentence_is_read_comes_from_the_grammar_in_audit_yaml(library_copy):
    # "Kindly" is no softener in the bundled grammar, so the sentence opens with no instruction; made one,
    # the instruction after it ("decline") is read
    def verdict() -> str:
        matches = Matcher(load_library(library_copy)).match(
            [Passage("Kindly decline friend requests from parents.", "Requests", "'Requests', paragraph 1", 0)]
        )
        return next(m.verdict for m in matches if m.action == "contact.friend-request-service-user")

    assert verdict() == "misses"
    edit(library_copy / "audit.yaml", "  softeners: [just,", "  softeners: [kindly, just,")
    assert verdict() == "covers"
