"""Checks of the audit's data files, for `policy-builder lint`: clauses/audit.yaml (how a policy's sentences
are read) and clauses/audit-answers.yaml (what settles a questionnaire answer).

The audit (audit/match.py, audit/infer.py) reads these files and stops at the first mistake; lint lists
every mistake it can find, each as "file:line: problem; what is allowed", so whoever edits the wording
sees them all at once. Types and keys come from the schemas (content/schemas.py); here, what a schema
cannot say: action ids in clauses/actions.yaml, question ids in the questionnaire, values the question
allows, nations and employer types the library knows, and patterns that compile.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from policy_builder.content.library import Library
from policy_builder.content.questionnaire import AnswerError, cast_answer
from policy_builder.content.schemas import AUDIT_ANSWERS_FILE, AUDIT_FILE, AUDIT_MODALITY_KEYS, load_checked
from policy_builder.core import signed_cache, templating
from policy_builder.core.errors import LibraryError, display_path

AUDIT = "audit.yaml"
AUDIT_ANSWERS = "audit-answers.yaml"


# Compiling the audit's ~430 patterns took a tenth of a second of every lint. Whether a pattern compiles
# depends only on the pattern, its flags and Python, so the ones that did are kept between runs in the
# cache folder (signed, this user's own: core/signed_cache.py), as hashes; a pattern not found there,
# or any pattern when the file is missing, altered or from another Python, is compiled as before.
PATTERNS_FILE = "patterns.json"
_compiled: set[str] = set()  # hashes of (flags, pattern) that compiled, in this process and kept ones
_fresh: set[str] = set()  # those not yet kept in PATTERNS_FILE
_used: set[str] = set()  # those of the library checked: what the file keeps, so it never outgrows a library


def _pattern_key(pattern: str, flags: int) -> str:
    return hashlib.sha256(f"{flags}\0{pattern}".encode("utf-8", "surrogatepass")).hexdigest()


def _load_compiled() -> None:
    folder = templating.cache_folder()
    if folder is None:
        return
    raw = signed_cache.load(folder, folder / PATTERNS_FILE)  # None unless this user's own, signed with their key
    try:
        data = json.loads(raw) if raw is not None else None
    except ValueError:
        return
    if type(data) is dict and data.get("python") == sys.version and type(data.get("compiled")) is list:
        _compiled.update(key for key in data["compiled"] if type(key) is str)


def _keep_compiled() -> None:
    """Best effort: a cache that cannot be written is simply not kept."""
    folder = templating.cache_folder()
    if folder is None or not _fresh:
        return
    data = json.dumps({"python": sys.version, "compiled": sorted(_used)}).encode("utf-8")
    if signed_cache.store(folder, folder / PATTERNS_FILE, data):
        _fresh.clear()


def audit_file_problems(library: Library) -> list[str]:
    """Every problem in the library's audit.yaml and audit-answers.yaml (none when a file is absent: a
    library without an audit is a library, and the audit itself says the file is missing)."""
    if not _compiled:
        _load_compiled()
    try:
        return _audit_file_problems(library)
    finally:
        _keep_compiled()


def _audit_file_problems(library: Library) -> list[str]:
    problems: list[str] = []
    for name, check in ((AUDIT, _audit_problems), (AUDIT_ANSWERS, _answer_problems)):
        path = library.root / name
        if not path.exists():
            continue
        try:
            problems.extend(check(library, path))
        except LibraryError as exc:  # a schema problem: one line, the rest of the file is not read
            problems.append(str(exc))
    return problems


def _at(path: Path, line: int | None, problem: str) -> str:
    return f"{display_path(path)}:{line}: {problem}" if line else f"{display_path(path)}: {problem}"


def _compiles(pattern: str, flags: int = 0) -> str | None:
    """None, or why ``pattern`` is not a regular expression."""
    key = _pattern_key(pattern, flags)
    if key in _compiled:
        _used.add(key)
        return None
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        return str(exc)
    _compiled.add(key)
    _fresh.add(key)
    _used.add(key)
    return None


def _audit_problems(library: Library, path: Path) -> Iterable[str]:
    doc = load_checked(path, AUDIT_FILE)
    data: dict[str, Any] = doc.data
    nations = set(library.nations)
    types_question = library.questionnaire.questions.get("organisation.type")
    types = {str(c.value) for c in types_question.choices} if types_question else set()
    allowed = {"nation": nations, "employer_type": types, "nation_from_name": nations}
    for kind, values in (data.get("scope") or {}).items():
        if kind == "self_description":
            continue  # patterns only, compiled (and any bad one named) when the audit's configuration is read
        if kind == "names":
            for value, by_nation in (values or {}).items():
                line = doc.line("scope", kind, value)
                if str(value) not in types:
                    yield _at(
                        path,
                        line,
                        f"scope.names: '{value}' is not one of organisation.type's answers: "
                        + ", ".join(sorted(types)),
                    )
                for nation in by_nation or {}:
                    if str(nation) not in nations:
                        yield _at(
                            path,
                            doc.line("scope", kind, value, nation) or line,
                            f"scope.names.{value}: '{nation}' is not one of nations.yaml's nations: "
                            + ", ".join(sorted(nations)),
                        )
            continue
        for value, patterns in (values or {}).items():
            line = doc.line("scope", kind, value)
            if str(value) not in allowed[kind]:
                what = "nations.yaml's nations" if kind != "employer_type" else "organisation.type's answers"
                yield _at(
                    path, line, f"scope.{kind}: '{value}' is not one of {what}: {', '.join(sorted(allowed[kind]))}"
                )
            for index, pattern in enumerate(patterns):
                if why := _compiles(pattern):
                    yield _at(
                        path,
                        doc.line("scope", kind, value, index) or line,
                        f"scope.{kind}.{value}: '{pattern}' is not a valid regular expression ({why})",
                    )
    for key, patterns in (data.get("grammar") or {}).items():
        for index, pattern in enumerate(patterns):
            if why := _compiles(pattern):
                yield _at(
                    path,
                    doc.line("grammar", key, index) or doc.line("grammar", key),
                    f"grammar.{key}: '{pattern}' is not a valid regular expression ({why})",
                )
    modality = data["modality"]
    for key in (*AUDIT_MODALITY_KEYS, "descriptive", "other_subjects"):
        if key == "imperative":
            continue  # verbs, compared as words
        for index, pattern in enumerate(modality.get(key) or []):
            if why := _compiles(pattern):
                yield _at(
                    path,
                    doc.line("modality", key, index) or doc.line("modality", key),
                    f"modality.{key}: '{pattern}' is not a valid regular expression ({why})",
                )
    for action, entry in data["actions"].items():
        line = doc.line("actions", action)
        if action not in library.actions:
            yield _at(path, line, f"actions: unknown action '{action}' (not in clauses/actions.yaml)")
        words = [w for group in entry["terms"] for w in group]
        for key in ("inverts", "unless", "unless_at", "against", "object", "elsewhere", "acts"):
            words += entry.get(key) or []
        for word in words:
            if word.startswith("re:") and (why := _compiles(word[3:])):
                yield _at(path, line, f"{action}: '{word}' is not a valid regular expression ({why})")


def _answer_problems(library: Library, path: Path) -> Iterable[str]:
    doc = load_checked(path, AUDIT_ANSWERS_FILE)
    data: dict[str, Any] = doc.data
    for key in ("forbids", "forbidding_headings", "aspirational_headings"):
        if key in data and (why := _compiles(data[key])):
            yield _at(path, doc.line(key), f"{key}: not a valid regular expression ({why})")
    questions = library.questionnaire.questions
    for qid, block in data["questions"].items():
        where = ("questions", qid)
        question = questions.get(qid)
        if question is None:
            yield _at(
                path, doc.line(*where), f"'{qid}' is not a question in the questionnaire (clauses/questionnaire.yaml)"
            )
            continue
        if why := _compiles(block["about"]):
            yield _at(path, doc.line(*where, "about"), f"{qid}: about: not a valid regular expression ({why})")
        for index, entry in enumerate(block["answers"]):
            at = (*where, "answers", index)
            line = doc.line(*at)
            for key in ("when", "unless"):
                if key in entry and (why := _compiles(entry[key])):
                    yield _at(path, doc.line(*at, key) or line, f"{qid}: {key}: not a valid regular expression ({why})")
            if entry.get("confidence", 0.8) > 1:
                yield _at(path, doc.line(*at, "confidence") or line, f"{qid}: confidence must be at most 1")
            kinds = [entry.get("extract") is True, entry.get("unsettles") is True, "value" in entry]
            if kinds.count(True) != 1:
                yield _at(
                    path, line, f"{qid}: give one of 'value:', 'extract: true' or 'unsettles: true' in each answer"
                )
                continue
            if entry.get("extract") is True:
                when = entry.get("when", "")
                if question.type != "text":
                    yield _at(path, line, f"{qid}: 'extract: true' is for text questions; this is {question.type}")
                elif "(?P<value>" not in when:
                    yield _at(path, line, f"{qid}: 'extract: true' needs a 'when' pattern with a (?P<value>...) group")
            values = ([entry["value"]] if "value" in entry else []) + list(entry.get("beats") or [])
            for value in values:
                if problem := _value_problem(question, value):
                    key = "value" if "value" in entry and value is entry["value"] else "beats"
                    yield _at(path, doc.line(*at, key) or line, f"{qid}: {problem}")


def _value_problem(question: Any, value: Any) -> str | None:
    """None, or why the question does not allow ``value`` (with what it allows)."""
    if value is None:
        return "an answer rule needs a value"
    try:
        cast_answer(question, [value] if question.type == "multi" else value)
    except AnswerError as exc:
        return str(exc)
    return None
