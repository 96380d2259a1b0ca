"""benchmarks/library_scale.py makes the library N times its size for the 1x/5x/20x benchmark (issue 20):
a library that loads, passes lint and builds, with N times the clauses in every section and document (here 2:
`policy-builder --library DIR lint` of the 20x library passes in full, in about a minute)."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import BUILD_DATE, PROFILES, ROOT

from policy_builder.checks.lint import CHECKS, lint_report
from policy_builder.content.library import Library, load_library
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Library:
    spec = importlib.util.spec_from_file_location("library_scale", ROOT / "benchmarks" / "library_scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return load_library(module.make_scaled_library(2, tmp_path_factory.mktemp("scaled") / "clauses"))


def test_every_section_has_twice_its_clauses_with_new_ids_and_the_same_questions(library, scaled):
    for section, original in zip(scaled.sections, library.sections, strict=True):
        ids = [c.id for c in original.clauses]
        assert [c.id for c in section.clauses] == ids + [f"{i}-copy2" for i in ids]
        copy = section.clauses[len(ids)]
        assert copy.title == f"{original.clauses[0].title} (variant 2)"
        assert copy.text != original.clauses[0].text
    assert scaled.questionnaire.questions == library.questionnaire.questions


def test_the_scaled_library_passes_lint(scaled):
    # Every check but the covering set of stances ("rules", a minute at 20x; 0 problems there too) and the
    # watch list (dates of pages, not clauses).
    checks = [c for c in CHECKS if c not in ("rules", "watch")]
    problems, _ = lint_report(scaled, checks)
    assert problems == []


def test_a_policy_built_on_it_has_twice_the_clauses_and_each_copy_prints_its_original_s_words(library, scaled):
    bigger = scaled
    profile = PROFILES / "example-council.yaml"
    policy = build_policy(library, load_profile(profile, library.questionnaire, library.nations, build_date=BUILD_DATE))
    scaled_policy = build_policy(
        bigger, load_profile(profile, bigger.questionnaire, bigger.nations, build_date=BUILD_DATE)
    )
    assert len(scaled_policy.clauses) == 2 * len(policy.clauses)
    assert len(scaled_policy.guide_clauses) == 2 * len(policy.guide_clauses)
    texts = {c.id: c.text for c in scaled_policy.clauses}
    for clause in policy.clauses:
        assert texts[f"{clause.id}-copy2"] == clause.text
