"""The legal claims register: every statement of law the library prints is registered, dated and sourced."""

from pathlib import Path

import pytest
from conftest import ROOT

from policy_builder.checks.claims import check_claims, load_claims, render_claims_markdown
from policy_builder.content.library import load_library


def test_register_covers_the_library(library):
    claims = load_claims(library)
    assert len(claims) >= 35
    assert check_claims(library, claims) == []
    assert all(c.status in ("confirmed", "copy") and c.url.startswith("https://") for c in claims)


def test_docs_register_is_current(library):
    text = (ROOT / "docs" / "legal-claims.md").read_text(encoding="utf-8")
    assert text == render_claims_markdown(library, load_claims(library)), (
        "run: policy-builder claims --output docs/legal-claims.md"
    )


def copy_library(tmp_path: Path) -> Path:
    target = tmp_path / "clauses"
    target.mkdir()
    for path in (ROOT / "clauses").glob("*"):
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_a_clause_citing_law_without_a_claim_fails(tmp_path: Path):
    root = copy_library(tmp_path)
    claims = root / "legal-claims.yaml"
    text = claims.read_text(encoding="utf-8")
    # Unregister the clause that prints the Freedom of Information Act.
    claims.write_text(text.replace("records.freedom-of-information", "records.subject-access"), encoding="utf-8")
    problems = check_claims(load_library(root))
    assert any("records.freedom-of-information cites LAW-FOIA-REQUESTS" in p for p in problems), problems


def test_a_nation_fact_without_a_claim_fails(tmp_path: Path):
    root = copy_library(tmp_path)
    nations = root / "nations.yaml"
    nations.write_text(
        nations.read_text(encoding="utf-8").replace(
            "  foi_law: the Freedom of Information (Scotland) Act 2002",
            "  foi_law: the Freedom of Information Act 2000",
        ),
        encoding="utf-8",
    )
    claims = root / "legal-claims.yaml"
    claims.write_text(
        claims.read_text(encoding="utf-8").replace("nation.foi_law", "nation.foi_types"), encoding="utf-8"
    )
    problems = check_claims(load_library(root))
    assert any("scotland.foi_law" in p for p in problems), problems


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "not_confirmed", "status must be one of confirmed, copy"),
        ("checked", "'yesterday'", "checked: write a date"),
    ],
)
def test_unconfirmed_or_undated_claims_are_refused(tmp_path: Path, field: str, value: str, message: str):
    from policy_builder.core.errors import LibraryError

    root = copy_library(tmp_path)
    claims = root / "legal-claims.yaml"
    text = claims.read_text(encoding="utf-8")
    old = "    status: confirmed\n" if field == "status" else "    checked: 2026-12-01\n"
    claims.write_text(text.replace(old, f"    {field}: {value}\n", 1), encoding="utf-8")
    with pytest.raises(LibraryError, match=message):
        load_claims(load_library(root))


def test_a_block_tag_ending_a_line_of_text_is_caught_before_words_run_together(tmp_path: Path):
    from policy_builder.checks.lint import Linter

    root = copy_library(tmp_path)
    review = root / "18-review.yaml"
    text = review.read_text(encoding="utf-8")
    old = "      {% if document.review_months == 1 %}every month{% else %}every {{ document.review_months }} months{% endif %} and\n"
    assert old in text
    review.write_text(
        text.replace(old, old.replace("{% endif %} and\n", "{% endif %}\n      and "), 1), encoding="utf-8"
    )
    linter = Linter(load_library(root))
    linter.check_glued_words()
    assert any("review.schedule: text line" in p and "runs into the next line" in p for p in linter.problems)
