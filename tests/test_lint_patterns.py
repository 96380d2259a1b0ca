"""The audit's patterns that compiled are kept between runs (content/auditfiles.py): a later lint compiles
none of them again, yet still finds a bad one, and a kept file that was altered is not believed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import copy_library

from policy_builder.content import auditfiles
from policy_builder.content.library import load_library
from policy_builder.core import signed_cache, templating


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new cache folder, and the process as a new one finds it: nothing compiled, no key read."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(templating.CACHE_ENV, str(folder))
    monkeypatch.setattr(templating, "_folder", False)
    monkeypatch.setattr(signed_cache, "_keys", {})
    for name in ("_compiled", "_fresh", "_used"):
        monkeypatch.setattr(auditfiles, name, set())
    return folder


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_compiled", "_fresh", "_used"):
        monkeypatch.setattr(auditfiles, name, set())


def compiles_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = re.compile

    def counted(pattern: str, flags: int = 0) -> re.Pattern[str]:
        seen.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(auditfiles.re, "compile", counted)
    return seen


def test_a_second_lint_compiles_no_pattern_again(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = load_library()
    seen = compiles_counted(monkeypatch)
    assert auditfiles.audit_file_problems(library) == []
    assert len(seen) > 100  # every pattern of audit.yaml and audit-answers.yaml, the first time
    assert (fresh / auditfiles.PATTERNS_FILE).exists()
    new_process(monkeypatch)
    seen.clear()
    assert auditfiles.audit_file_problems(library) == []
    assert seen == []


def test_a_bad_pattern_is_found_after_the_good_ones_were_kept(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert auditfiles.audit_file_problems(load_library()) == []
    new_process(monkeypatch)
    folder = copy_library(tmp_path / "lib")
    path = folder / "audit.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    - must never\n", "    - must (never\n", 1))
    (problem,) = auditfiles.audit_file_problems(load_library(folder))
    assert "modality.forbids: 'must (never' is not a valid regular expression" in problem


def test_an_altered_file_of_kept_patterns_is_ignored(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = load_library()
    auditfiles.audit_file_problems(library)
    kept = fresh / auditfiles.PATTERNS_FILE
    before = kept.read_bytes()
    kept.write_bytes(before.replace(b'"compiled": ["', b'"compiled": ["0', 1))
    assert kept.read_bytes() != before
    new_process(monkeypatch)
    seen = compiles_counted(monkeypatch)
    assert auditfiles.audit_file_problems(library) == []
    assert len(seen) > 100  # not signed any more: every pattern compiled again
