"""lint proves the library's rules over every combination of answers, and says where it breaks."""

import re
from pathlib import Path

import pytest
from conftest import copy_library

from policy_builder.checks.lint import lint_library
from policy_builder.content.library import load_library
from policy_builder.core.errors import LibraryError


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    return copy_library(tmp_path / "clauses")


def section_copy(tmp_path: Path, section: str) -> Path:
    """The library with only this section: each test lints what it changed, not the whole library."""
    return copy_library(tmp_path / "clauses", section)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_library_is_clean(bundled_lint):
    problems, notes = bundled_lint
    assert problems == []
    # The covering set of stances is built (and said) even before clauses state rules.
    stances = next(note for note in notes if note.startswith("Rules: "))
    assert re.match(r"Rules: \d{3,} stances checked, 0 contradictions", stances), notes


def test_group_with_a_gap_is_caught_with_the_answers_that_show_it(library_copy):
    edit(
        library_copy / "06-work-accounts.yaml",
        "when: accounts.dedicated == 'organisation_managed'",
        "when: accounts.dedicated == 'organisation_managed' and organisation.type == 'local_authority'",
    )
    problems = lint_library(load_library(library_copy), checks=["groups"])
    assert any(
        "group 'accounts-stance': gives no clause when" in p
        and "accounts.dedicated='organisation_managed'" in p
        and "exactly one must apply" in p
        for p in problems
    ), problems


def test_overlapping_group_members_are_caught(library_copy):
    edit(library_copy / "06-work-accounts.yaml", "when: accounts.dedicated == 'with_manager_approval'", "when: true")
    problems = lint_library(load_library(library_copy), checks=["groups"])
    assert any("group 'accounts-stance': gives" in p and "work-accounts." in p for p in problems), problems


def test_unknown_question_in_a_condition(tmp_path):
    library_copy = section_copy(tmp_path, "06-work-accounts.yaml")
    edit(
        library_copy / "06-work-accounts.yaml",
        "when: accounts.dedicated == 'not_allowed'",
        "when: accounts.dedicatd == 'not_allowed'",
    )
    problems = lint_library(load_library(library_copy), checks=["sections"])
    assert any("06-work-accounts.yaml:" in p and "uses unknown name 'accounts.dedicatd'" in p for p in problems), (
        problems
    )


def test_printing_a_blank_answer_is_caught(tmp_path):
    library_copy = section_copy(tmp_path, "05-boundaries.yaml")
    edit(
        library_copy / "05-boundaries.yaml",
        "    text: |\n",
        "    text: |\n      Ask {{ contacts.ripa }} first.\n",
    )
    problems = lint_library(load_library(library_copy), checks=["sections"])
    assert any("fails to render when" in p and "contacts.ripa=None" in p for p in problems), problems


def test_uncovered_item_is_caught(library_copy):
    sources = library_copy / "sources.yaml"
    edit(sources, "not_applicable: {}", "not_applicable: {}\n")
    text = sources.read_text(encoding="utf-8")
    sources.write_text(
        text.replace(
            "items:\n", "items:\n  BASW-99: {document: BASW, summary: A new paragraph in a new edition.}\n", 1
        ),
        encoding="utf-8",
    )
    problems = lint_library(load_library(library_copy), checks=["coverage"])
    assert any("item BASW-99 is cited by no clause" in p for p in problems), problems


def test_repeated_paragraph_is_caught(library_copy):
    path = library_copy / "05-boundaries.yaml"
    text = path.read_text(encoding="utf-8")
    paragraph = "Staff must keep a written note of every request they decline, with the date and the platform, and tell their manager."
    text = text.replace("    text: |\n", f"    text: |\n      {paragraph}\n\n", 2)
    path.write_text(text, encoding="utf-8")
    problems = lint_library(load_library(library_copy), checks=["repeated-paragraphs"])
    assert any("repeats a paragraph of" in p for p in problems), problems


def test_duplicate_clause_id_stops_loading_with_both_places(tmp_path):
    library_copy = section_copy(tmp_path, "05-boundaries.yaml")
    edit(
        library_copy / "05-boundaries.yaml",
        "- id: boundaries.personal-details",
        "- id: boundaries.no-personal-connections",
    )
    with pytest.raises(LibraryError) as info:
        load_library(library_copy)
    lines = (library_copy / "05-boundaries.yaml").read_text(encoding="utf-8").splitlines()
    first, second = [n for n, line in enumerate(lines, 1) if line.strip() == "- id: boundaries.no-personal-connections"]
    assert (
        f"05-boundaries.yaml:{second}: clause id 'boundaries.no-personal-connections' is already used at"
        f" 05-boundaries.yaml:{first}" in str(info.value)
    )


def test_unknown_source_id_stops_loading(tmp_path):
    library_copy = section_copy(tmp_path, "06-work-accounts.yaml")
    edit(
        library_copy / "06-work-accounts.yaml",
        "sources: [LBWF-IG-DEDICATED, SWE-CONNECTING-RULES",
        "sources: [LBWF-IG-DEDICATD, SWE-CONNECTING-RULES",
    )
    with pytest.raises(LibraryError) as info:
        load_library(library_copy)
    assert "unknown source id(s) LBWF-IG-DEDICATD" in str(info.value)


def test_jinja_syntax_error_names_the_line(tmp_path):
    library_copy = section_copy(tmp_path, "05-boundaries.yaml")
    edit(
        library_copy / "05-boundaries.yaml", "    text: |\n", "    text: |\n      {% if organisation.name %}unclosed\n"
    )
    with pytest.raises(LibraryError) as info:
        load_library(library_copy)
    assert "05-boundaries.yaml:" in str(info.value) and "template error" in str(info.value)


def test_lint_runs_every_check_by_default_and_names_a_wrong_one(library):
    from policy_builder.checks.lint import CHECKS, Linter

    # run() calls check_<name> for each name in CHECKS ("sections" once per section): a new check method
    # missing from CHECKS would never run.
    methods = {name.removeprefix("check_").replace("_", "-") for name in dir(Linter) if name.startswith("check_")}
    assert methods - {"section", "contradictions"} == set(CHECKS) - {"sections"}
    with pytest.raises(ValueError, match="unknown lint check.*groupz; one of questionnaire, sections"):
        lint_library(library, checks=["groupz"])
