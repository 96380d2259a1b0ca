"""Editing profiles for the wizards: read an unfinished one, save answers in place (comments and order kept), drafts."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy_builder.content.models import Questionnaire
from policy_builder.content.questionnaire import resolve_answers
from policy_builder.core import yamlio
from policy_builder.core.errors import ProfileError
from policy_builder.pipeline.profile import RESERVED_KEYS, SCHEMA_VERSION, read_profile


@dataclass
class ProfileDraft:
    """A profile read for editing: answers may be missing, and keys the questionnaire no longer has are set aside."""

    path: Path
    given: dict[str, Any]  # question id -> raw value (renamed ids already moved)
    lines: dict[str, int | None]  # question id -> line, for messages
    questionnaire_version: str  # the questionnaire version the profile was written for
    notes: list[str] = field(default_factory=list)  # renamed and removed questions
    retired: list[tuple[str, int | None]] = field(default_factory=list)  # (dotted key, line): not a question at all


def read_draft(path: str | Path, questionnaire: Questionnaire) -> ProfileDraft:
    """Read a profile that may be unfinished or written for an older questionnaire.

    Required answers may be missing. A key that is not a question and not a
    recorded migration (a typo, or a question dropped without one) is set aside
    in ``retired`` instead of failing, so the wizard can say so and leave it out
    when it saves. Broken YAML, a wrong schema or a block that is not a mapping
    are still errors.
    """
    doc = yamlio.load(path, ProfileError)
    retired: list[tuple[str, int | None]] = []
    data = doc.data
    if isinstance(data, dict):
        known = {*questionnaire.questions, *questionnaire.renamed, *questionnaire.removed}
        namespaces = {qid.split(".")[0] for qid in known}
        kept: dict[Any, Any] = {}
        for namespace, block in data.items():
            if namespace in RESERVED_KEYS:
                kept[namespace] = block
            elif not isinstance(namespace, str) or namespace not in namespaces:
                retired.append((str(namespace), doc.line(namespace)))
            elif isinstance(block, dict):
                kept[namespace] = {}
                for name, value in block.items():
                    if f"{namespace}.{name}" in known:
                        kept[namespace][name] = value
                    else:
                        retired.append((f"{namespace}.{name}", doc.line(namespace, name)))
            else:
                kept[namespace] = block
        doc = yamlio.Document(path=doc.path, data=kept, lines=doc.lines, plain_text=doc.plain_text)
    raw = read_profile(doc, questionnaire)
    lines = {qid: doc.line(*qid.split(".")) for qid in raw.given}
    return ProfileDraft(
        path=doc.path,
        given=raw.given,
        lines=lines,
        questionnaire_version=raw.questionnaire_version,
        notes=raw.notes,
        retired=retired,
    )


def dump_profile(
    answers: Mapping[str, Any],
    questionnaire: Questionnaire,
    *,
    existing: str | None = None,
    header: str | None = None,
    questionnaire_version: str | None = None,
    comments: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The profile text holding exactly ``answers`` (question id -> value; None is left blank).

    ``comments`` (question id -> lines) are written as comment lines just above those answers,
    e.g. the passage of the employer's policy an answer was read from.

    With ``existing`` (the text of the profile being edited), its comments, key
    order and quoting are kept: changed answers are set in place, new ones are
    inserted in questionnaire order, and question keys not in ``answers`` are
    removed (other top-level keys such as ``local:`` are kept). Without it, a
    fresh profile is laid out in questionnaire order with ``header`` as its
    opening comment. ``questionnaire_version`` records the version answered.
    """
    import io

    from ruamel.yaml.comments import CommentedMap

    yaml_rt = _round_trip()
    order = list(questionnaire.questions)
    namespaces = list(dict.fromkeys(qid.split(".")[0] for qid in order))
    data = _parsed(existing) if existing and existing.strip() else None
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
        if header:
            data.yaml_set_start_comment(header)
    if data.get("schema") != SCHEMA_VERSION:
        if "schema" in data:
            _delete(data, "schema")
        data.insert(0, "schema", SCHEMA_VERSION)
    if questionnaire_version is not None and data.get("questionnaire") != questionnaire_version:
        if "questionnaire" in data:
            data["questionnaire"] = _yaml_value(questionnaire_version)
        else:
            data.insert(list(data).index("schema") + 1, "questionnaire", _yaml_value(questionnaire_version))
    wanted: dict[str, dict[str, Any]] = {}
    for qid in order:
        if qid in answers:
            namespace, name = qid.split(".")
            wanted.setdefault(namespace, {})[name] = answers[qid]
    # Question keys (and whole blocks) no longer wanted go; reserved keys such as `local:` stay.
    for namespace in [key for key in data if key not in RESERVED_KEYS]:
        block = data[namespace]
        if namespace not in wanted:
            _delete(data, namespace)
        elif isinstance(block, CommentedMap):
            for name in [key for key in block if key not in wanted[namespace]]:
                _delete(block, name)
    for namespace in [ns for ns in namespaces if ns in wanted]:
        block = data.get(namespace)
        if not isinstance(block, CommentedMap):
            if namespace in data:
                _delete(data, namespace)
            block = CommentedMap()
            data.insert(_position(list(data), namespace, ["schema", "questionnaire", *namespaces]), namespace, block)
            _set_before(data, namespace, ["\n"])  # a blank line before each block, as people write them
        names = [qid.split(".")[1] for qid in order if qid.startswith(namespace + ".")]
        for name, value in wanted[namespace].items():
            if name not in block:
                block.insert(_position(list(block), name, names), name, _yaml_value(value))
            elif not _same(block[name], value):
                block[name] = _yaml_value(value)
    for qid, lines in (comments or {}).items():
        namespace, name = qid.split(".")
        block = data.get(namespace)
        if isinstance(block, CommentedMap) and name in block:
            indented = ["  " + _comment_line(line) for line in lines]  # at the answer's own indent
            _set_before(block, name, indented + _before(block, name), replace=True)
    stream = io.StringIO()
    yaml_rt.dump(data, stream)
    text = stream.getvalue()
    # The next save of a draft starts from this text: what was just dumped is its parse, kept for it.
    _keep_parse(text, data)
    return text


def save_profile(
    path: str | Path,
    answers: Mapping[str, Any],
    questionnaire: Questionnaire,
    nations: Mapping[str, Mapping[str, Any]],
    *,
    complete: bool = True,
    header: str | None = None,
    questionnaire_version: str | None = None,
    based_on: str | Path | None = None,
    comments: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write ``answers`` to ``path`` atomically, keeping an existing file's comments.

    The text is read back with the profile reader before anything is written:
    every answer must come back exactly, and with ``complete`` the profile must
    load for a build. ``questionnaire_version`` records that every question of
    that version has been seen. A failure raises and leaves any existing file
    as it was. ``based_on`` is the profile whose comments and layout to keep
    when saving it under a new name (by default, the file at ``path``).
    """
    from policy_builder.core.output import atomic_write

    path = Path(path)
    source = Path(based_on) if based_on is not None else path
    existing = _strip_draft_marks(source.read_text(encoding="utf-8-sig")) if source.is_file() else None
    text = dump_profile(
        answers,
        questionnaire,
        existing=existing,
        header=header,
        questionnaire_version=questionnaire_version,
        comments=comments,
    )
    given = _read_back(path, text, answers, questionnaire)
    if complete:
        resolve_answers(questionnaire, given, nations, path=path)
    atomic_write(path, text)


def _read_back(path: Path, text: str, answers: Mapping[str, Any], questionnaire: Questionnaire) -> dict[str, Any]:
    """The answers ``text`` holds, read as the loader will read them; every answer must come back exactly."""
    from policy_builder.core.errors import OutputError

    try:
        # Trusted: text this module wrote, so libyaml reads it (ten times faster; the values are built
        # by the same code as the profile loader's, and any problem is re-read the pure-Python way).
        doc = yamlio.loads(text, path, ProfileError, trusted=True)
    except ProfileError as exc:  # pragma: no cover - ruamel writes valid YAML
        raise OutputError(f"{path}: the profile could not be written as YAML ({exc}); nothing was saved") from None
    given = read_profile(doc, questionnaire).given
    for qid, value in answers.items():
        if given.get(qid) != value:
            raise OutputError(
                f"{path}: {qid}: the answer {value!r} would be read back as {given.get(qid)!r}; nothing was saved"
            )
    return given


# --- drafts: answers saved as they are given, so a closed window or a restart loses nothing ---------
#
# A draft is an ordinary (unfinished) profile in the `drafts` folder inside the profiles folder, one
# file per draft, so it never lands on a finished profile and `profiles/*.yaml` never lists it. Its
# first lines are comments that mark it as a draft and name the finished profile it is for; comments
# keep it a profile every loader reads unchanged (no key the schema does not know).

DRAFTS_FOLDER = "drafts"
DRAFT_MARK = "# policy-builder draft"


@dataclass
class DraftFile:
    """A draft on disk, as the start of a wizard offers it."""

    path: Path
    of: Path | None  # the finished profile these answers are for; None for a new policy not saved yet
    saved: str  # when it was last saved, as written in the file ("2026-12-01 23:40")
    organisation: str | None


def drafts_folder(profiles_dir: str | Path) -> Path:
    return Path(profiles_dir) / DRAFTS_FOLDER


def draft_info(path: str | Path) -> DraftFile | None:
    """The draft's marks, or None when the file is not a draft (or cannot be read)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            head = [handle.readline() for _ in range(3)]
    except (OSError, UnicodeDecodeError):
        return None
    marks = [line.rstrip("\n") for line in head if line.startswith(DRAFT_MARK)]
    if not marks:
        return None
    of: Path | None = None
    saved = ""
    for mark in marks:
        if mark.startswith(DRAFT_MARK + " of: "):
            named = Path(mark[len(DRAFT_MARK + " of: ") :].strip())
            of = named if named.is_absolute() else path.parent.parent / named
        elif ", saved " in mark:
            saved = mark.split(", saved ", 1)[1].split(".", 1)[0].strip()
    return DraftFile(path=path, of=of, saved=saved, organisation=organisation_name(path))


def list_drafts(folder: str | Path, *, of: Path | None = None) -> list[DraftFile]:
    """The drafts in ``folder``, the most recently saved first (only those for ``of`` when given)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = [
        p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
    ]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    drafts = [info for info in map(draft_info, files) if info is not None]
    if of is not None:
        drafts = [d for d in drafts if d.of is not None and d.of.resolve() == Path(of).resolve()]
    return drafts


def new_draft_path(folder: str | Path, stem: str) -> Path:
    """A draft file name nobody has: ``stem``.yaml, else ``stem``-2.yaml and so on, reserved by creating it."""
    import os

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        path = folder / (f"{stem}.yaml" if number == 1 else f"{stem}-{number}.yaml")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder}: too many drafts named {stem}")


def save_draft(
    path: str | Path,
    answers: Mapping[str, Any],
    questionnaire: Questionnaire,
    *,
    of: str | Path | None = None,
    based_on: str | Path | None = None,
    saved: dt.datetime | None = None,
) -> None:
    """Write the answers so far to the draft at ``path`` (atomically), marked as a draft of ``of``.

    ``based_on`` is the profile whose comments and layout to keep (the profile
    being changed); by default the draft itself.
    """
    from policy_builder.core.output import atomic_write

    path = Path(path)
    source = Path(based_on) if based_on is not None else path
    existing = _strip_draft_marks(source.read_text(encoding="utf-8-sig")) if source.is_file() else None
    name = answers.get("organisation.name") or "a new policy"
    text = dump_profile(
        answers,
        questionnaire,
        existing=existing,
        header=f"Social media policy answers for {name}, not finished yet.",
    )
    _read_back(path, text, answers, questionnaire)
    when = (saved or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    marks = [f"{DRAFT_MARK}: unfinished answers, saved {when}. Carry on with policy-builder wizard or serve."]
    if of is not None:
        of = Path(of)
        profiles = path.parent.parent
        try:
            named = str(of.absolute().relative_to(profiles.absolute()))
        except ValueError:
            named = str(of.absolute())
        marks.append(f"{DRAFT_MARK} of: {named}")
    atomic_write(path, "\n".join(marks) + "\n" + text)


def _strip_draft_marks(text: str) -> str:
    """A draft's text without its draft marks: what a finished profile made from it keeps."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(DRAFT_MARK):
        lines.pop(0)
    return "".join(lines)


def organisation_name(path: Path) -> str | None:
    """The organisation a profile or draft is for, to tell them apart in a list (None if unreadable)."""
    try:
        data = yamlio.load(path, ProfileError).data
    except ProfileError:
        return None
    block = data.get("organisation") if isinstance(data, dict) else None
    name = block.get("name") if isinstance(block, dict) else None
    return name if isinstance(name, str) and name.strip() else None


_PARSED: dict[str, Any] = {}  # profile text -> its round-trip parse, handed out once (see _parsed)
_PARSED_KEPT = 16
_PARSED_LOCK = threading.Lock()  # the web app saves drafts from several threads


def _parsed(text: str) -> Any:
    """``text`` parsed the round-trip way, for changing: the parse kept from before when there is one.

    Parsing comments and all is pure Python and most of the cost of a save. The web app saves a draft
    after each page, each save starting from the text the last one wrote: dump_profile keeps what it
    dumped as the parse of that text. A kept parse is handed out once, taken out of the keeping (the
    caller changes it), so it is neither copied nor ever seen changed by another save: a second save of
    the same text (another tab with the same answers, or a save that failed) parses it afresh.
    tests/test_interview.py checks that drafts saved this way are those written by parsing each time.
    """
    with _PARSED_LOCK:
        kept = _PARSED.pop(text, None)
    if kept is not None:
        return kept
    data = _round_trip().load(text)
    if isinstance(data, Mapping):
        _lift_comments(data)
    return data


def _keep_parse(text: str, data: Any) -> None:
    """Keep ``data``, just dumped as ``text``, for the next save that starts from ``text``: the caller
    hands it over and never touches it again (dump_profile has done with it)."""
    with _PARSED_LOCK:
        _PARSED.pop(text, None)  # kept again: now the newest
        if len(_PARSED) >= _PARSED_KEPT:
            _PARSED.pop(next(iter(_PARSED)))  # the oldest
        _PARSED[text] = data


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml_rt = YAML()  # round-trip mode: comments, key order and quoting survive
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 100
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    return yaml_rt


def _position(keys: list[Any], key: str, order: list[str]) -> int:
    """Where ``key`` goes among ``keys``: after the last key that comes before it in ``order``."""
    rank = order.index(key)
    position = 0
    for index, existing in enumerate(keys):
        if existing in order and order.index(existing) < rank:
            position = index + 1
    return position


def _same(current: Any, value: Any) -> bool:
    """Is the file's value already this answer? Then it is left as written (quotes, flow style)."""
    if isinstance(current, bool) or isinstance(value, bool):
        return type(current) is type(value) and current == value
    if isinstance(value, list):
        return isinstance(current, list) and list(current) == value
    if isinstance(current, dt.datetime) or isinstance(value, dt.datetime):
        return type(current) is type(value) and current == value
    return bool(current == value)


def _yaml_value(value: Any) -> Any:
    """A value ruamel writes so PyYAML (YAML 1.1, which reads 'yes' and 'no' as true/false) reads it back unchanged."""
    import yaml
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    if isinstance(value, list):
        seq = CommentedSeq([_yaml_value(item) for item in value])
        seq.fa.set_flow_style()
        return seq
    if isinstance(value, str):
        tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, (True, False))
        if tag != "tag:yaml.org,2002:str" or not value or value != value.strip():
            return SingleQuotedScalarString(value)
    return value


# ruamel keeps the blank lines and comments between entries as a tail on the
# entry above them. Keys are about to be deleted and inserted, so the tails are
# first turned into comments *before* the entry below, which move with it.


def _lift_comments(cmap: Any, parent: Any = None, parent_key: Any = None) -> None:
    from ruamel.yaml.comments import CommentedMap

    keys = list(cmap)
    for index, key in enumerate(keys):
        value = cmap[key]
        if isinstance(value, CommentedMap) and value:
            _lift_comments(value, cmap, key)
            continue
        entry = cmap.ca.items.get(key)
        token = entry[2] if entry and len(entry) > 2 else None
        if token is None or not isinstance(getattr(token, "value", None), str):
            continue
        text = token.value
        head, newline, rest = text.partition("\n")
        if not rest:
            continue
        if index + 1 < len(keys):
            target, target_key = cmap, keys[index + 1]
        elif parent is not None and list(parent).index(parent_key) + 1 < len(parent):
            target, target_key = parent, list(parent)[list(parent).index(parent_key) + 1]
        else:
            continue  # the end of the file: nothing follows to carry it
        if head.strip():
            token.value = head + newline  # the end-of-line comment stays on its line
        else:
            entry[2] = None
        _set_before(target, target_key, rest.splitlines(True) + _before(target, target_key), replace=True)


_COMMENT_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _comment_line(text: str) -> str:
    """One comment line; text from a document read (line breaks, controls) can never end the comment early."""
    return "# " + _COMMENT_UNSAFE.sub(" ", text).rstrip() if text.strip() else "#"


def _before(cmap: Any, key: Any) -> list[str]:
    entry = cmap.ca.items.get(key)
    tokens = entry[1] if entry and len(entry) > 1 and isinstance(entry[1], list) else []
    return [" " * token.column + token.value for token in tokens]


def _set_before(cmap: Any, key: Any, lines: list[str], *, replace: bool = False) -> None:
    """Set the comment lines (and blank lines) written just before ``key``."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    tokens = []
    for line in lines:
        stripped = line.lstrip(" ")
        if not stripped.endswith("\n"):
            stripped += "\n"
        tokens.append(CommentToken(stripped, CommentMark(len(line) - len(line.lstrip(" ")))))
    entry = cmap.ca.items.setdefault(key, [None, None, None, None])
    if replace or not isinstance(entry[1], list):
        entry[1] = tokens
    else:
        entry[1] = tokens + entry[1]


def _delete(cmap: Any, key: Any) -> None:
    """Delete an entry; the blank lines before it pass to the next entry, its own comments go with it."""
    keys = list(cmap)
    blanks = [line for line in _before(cmap, key) if not line.strip()]
    del cmap[key]
    cmap.ca.items.pop(key, None)
    following = keys[keys.index(key) + 1] if keys.index(key) + 1 < len(keys) else None
    if blanks and following is not None:
        existing = _before(cmap, following)
        if not existing or existing[0].strip():
            _set_before(cmap, following, blanks + existing, replace=True)
