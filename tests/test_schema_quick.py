"""The quick look before jsonschema (core/schema.py): it may only ever let through what jsonschema passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from policy_builder.content.schemas import AUDIT_ANSWERS_FILE, CLAUSE, HISTORY_FILE
from policy_builder.core.schema import first_problem

CLAUSE_OK: dict[str, Any] = {
    "id": "a.b",
    "title": "T",
    "text": "Text",
    "level": "must",
    "sources": ["s1"],
    "version": 1,
    "updated": dt.date(2026, 12, 2),
    "when": True,
}


def test_valid_documents_have_no_problem() -> None:
    assert first_problem(CLAUSE_OK, CLAUSE) is None
    history = {"a.b": [{"version": 2, "sha256": "ab", "text": "x", "title": "", "updated": "2026-12-02"}]}
    assert first_problem(history, HISTORY_FILE) is None


@pytest.mark.parametrize(
    ("change", "keys", "words"),
    [
        ({"level": "shall"}, ["level"], "is not one of must, should, may, note"),
        ({"version": True}, ["version"], "expected a whole number"),
        ({"version": 0}, ["version"], "must be 1 or more"),
        ({"title": ""}, ["title"], "is empty"),
        ({"sources": []}, ["sources"], "is empty"),
        ({"updated": "2026-12-02"}, ["updated"], "expected a date"),
        ({"colour": "red"}, ["colour"], "is not a field here"),
        ({"when": 3}, ["when"], "expected text or true or false"),
    ],
)
def test_each_kind_of_problem_is_still_found(change: dict[str, Any], keys: list[str], words: str) -> None:
    found = first_problem({**CLAUSE_OK, **change}, CLAUSE)
    assert found is not None
    assert found[0] == keys
    assert words in found[1]


def test_a_missing_field_and_a_true_for_one_are_found() -> None:
    found = first_problem({k: v for k, v in CLAUSE_OK.items() if k != "text"}, CLAUSE)
    assert found == (["text"], "missing")
    answers = {"schema": True, "forbids": "x", "forbidding_headings": "y", "questions": {}}
    found = first_problem(answers, AUDIT_ANSWERS_FILE)
    assert found is not None and found[0] == ["schema"]


def test_what_only_jsonschema_accepts_is_still_accepted() -> None:
    # jsonschema takes 1.0 as a whole number; the quick look leaves it to jsonschema, which passes it.
    assert first_problem({**CLAUSE_OK, "version": 1.0}, CLAUSE) is None
