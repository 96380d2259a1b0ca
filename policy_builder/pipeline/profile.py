"""Reading employer profiles (docs/profile-v1.md): nested YAML answers, validated."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy_builder.content.local import LocalEntry, parse_local
from policy_builder.content.models import Answers, Questionnaire
from policy_builder.content.questionnaire import build_context, evaluate, resolve_answers, suggest, version_key
from policy_builder.core import yamlio
from policy_builder.core.errors import ProfileError

SCHEMA_VERSION = 1
RESERVED_KEYS = ("schema", "questionnaire", "local")


@dataclass
class RawProfile:
    """A profile's answers as given, before defaults and conditions."""

    given: dict[str, Any]  # question id -> raw value
    questionnaire_version: str  # the questionnaire version it was written for
    notes: list[str] = field(default_factory=list)
    local: list[LocalEntry] = field(default_factory=list)


def read_profile(doc: yamlio.Document, questionnaire: Questionnaire) -> RawProfile:
    """Nested profile mapping -> raw answers; unknown keys are errors, migrated ids are moved."""
    data = doc.data
    path = doc.path
    if data is None:
        raise ProfileError(
            path, None, "the profile is empty; it needs at least 'schema: 1' and the organisation answers"
        )
    if not isinstance(data, dict):
        raise ProfileError(path, doc.line(), f"a profile must be a mapping of answers, not {_kind(data)}")
    schema = data.get("schema")
    if schema is None:
        raise ProfileError(path, 1, "missing 'schema: 1' at the top of the profile")
    if schema != SCHEMA_VERSION:
        raise ProfileError(
            path, doc.line("schema"), f"schema: {schema!r} is not supported; this version reads schema: 1"
        )
    written_for = doc.as_typed(data.get("questionnaire", "1.0"), "questionnaire")
    if not isinstance(written_for, (str, int, float)) or isinstance(written_for, bool):
        raise ProfileError(path, doc.line("questionnaire"), 'questionnaire: expected a version such as "1.0"')
    migrated = {**questionnaire.renamed, **{old: None for old in questionnaire.removed}}
    namespaces = sorted({qid.split(".")[0] for qid in [*questionnaire.questions, *migrated]})
    given: dict[str, Any] = {}
    notes: list[str] = []
    for namespace, block in data.items():
        if namespace in RESERVED_KEYS:
            continue
        if isinstance(namespace, str) and namespace in questionnaire.questions:
            head, name = namespace.split(".")
            raise ProfileError(
                path,
                doc.line(namespace),
                f"unknown key '{namespace}'; write it nested: '{head}:' then an indented '{name}: ...' line",
            )
        if not isinstance(namespace, str) or namespace not in namespaces:
            raise ProfileError(
                path,
                doc.line(namespace),
                f"unknown key '{namespace}'{suggest(str(namespace), namespaces)}; allowed: schema, {', '.join(namespaces)}",
            )
        if block is None:
            continue
        if not isinstance(block, dict):
            raise ProfileError(
                path,
                doc.line(namespace),
                f"{namespace}: expected a mapping of answers (e.g. '{namespace}:' then indented 'name: value' lines), not {_kind(block)}",
            )
        names = sorted(qid.split(".")[1] for qid in questionnaire.questions if qid.startswith(namespace + "."))
        for name, value in block.items():
            qid = f"{namespace}.{name}"
            value = _as_typed(doc, questionnaire, qid, namespace, name, value)
            if qid in questionnaire.questions:
                given[qid] = value
            elif qid in questionnaire.renamed:
                new_id = questionnaire.renamed[qid]
                if new_id not in given:
                    given[new_id] = value
                notes.append(f"{qid} is now called {new_id}; the answer was moved (update the profile to use {new_id})")
            elif qid in questionnaire.removed:
                notes.append(f"{qid} is no longer asked ({questionnaire.removed[qid]}); the answer is ignored")
            else:
                raise ProfileError(
                    path,
                    doc.line(namespace, name),
                    f"unknown question '{qid}'{suggest(str(name), names)}; {namespace} has: {', '.join(names)}",
                )
    local = parse_local(doc)
    return RawProfile(given=given, questionnaire_version=str(written_for), notes=notes, local=local)


_DECIMAL = re.compile(r"[+-]?[0-9]+")


def _as_typed(
    doc: yamlio.Document, questionnaire: Questionnaire, qid: str, namespace: str, name: str, value: Any
) -> Any:
    """A free-text answer exactly as typed (version 1.10 stays "1.10", 010 stays "010"); a number answer
    YAML 1.1 would convert from hex, octal, underscores or 1:20 kept as text, so it is refused, not changed."""
    question = questionnaire.questions.get(questionnaire.renamed.get(qid, qid))
    if question is None or isinstance(value, bool):
        return value
    if question.type == "text":
        return doc.as_typed(value, namespace, name)
    if question.type == "integer" and isinstance(value, int):
        typed = doc.as_typed(value, namespace, name)
        return value if not isinstance(typed, str) or _DECIMAL.fullmatch(typed) else typed
    return value


def load_profile(
    path: str | Path,
    questionnaire: Questionnaire,
    nations: Mapping[str, Mapping[str, Any]],
    *,
    build_date: dt.date | None = None,
) -> Answers:
    doc = yamlio.load_kept(path, ProfileError)  # a profile built before: no YAML read
    raw = read_profile(doc, questionnaire)
    answers = resolve_answers(
        questionnaire,
        raw.given,
        nations,
        path=doc.path,
        line_of=lambda qid: doc.line(*qid.split(".")),
        build_date=build_date,
    )
    _check_reference_path(doc, answers.values.get("document.reference_docx"))
    answers.notes.extend(raw.notes)
    answers.local_entries = raw.local
    answers.lines = {qid: doc.line(*qid.split(".")) for qid in raw.given}
    answers.profile_sha256 = hashlib.sha256(doc.path.read_bytes()).hexdigest()
    # New since the profile was written, and asked of this stance: a follow-up whose `when` is false
    # (the AI questions where AI is not allowed) is not news to the employer.
    context = build_context(questionnaire, answers.values, nations, answers.build_date)
    answers.new_questions = [
        qid
        for qid, question in questionnaire.questions.items()
        if version_key(question.since) > version_key(raw.questionnaire_version)
        and qid not in raw.given
        and (not question.when or evaluate(question.when, context))
    ]
    return answers


# What the file systems the tool runs on allow (Linux, macOS, Windows long paths); past these, looking
# for the file fails with "File name too long" before any message can say which answer it was.
MAX_PATH_PART_BYTES = 255
MAX_PATH_BYTES = 4096


def _check_reference_path(doc: yamlio.Document, given: Any) -> None:
    """A reference template path no file system could hold is an answer error, with its line."""
    if not isinstance(given, str) or not given:
        return
    parts = [part for part in given.replace("\\", "/").split("/") if part]
    longest = max((len(part.encode("utf-8", "replace")) for part in parts), default=0)
    size = len(given.encode("utf-8", "replace"))
    if "\0" in given or longest > MAX_PATH_PART_BYTES or size > MAX_PATH_BYTES:
        problem = (
            "holds a NUL character"
            if "\0" in given
            else f"is {len(given)} characters long (a folder or file name may be at most {MAX_PATH_PART_BYTES}, "
            f"a whole path {MAX_PATH_BYTES})"
        )
        raise ProfileError(
            doc.path,
            doc.line("document", "reference_docx"),
            f"document.reference_docx: the path {problem}; give the path of a Word .docx or .dotx file, "
            "relative to the profile",
        )


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
