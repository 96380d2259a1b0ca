"""The library snapshot is data only (JSON), rebuilt into the models with every value's type checked.

A snapshot that is tampered with, signed with another key, kept for other library files, not JSON,
or holding a value of an unexpected type is ignored and the YAML read afresh; the models survive a
round trip through plain values unchanged; and a build is the same with a snapshot or without one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BUILD_DATE, PROFILES, ROOT
from conftest import CACHE_MARKER as MARKER
from conftest import forget_caches as forget

from policy_builder.build import build_profile
from policy_builder.content import library as library_module
from policy_builder.content.library import load_library
from policy_builder.content.models import (
    Action,
    Clause,
    GapRule,
    LibrarySection,
    PlainError,
    Question,
    Questionnaire,
    SourceDocument,
    SourceItem,
    from_plain,
    to_plain,
)
from policy_builder.core import signed_cache, templating
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile


def snapshot_of(cache: Path) -> Path:
    [path] = sorted((cache / "library").glob("*" + library_module.SNAPSHOT_SUFFIX))
    return path


def policy_text(library: library_module.Library) -> str:
    answers = load_profile(
        PROFILES / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    return "\n".join(f"{c.id}: {c.text}" for c in build_policy(library, answers).clauses)


def plain(value: Any) -> Any:
    """Through JSON and back, as a snapshot file takes it."""
    return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))


def only_plain_values(value: Any) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and only_plain_values(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_plain_values(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_every_model_of_the_library_survives_plain_values(library):
    assert len(library.clauses) > 100 and library.gap_rules and library.actions
    assert any(c.rules for c in library.clauses) and any(c.updated for c in library.clauses)
    for clause in library.clauses:
        assert from_plain(Clause, plain(to_plain(Clause, clause))) == clause, clause.id
    for question in library.questionnaire.questions.values():
        assert from_plain(Question, plain(to_plain(Question, question))) == question, question.id
    for rule in library.gap_rules:
        assert from_plain(GapRule, plain(to_plain(GapRule, rule))) == rule, rule.id
    for document in library.documents.values():
        assert from_plain(SourceDocument, plain(to_plain(SourceDocument, document))) == document
    for item in library.items.values():
        assert from_plain(SourceItem, plain(to_plain(SourceItem, item))) == item
    for action in library.actions.values():
        assert from_plain(Action, plain(to_plain(Action, action))) == action
    for section in library.sections:
        assert from_plain(LibrarySection, plain(to_plain(LibrarySection, section))) == section
    questionnaire = from_plain(Questionnaire, plain(to_plain(Questionnaire, library.questionnaire)))
    assert questionnaire == library.questionnaire
    assert list(questionnaire.questions) == list(library.questionnaire.questions)  # the order the wizard asks
    clause = from_plain(Clause, plain(to_plain(Clause, library.clauses[0])))
    assert isinstance(clause.path, Path) and isinstance(clause.sources, tuple)


def test_the_snapshot_holds_plain_values_only_and_gives_back_the_same_library(cache, clauses, yaml_reads):
    first = load_library(clauses)
    raw = signed_cache.load(cache, snapshot_of(cache))
    data = json.loads(raw)
    assert data["format"] == library_module.SNAPSHOT_FORMAT and only_plain_values(data)
    assert not list((cache / "library").glob("*.snapshot"))  # nothing in the old (pickle) format
    yaml_reads.clear()
    second = load_library(clauses)
    assert yaml_reads == []  # from the snapshot
    for name in library_module._SNAPSHOT_FIELDS:
        assert getattr(second, name) == getattr(first, name), name
    assert [c.id for c in second.clauses] == [c.id for c in first.clauses]
    assert set(second.templates) == set(first.templates) and len(second.templates) == len(first.templates)
    assert second._template_sources == first._template_sources
    assert policy_text(second) == policy_text(first)


def test_a_model_with_a_value_of_the_wrong_type_is_not_kept(library):
    clause = library.clauses[0]
    with pytest.raises(PlainError):
        to_plain(Clause, Clause(**{**clause.__dict__, "version": "3"}))  # a string where an int belongs
    with pytest.raises(PlainError):
        to_plain(Clause, Clause(**{**clause.__dict__, "sources": ["A"]}))  # would come back as a tuple
    moment = dt.datetime(2026, 12, 2, 9, 0)  # a date's subclass: it would come back as a date
    with pytest.raises(PlainError):
        to_plain(Clause, Clause(**{**clause.__dict__, "updated": moment}))


def rewrite(cache: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the snapshot's JSON and sign it again with this user's key: only the contents are wrong."""
    path = snapshot_of(cache)
    data = json.loads(signed_cache.load(cache, path))
    change(data)
    path.write_bytes(signed_cache.seal(cache, "library/" + path.name, json.dumps(data).encode("utf-8")))


def first_clause(data: dict[str, Any]) -> dict[str, Any]:
    return data["library"]["sections"][0]["clauses"][0]


def retitle(data: dict[str, Any]) -> None:
    first_clause(data)["title"] = "Planted title"


UNEXPECTED: dict[str, Callable[[dict[str, Any]], None]] = {
    "a number for a title": lambda d: first_clause(d).update(title=7),
    "text for a version": lambda d: first_clause(d).update(version="2"),
    "a float for a version": lambda d: first_clause(d).update(version=2.0),
    "true for a version": lambda d: first_clause(d).update(version=True),
    "a list for a clause": lambda d: d["library"]["sections"][0]["clauses"].__setitem__(0, ["purpose.x"]),
    "a field too many": lambda d: first_clause(d).update(extra="x"),
    "a field missing": lambda d: first_clause(d).pop("level"),
    "not a date": lambda d: first_clause(d).update(updated="last Tuesday"),
    "a mapping for sources": lambda d: first_clause(d).update(sources={"a": "b"}),
    "null where text is needed": lambda d: d["library"].update(version=None),
    "a rule of two values": lambda d: first_clause(d).update(rules=[["a", "must"]]),
    "a template without its name": lambda d: d["templates"].update({"purpose.x": ["only the source"]}),
    "a library field too many": lambda d: d["library"].update(history={}),
    "a list for the library": lambda d: d.update(library=[]),
    "a list for a nation's facts": lambda d: d["library"]["nations"].update({"england": [1]}),
}


@pytest.mark.parametrize("change", list(UNEXPECTED), ids=list(UNEXPECTED))
def test_a_snapshot_with_a_value_of_an_unexpected_type_is_ignored(cache, snapshotted, yaml_reads, change):
    load_library(snapshotted)
    rewrite(cache, UNEXPECTED[change])
    yaml_reads.clear()
    library = load_library(snapshotted)
    assert yaml_reads  # read afresh
    assert MARKER in policy_text(library)
    yaml_reads.clear()
    load_library(snapshotted)  # and the snapshot written again, good
    assert yaml_reads == []


def test_a_snapshot_changed_after_signing_is_ignored(cache, snapshotted, yaml_reads):
    load_library(snapshotted)
    path = snapshot_of(cache)
    raw = path.read_bytes()
    assert raw.count(MARKER.encode()) >= 1
    path.write_bytes(raw.replace(MARKER.encode(), b"Plantedword"))  # the signature no longer matches
    yaml_reads.clear()
    library = load_library(snapshotted)
    assert yaml_reads
    text = policy_text(library)
    assert MARKER in text and "Plantedword" not in text


def test_a_snapshot_signed_with_another_key_is_ignored(cache, snapshotted, yaml_reads, tmp_path, monkeypatch):
    load_library(snapshotted)
    path = snapshot_of(cache)
    data = json.loads(signed_cache.load(cache, path))
    retitle(data)
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    sealed = signed_cache.seal(other, "library/" + path.name, json.dumps(data).encode("utf-8"))
    assert sealed is not None and signed_cache.signing_key(other) != signed_cache.signing_key(cache)
    path.write_bytes(sealed)
    forget(monkeypatch)
    yaml_reads.clear()
    library = load_library(snapshotted)
    assert yaml_reads
    assert library.clauses[0].title != "Planted title"


def test_a_snapshot_kept_for_other_library_files_is_ignored(cache, snapshotted, yaml_reads):
    load_library(snapshotted)

    def other_files(data: dict[str, Any]) -> None:
        retitle(data)
        data["key"] = "0" * 64

    rewrite(cache, other_files)
    yaml_reads.clear()
    library = load_library(snapshotted)
    assert yaml_reads
    assert library.clauses[0].title != "Planted title"


def test_a_snapshot_in_the_right_form_is_what_is_used(cache, snapshotted, yaml_reads):
    """The rewrite the other tests make is itself sound: a well-typed change signed with the key is read."""
    load_library(snapshotted)
    rewrite(cache, retitle)
    yaml_reads.clear()
    assert load_library(snapshotted).clauses[0].title == "Planted title"
    assert yaml_reads == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # cut short
        lambda raw: raw.replace(b'"format"', b"'format'", 1),  # not JSON
        lambda raw: raw + b"}",  # trailing rubbish
        lambda raw: b"[" * 100_000 + b"]" * 100_000,  # nested beyond what the reader will follow
        lambda raw: b"\xff\xfe" + raw,  # not UTF-8
    ],
    ids=["truncated", "single quotes", "trailing brace", "deeply nested", "bad encoding"],
)
def test_a_corrupt_json_snapshot_is_ignored(cache, snapshotted, yaml_reads, damage):
    load_library(snapshotted)
    path = snapshot_of(cache)
    raw = signed_cache.load(cache, path)
    path.write_bytes(signed_cache.seal(cache, "library/" + path.name, damage(raw)))  # signed: only the JSON is bad
    yaml_reads.clear()
    library = load_library(snapshotted)
    assert yaml_reads and library.clauses[0].id.startswith("purpose")
    assert signed_cache.load(cache, path) == raw  # written again as it was


def test_a_snapshot_without_its_compiled_code_is_ignored(cache, snapshotted, yaml_reads):
    load_library(snapshotted)
    [bundle] = sorted((cache / "jinja").glob("library-*.code"))
    bundle.unlink()
    yaml_reads.clear()
    load_library(snapshotted)
    assert yaml_reads and bundle.is_file()  # read afresh, and the code kept again


def built(library: library_module.Library, out: Path) -> dict[str, bytes]:
    build_profile(library, PROFILES / "example-council.yaml", out, build_date=BUILD_DATE, page_numbers=False)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_a_build_is_the_same_with_a_snapshot_and_without(cache, clauses, tmp_path, monkeypatch, yaml_reads):
    load_library(clauses)  # the whole library, read from its YAML: keeps the snapshot
    forget(monkeypatch)
    yaml_reads.clear()
    with_snapshot = built(load_library(clauses), tmp_path / "with")
    assert not [p for p in yaml_reads if p.parent == clauses]  # the library from its snapshot
    blocker = tmp_path / "no-cache"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv(templating.CACHE_ENV, str(blocker))
    forget(monkeypatch)
    without = built(load_library(clauses), tmp_path / "without")
    assert [p for p in yaml_reads if p.parent == clauses]  # read from its YAML
    assert list(with_snapshot) == list(without)
    for name, data in with_snapshot.items():
        if name.endswith((".md", ".json")):
            assert data.decode("utf-8").replace(str(tmp_path / "with"), "") == without[name].decode("utf-8").replace(
                str(tmp_path / "without"), ""
            ), name
    assert MARKER.encode() in with_snapshot[next(n for n in with_snapshot if n.endswith("policy.md"))]


def test_old_pickle_snapshots_are_removed(cache, clauses):
    old = cache / "library" / "0123456789abcdef01234567.snapshot"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"\x80\x05a pickle from an earlier version")
    os.chmod(old, 0o600)
    load_library(clauses)
    assert not old.exists()


def test_a_build_from_the_snapshot_compiles_nothing_and_reads_one_file_of_code(cache, clauses, monkeypatch):
    """The library's compiled texts and conditions come from one signed file, not one file (or a compile) each."""
    from jinja2 import Environment

    load_library(ROOT / "clauses")  # another library read first in the same process (as a wizard may)
    load_library(clauses)  # most of its conditions already compiled: they are kept with it all the same
    forget(monkeypatch)
    compiled: list[str | None] = []
    real_compile = Environment.compile

    def counting(self, source, name=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        compiled.append(name)
        return real_compile(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    read: list[str] = []
    real_load = signed_cache.load
    monkeypatch.setattr(signed_cache, "load", lambda folder, path: read.append(path.name) or real_load(folder, path))
    library = load_library(clauses)
    assert MARKER in policy_text(library)
    assert compiled == []
    assert [n for n in read if n.startswith("library-")] and not [n for n in read if n.startswith("__jinja2_")]
