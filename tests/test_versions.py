"""Clause versions and questionnaire evolution: lint catches silent rewording, old profiles keep loading."""

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUILD_DATE, ROOT, base_profile, copy_library

from policy_builder.checks.lint import lint_library
from policy_builder.cli import main
from policy_builder.content.library import load_library
from policy_builder.core.errors import LibraryError
from policy_builder.pipeline.profile import load_profile


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    target = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", target)
    return target


def reword(library_dir: Path, bump: bool) -> int:
    """Change one sentence of boundaries.dual-relationships; return the clause's version before the change."""
    path = library_dir / "05-boundaries.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: boundaries.dual-relationships")
    end = text.index("- id:", start + 5)
    version = int(re.search(r"version: (\d+)", text[start:end]).group(1))
    block = text[start:end].replace("must never discuss work with them.", "must never discuss their work with them.")
    assert block != text[start:end], "the sentence to reword is gone: pick another"
    if bump:
        block = block.replace(f"version: {version}", f"version: {version + 1}", 1)
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    return version


def test_changed_text_without_a_new_version_fails_lint(library_copy):
    version = reword(library_copy, bump=False)
    problems = lint_library(load_library(library_copy), checks=["versions"])
    wanted = (
        f"boundaries.dual-relationships: text changed but version is still {version}: raise version to {version + 1}"
    )
    assert any(wanted in p for p in problems), problems


def test_new_version_must_be_recorded_then_lint_passes(library_copy):
    version = reword(library_copy, bump=True)
    problems = lint_library(load_library(library_copy), checks=["versions"])
    wanted = f"boundaries.dual-relationships: version {version + 1} is not recorded: run 'policy-builder lint --record'"
    assert any(wanted in p for p in problems), problems
    # Recorded, the version check passes (the other checks do not read versions: --only keeps it quick).
    result = CliRunner().invoke(main, ["--library", str(library_copy), "lint", "--record", "--only", "versions"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Recorded 1 new clause version."
    history = (library_copy / "clause-history.yaml").read_text(encoding="utf-8")
    assert "must never discuss their work with them." in history


def test_library_version_needs_a_changelog_entry(library_copy):
    (library_copy / "library.yaml").write_text('version: "1.2.0"\n', encoding="utf-8")
    problems = lint_library(load_library(library_copy), checks=["versions"])
    assert any("no '## 1.2.0' entry" in p for p in problems), problems


def write_profile_text(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "old.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_new_questions_are_listed_for_a_profile_written_before_them(library_copy, tmp_path):
    questionnaire = library_copy / "questionnaire.yaml"
    text = questionnaire.read_text(encoding="utf-8")
    # Written for the questionnaire as it stands, whatever its version; the copy adds one question in "9.0".
    current = re.search(r'^version: "([^"]+)"', text, flags=re.M).group(1)
    text = text.replace(f'version: "{current}"', 'version: "9.0"', 1)
    text += """
  - id: contacts.digital_lead
    section: contacts
    type: text
    default: null
    since: "9.0"
    prompt: Who leads on digital practice?
    help: A role, for example "the Digital Practice Lead".
    sources: []
"""
    questionnaire.write_text(text, encoding="utf-8")
    library = load_library(library_copy)
    import yaml

    profile = base_profile()
    profile["questionnaire"] = current
    path = write_profile_text(tmp_path, yaml.safe_dump(profile))
    answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert answers.new_questions == ["contacts.digital_lead"]
    profile = base_profile()
    profile["questionnaire"] = "9.0"
    path = write_profile_text(tmp_path, yaml.safe_dump(profile))
    assert load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE).new_questions == []


def test_renamed_and_removed_questions_still_load_with_notes(library_copy, tmp_path):
    (library_copy / "migrations.yaml").write_text(
        "renamed:\n  messaging.case_system: messaging.record_system\n"
        "removed:\n  messaging.voice_notes: voice notes are now covered by the messaging clauses\n",
        encoding="utf-8",
    )
    library = load_library(library_copy)
    import yaml

    profile = base_profile()
    del profile["messaging"]["record_system"]
    profile["messaging"]["case_system"] = "Liquidlogic"
    profile["messaging"]["voice_notes"] = True
    path = write_profile_text(tmp_path, yaml.safe_dump(profile))
    answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert answers["messaging.record_system"] == "Liquidlogic"
    assert answers.notes == [
        "messaging.case_system is now called messaging.record_system; the answer was moved (update the profile to use messaging.record_system)",
        "messaging.voice_notes is no longer asked (voice notes are now covered by the messaging clauses); the answer is ignored",
    ]


# --- the history's size limit grows with the library (issue 20) ------------------------------


def pad_history(library_dir: Path, size: int) -> None:
    """Make clauses/clause-history.yaml about ``size`` bytes: the versions of a retired clause, kept as
    a history keeps them, each a long text."""
    path = library_dir / "clause-history.yaml"
    text = path.read_text(encoding="utf-8")
    line = "    Staff must keep personal and work accounts apart and must not post about people who use services.\n"
    body = line * 40
    entries = []
    version = 0
    while len(text) + sum(map(len, entries)) < size:
        version += 1
        entries.append(
            f"- sha256: '{version:016x}'\n  text: |\n{body}  title: Retired {version}\n  version: {version}\n"
        )
    path.write_text(text + "retired.padding:\n" + "".join(entries), encoding="utf-8")


def test_a_history_over_2_mb_passes_lint_when_the_library_is_large_enough_to_have_one(library_copy):
    from policy_builder.content.versions import HISTORY_BYTES_PER_CLAUSE, history_limit
    from policy_builder.core.yamlio import MAX_FILE_BYTES

    clauses = len(load_library(library_copy).clauses)
    limit = history_limit(clauses)
    assert limit == clauses * HISTORY_BYTES_PER_CLAUSE > MAX_FILE_BYTES + 256 * 1024, "the library is too small"
    pad_history(library_copy, MAX_FILE_BYTES + 128 * 1024)
    assert MAX_FILE_BYTES < (library_copy / "clause-history.yaml").stat().st_size < limit
    result = CliRunner().invoke(main, ["--library", str(library_copy), "lint", "--only", "versions"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Library OK:"), result.output


def test_a_history_over_its_limit_is_refused_with_the_limit_for_that_library(tmp_path):
    from policy_builder.content.versions import history_limit

    small = copy_library(tmp_path / "clauses", "05-boundaries.yaml", "08-messaging.yaml")
    clauses = len(load_library(small).clauses)
    assert history_limit(clauses) == 2 * 1024 * 1024  # a small library keeps the limit of every YAML file
    pad_history(small, 2 * 1024 * 1024 + 64 * 1024)
    size = (small / "clause-history.yaml").stat().st_size
    result = CliRunner().invoke(main, ["--library", str(small), "lint", "--only", "versions"])
    assert result.exit_code == 2, result.output
    assert f"clause-history.yaml: file is {size // 1024} KB; the most allowed is 2048 KB" in result.output


def test_a_clause_file_over_2_mb_is_still_refused_in_a_library_of_any_size(library_copy):
    section = library_copy / "05-boundaries.yaml"
    text = section.read_text(encoding="utf-8")
    section.write_text(text + "# padding\n" * (2 * 1024 * 1024 // 10 + 1), encoding="utf-8")
    with pytest.raises(LibraryError, match=r"05-boundaries.yaml: file is 2\d\d\d KB; the most allowed is 2048 KB"):
        load_library(library_copy)
