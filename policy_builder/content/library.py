"""Loading the clause library: questionnaire, sources, nations, clauses and gap rules.

Everything is read and compiled once per process; building a hundred profiles
reuses one Library. Between runs, a library that loaded without a problem is kept
as a snapshot (plain JSON data, signed) in the cache folder, keyed by the bytes of
every file it was read from, so the next run skips reading and checking the YAML.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateError, TemplateSyntaxError

from policy_builder.content.conditions import check_when, unknown_name_error
from policy_builder.content.models import (
    MODALITIES,
    SEVERITIES,
    Action,
    Clause,
    GapRule,
    LibrarySection,
    Questionnaire,
    Rule,
    SourceDocument,
    SourceItem,
    from_plain,
    resolve_annotation,
    to_plain,
)
from policy_builder.content.questionnaire import kind_of, load_questionnaire
from policy_builder.content.schemas import (
    ACTIONS_FILE as ACTIONS_SCHEMA,
)
from policy_builder.content.schemas import (
    GAPS_FILE,
    LIBRARY_FILE,
    NATIONS_FILE,
    SECTION_FILE,
    SOURCES_FILE,
    load_checked,
)
from policy_builder.core import signed_cache, templating, yamlio
from policy_builder.core.errors import LibraryError, not_found
from policy_builder.core.templating import compile_template


def _data_root() -> Path:
    """The folder holding clauses/ and templates/ (with templates/reference.docx).

    An installed wheel carries them inside the package (pyproject.toml maps them in); a clone keeps
    them at its top, beside the package, where people edit them (a clone installed with pip -e uses those).
    """
    package = Path(__file__).resolve().parents[1]  # policy_builder/, this file being in policy_builder/content/
    return package if (package / "clauses").is_dir() else package.parent


DATA_ROOT = _data_root()
LIBRARY_ENV = "POLICY_BUILDER_LIBRARY"


def default_library_dir() -> Path:
    """$POLICY_BUILDER_LIBRARY, else the bundled clauses/ (the installed package's, or the clone's)."""
    override = os.environ.get(LIBRARY_ENV)
    return Path(override) if override else DATA_ROOT / "clauses"


@dataclass
class Library:
    root: Path
    questionnaire: Questionnaire
    documents: dict[str, SourceDocument]
    items: dict[str, SourceItem]
    not_applicable: dict[str, str]
    nations: dict[str, dict[str, Any]]
    sections: list[LibrarySection]
    gap_rules: list[GapRule]
    # clause id / "section:<id>" -> compiled text (from a snapshot, each compiled when first used)
    templates: MutableMapping[str, Template] = field(default_factory=dict)
    template_lines: dict[str, int | None] = field(default_factory=dict)  # same keys -> line in the file, for messages
    # Unknown names in clause text and conditions: lint lists them all; a build refuses to start.
    problems: list[LibraryError] = field(default_factory=list)
    version: str = "0"  # clauses/library.yaml
    actions: dict[str, Action] = field(default_factory=dict)  # clauses/actions.yaml, what rules may name
    _history: dict[str, list[dict[str, Any]]] | None = field(default=None, repr=False)
    # templates key -> (template name, source): how to make the template again from a snapshot.
    _template_sources: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def history(self) -> dict[str, list[dict[str, Any]]]:
        """clauses/clause-history.yaml, read only when lint or local wording needs it."""
        if self._history is None:
            from policy_builder.content.versions import load_history

            self._history = load_history(self.root, len(self.clauses))
        return self._history

    @property
    def clauses(self) -> list[Clause]:
        return [c for s in self.sections for c in s.clauses]

    def require_sound(self) -> None:
        """Refuse to build from a library with an unknown name, even where these answers would not reach it."""
        if self.problems:
            raise self.problems[0]

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)


ACTIONS_FILE = "actions.yaml"
_ACTION_ID = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")


def load_library(root: str | Path | None = None) -> Library:
    """The library in ``root`` (default: the bundled clauses/), from the snapshot when its files are unchanged."""
    root = Path(root) if root else default_library_dir()
    if not root.is_dir():
        reason = "is a file, not a folder" if root.is_file() else not_found(root)
        raise LibraryError(root, None, f"clause library folder {reason}")
    _refuse_odd_files(root)
    key = _snapshot_key(root)
    if key is not None:
        cached = _read_snapshot(root, key)
        if cached is not None:
            return cached
    with templating.recording() as compiled:
        library = _read_library(root)
    # Only a library with no problem is kept, and only if no file changed while it was read:
    # a broken library is read (and reported) afresh every time.
    if key is not None and not library.problems and _snapshot_key(root) == key:
        _write_snapshot(library, key, compiled)
    return library


def _refuse_odd_files(root: Path) -> None:
    """Only plain files (and folders) in the library folder, checked before anything is read.

    A symbolic link could point anywhere (a loop hangs the reader, /dev/zero never ends), and a
    FIFO blocks the first read for ever; neither is something a person editing clauses puts there.
    """
    for path in sorted(root.iterdir()):
        try:
            mode = path.lstat().st_mode
        except OSError as exc:
            raise LibraryError(path, None, f"cannot read the file ({exc.strerror})") from None
        if stat.S_ISLNK(mode):
            raise LibraryError(
                path, None, "is a symbolic link; a clause library holds only plain files (copy the file in instead)"
            )
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise LibraryError(
                path, None, "is not a plain file (a pipe, socket or device); remove it from the library folder"
            )


def _read_library(root: Path) -> Library:
    """Read and check every file of the library (what a snapshot saves)."""
    questionnaire = load_questionnaire(root / "questionnaire.yaml")
    documents, items, not_applicable = _load_sources(root / "sources.yaml")
    nations = _load_nations(root / "nations.yaml")
    library = Library(
        root=root,
        questionnaire=questionnaire,
        documents=documents,
        items=items,
        not_applicable=not_applicable,
        nations=nations,
        sections=[],
        gap_rules=[],
    )
    library.actions = _load_actions(root / ACTIONS_FILE)
    seen: dict[str, Clause] = {}
    for path in sorted(root.glob("[0-9]*.yaml")):
        # _load_section refuses a section id an earlier file already used, naming that file.
        library.sections.append(_load_section(path, library, seen))
    gaps_path = root / "gaps.yaml"
    if gaps_path.exists():
        library.gap_rules = _load_gap_rules(gaps_path, library)
    library.version = _load_library_version(root / "library.yaml")
    return library


# --- snapshot between runs -------------------------------------------------------------
#
# A snapshot is JSON: the loaded library as plain values (models.to_plain), rebuilt with
# models.from_plain, which checks every value's type. Reading one can only give data, never run
# code, and a value of the wrong type anywhere means the whole snapshot is ignored. It is still
# signed (signed_cache) and kept in the user's own cache folder with mode 0600, so a snapshot
# someone else wrote or changed is ignored too: it could otherwise put words in a policy. Any
# snapshot that cannot be read, for whatever reason, is ignored and the YAML read afresh.
#
# The compiled clause templates and conditions are code, so they are not in the snapshot: they are
# kept in the compiled-template cache (jinja/, signed too), all of a library's in one file under the
# snapshot's key (templating.save_bundle), and each template is made from its source on first use.

SNAPSHOT_FORMAT = "policy-builder library snapshot 2 (JSON)"
SNAPSHOT_SUFFIX = ".json"
SNAPSHOTS_KEPT = 24  # one per library folder; temporary libraries (tests, wizards) push out the oldest
_LIBRARY_FILES = (
    "questionnaire.yaml",
    "migrations.yaml",  # read with the questionnaire: an edit to it must not reuse the old snapshot
    "sources.yaml",
    "nations.yaml",
    ACTIONS_FILE,
    "gaps.yaml",
    "library.yaml",
)
# The Library fields a snapshot holds; the rest are made again (templates, from their sources) or
# are never kept (problems: a library with one is not snapshotted; history: read when asked for).
_SNAPSHOT_FIELDS = (
    "root",
    "questionnaire",
    "documents",
    "items",
    "not_applicable",
    "nations",
    "sections",
    "gap_rules",
    "template_lines",
    "version",
    "actions",
)
_TEMPLATE_SOURCES = dict[str, tuple[str, str]]  # templates key -> (template name, source)


class _Templates(MutableMapping[str, Template]):
    """A library's compiled templates, each compiled on first use from its source.

    A build renders the clauses its answers choose, not all of them, and loading compiled code
    (from the jinja/ cache) is most of the cost of a template: only those used are loaded. Every
    key is there from the start (iteration, `in`, len); a template is made when first looked up.
    """

    def __init__(self, sources: dict[str, tuple[str, str]]) -> None:
        self.sources = sources
        self._loaded: dict[str, Template] = {}

    def __getitem__(self, key: str) -> Template:
        template = self._loaded.get(key)
        if template is None:
            name, source = self.sources[key]  # KeyError for a key the library does not have, as a dict
            template = self._loaded[key] = compile_template(source, name)
        return template

    def __setitem__(self, key: str, template: Template) -> None:
        if key not in self.sources:
            raise KeyError(key)  # a template comes with its source, or the snapshot could not hold it
        self._loaded[key] = template

    def __delitem__(self, key: str) -> None:
        del self.sources[key]
        self._loaded.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)

    def __contains__(self, key: object) -> bool:
        return key in self.sources  # without loading the template, as Mapping's own would

    def __len__(self) -> int:
        return len(self.sources)


def _snapshot_key(root: Path) -> str | None:
    """A hash of everything a loaded library depends on, or None when a file cannot be read.

    The bytes of every file load_library reads (and which of the optional ones exist), the
    folder as given, this package's code (size and time of each module: the models' shape), the
    snapshot format and the versions of Python and Jinja that compiled the templates.
    """
    import hashlib
    import sys

    import jinja2

    from policy_builder import __version__

    digest = hashlib.sha256()

    def put(*parts: str | bytes) -> None:
        for part in parts:
            digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogateescape"))
            digest.update(b"\0")

    put(SNAPSHOT_FORMAT, __version__, sys.version, jinja2.__version__, str(root), str(root.absolute()))
    try:
        # Installing or upgrading a package changes its folder's listing, so its time (the code bundle).
        put(str(Path(jinja2.__file__).parent.parent.stat().st_mtime_ns))
        for module in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
            info = module.stat()
            put(module.name, str(info.st_size), str(info.st_mtime_ns))
        for path in [*(root / name for name in _LIBRARY_FILES), *sorted(root.glob("[0-9]*.yaml"))]:
            try:
                put(path.name, path.read_bytes())
            except FileNotFoundError:
                put(path.name, b"\0missing")
    except OSError:
        return None  # an unreadable file: load the library the usual way, which says what is wrong
    return digest.hexdigest()


def _snapshot_path(root: Path) -> Path | None:
    import hashlib

    folder = templating.cache_folder()
    if folder is None:
        return None
    name = hashlib.sha256(f"{root}\0{root.absolute()}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return folder / "library" / f"{name}{SNAPSHOT_SUFFIX}"


@cache
def _snapshot_types() -> dict[str, Any]:
    """The type of each field a snapshot holds (the annotations are strings until resolved)."""
    fields = {f.name: f.type for f in dataclasses.fields(Library)}
    return {name: resolve_annotation(fields[name], Library) for name in _SNAPSHOT_FIELDS}


def _read_snapshot(root: Path, key: str) -> Library | None:
    """The library saved under ``key``, or None: missing, stale, damaged, altered or odd snapshots are ignored."""
    import json

    path = _snapshot_path(root)
    if path is None:
        return None
    raw = signed_cache.load(path.parent.parent, path)  # None unless this user's own, signed with their key
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if type(data) is not dict or data.get("format") != SNAPSHOT_FORMAT or data.get("key") != key:
            return None
        stored = data["library"]
        if type(stored) is not dict or stored.keys() != set(_SNAPSHOT_FIELDS):
            return None
        values = {name: from_plain(kind, stored[name]) for name, kind in _snapshot_types().items()}
        sources = from_plain(_TEMPLATE_SOURCES, data["templates"])
    except (ValueError, TypeError, KeyError, RecursionError):  # JSON errors and PlainError are ValueErrors
        return None
    if values["root"] != root or not templating.load_bundle(path.stem, key):
        return None  # no compiled code to go with it (removed, altered): read afresh, which keeps both again
    library = Library(**values, templates=_Templates(sources))
    library._template_sources = sources
    return library


def _write_snapshot(library: Library, key: str, compiled: set[tuple[str, str]]) -> None:
    """Save the library as plain values (best effort: a cache that cannot be written is simply not kept)."""
    import json

    path = _snapshot_path(library.root)
    if path is None:
        return
    try:
        plain = {name: to_plain(kind, getattr(library, name)) for name, kind in _snapshot_types().items()}
        data = json.dumps(
            {
                "format": SNAPSHOT_FORMAT,
                "key": key,
                "library": plain,
                "templates": to_plain(_TEMPLATE_SOURCES, library._template_sources),
            },
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        ).encode("utf-8")
    except (ValueError, TypeError):  # PlainError: a value with no plain form; or text UTF-8 cannot hold
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    # The code first: a snapshot is used only with the code kept under its key, and a run between
    # the two writes finds the old snapshot (another key) or none.
    if not templating.save_bundle(path.stem, key, compiled):
        return
    if signed_cache.store(path.parent.parent, path, data):  # signed, 0600, replaced whole
        _prune_snapshots(path.parent)


def _prune_snapshots(folder: Path) -> None:
    """Keep the SNAPSHOTS_KEPT most recently written snapshots and their code (and no stray temporary files)."""
    import time

    try:
        entries = [(entry.stat().st_mtime, entry) for entry in folder.iterdir()]
    except OSError:
        return
    snapshots = sorted((e for e in entries if e[1].suffix == SNAPSHOT_SUFFIX), reverse=True)
    stale = [e for _, e in snapshots[SNAPSHOTS_KEPT:]]
    stale += [bundle for e in stale if (bundle := templating.bundle_path(e.stem)) is not None]  # their code
    stale += [e for _, e in entries if e.suffix == ".snapshot"]  # the old format (a pickle): never read now
    stale += [e for mtime, e in entries if e.suffix == ".tmp" and mtime < time.time() - 3600]
    for entry in stale:
        try:
            entry.unlink()
        except OSError:
            pass


def _load_actions(path: Path) -> dict[str, Action]:
    """clauses/actions.yaml: the actions clause rules may name. A library without it states no rules."""
    if not path.exists():
        return {}
    doc = load_checked(path, ACTIONS_SCHEMA)
    actions: dict[str, Action] = {}
    for key, raw in (doc.data.get("actions") or {}).items():
        line = doc.line("actions", key)
        action_id = str(key)
        if not _ACTION_ID.match(action_id):
            raise LibraryError(
                path, line, f"action id '{action_id}' must be lowercase words joined by dots, such as messaging.sms"
            )
        actions[action_id] = Action(
            id=action_id, description=" ".join(raw["description"].split()), section=raw["section"].strip(), line=line
        )
    return actions


def _load_rules(
    raw: Any, path: Path, doc: yamlio.Document, index: int, clause_id: str, library: Library
) -> tuple[Rule, ...]:
    """A clause's `rules:`: each names a known action and a modality, with an optional condition."""
    line = doc.line("clauses", index, "rules")
    if raw is None:
        return ()
    rules: list[Rule] = []
    for number, entry in enumerate(raw):  # SECTION_FILE has checked each rule's fields and types
        at = doc.line("clauses", index, "rules", number) or line
        action = entry["action"]
        action_line = doc.line("clauses", index, "rules", number, "action") or at
        if action not in library.actions:
            raise LibraryError(path, action_line, f"{clause_id}: {unknown_action_message(action, library.actions)}")
        modality = entry.get("modality")
        if modality not in MODALITIES:
            raise LibraryError(
                path,
                doc.line("clauses", index, "rules", number, "modality") or at,
                f"{clause_id}: rule for '{action}': modality {modality!r} is not one of {', '.join(MODALITIES)}",
            )
        when = entry.get("when")
        if when is not None:
            when_line = doc.line("clauses", index, "rules", number, "when") or at
            when = _when(library, when, path, when_line, f"{clause_id}: rule for '{action}'")
        see = entry.get("see")
        rules.append(Rule(action=action, modality=str(modality), when=when, line=at, see=see.strip() if see else None))
    return tuple(rules)


def unknown_action_message(action: str, actions: dict[str, Action]) -> str:
    """ "unknown action 'x' (did you mean 'y'?)", for clause rules and handout items alike."""
    if not actions:
        return f"unknown action '{action}': there is no clauses/{ACTIONS_FILE} listing the actions rules may name"
    import difflib  # here, not at the top: only a library with a mistake needs it (2 ms of every build)

    close = difflib.get_close_matches(action, list(actions), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"unknown action '{action}'{hint}; add it to clauses/{ACTIONS_FILE} or use one listed there"


def _load_library_version(path: Path) -> str:
    if not path.exists():
        return "0"
    doc = load_checked(path, LIBRARY_FILE)
    if not doc.data.get("version"):
        raise LibraryError(path, doc.line(), "expected 'version: \"1.0.0\"'")
    return str(doc.data["version"])


def _require_mapping(doc: yamlio.Document, what: str) -> dict[str, Any]:
    if doc.data is None:
        raise LibraryError(doc.path, None, f"is empty; expected {what}")
    if not isinstance(doc.data, dict):
        raise LibraryError(doc.path, doc.line(), f"expected {what}")
    return doc.data


def _mapping_at(doc: yamlio.Document, key: str, what: str) -> dict[Any, Any]:
    """data[key] as a mapping (empty when absent); anything else is an error naming the line."""
    value = doc.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LibraryError(doc.path, doc.line(key), f"{key}: expected {what}")
    return value


def _check_names(
    library: Library, source: str, path: Path, first_line: int | None, what: str, *, expression: bool
) -> None:
    """Record a name a template or condition uses that does not exist (see Library.require_sound)."""
    facts = set().union(*(set(f) for f in library.nations.values())) if library.nations else set()
    error = unknown_name_error(
        source, path, first_line, what, library.questionnaire.questions, facts, expression=expression
    )
    if error is not None:
        library.problems.append(error)


def _when(library: Library, value: Any, path: Path, line: int | None, what: str) -> str:
    """A clause's, rule's, section's or gap rule's `when`: compiled, and its names recorded if unknown."""
    when = check_when(value, path, line, what)
    _check_names(library, when, path, line, f"{what}: when", expression=True)
    return when


def _load_sources(path: Path) -> tuple[dict[str, SourceDocument], dict[str, SourceItem], dict[str, str]]:
    doc = load_checked(path, SOURCES_FILE)
    _require_mapping(doc, "a mapping with 'documents' and 'items'")
    documents: dict[str, SourceDocument] = {}
    for key, raw in _mapping_at(doc, "documents", "a mapping of document id to title, body and edition").items():
        if not isinstance(raw, dict) or not raw.get("title"):
            raise LibraryError(path, doc.line("documents", key), f"document {key} needs a title")
        documents[str(key)] = SourceDocument(
            id=str(key),
            title=str(raw["title"]),
            body=str(raw.get("body") or ""),
            edition=str(raw.get("edition") or ""),
            kind=str(raw.get("kind") or "guidance"),
            nations=tuple(raw.get("nations") or ()),
            employer_types=tuple(raw.get("employer_types") or ()),
        )
    items: dict[str, SourceItem] = {}
    for key, raw in _mapping_at(doc, "items", "a mapping of item id to document and summary").items():
        line = doc.line("items", key)
        if not isinstance(raw, dict) or raw.get("document") not in documents:
            raise LibraryError(path, line, f"item {key} needs 'document:' naming one of the documents above")
        extra = sorted(str(k) for k in raw if k not in ("document", "summary", "nations"))
        if extra:
            # The usual cause: an unquoted comma in `{document: X, summary: a, b}` cut the summary short.
            raise LibraryError(
                path,
                line,
                f"item {key}: unexpected {extra[0]!r}; an item has only 'document', 'summary' and 'nations' "
                "(quote a summary that contains a comma, or write the item in block style)",
            )
        if not isinstance(raw.get("summary"), str) or not raw["summary"].strip():
            raise LibraryError(path, line, f"item {key} needs a one-line 'summary:'")
        if not raw["summary"].rstrip().endswith((".", "?", ")", '"')):
            raise LibraryError(path, line, f"item {key}: the summary looks cut short; end it with a full stop")
        items[str(key)] = SourceItem(
            id=str(key),
            document=str(raw["document"]),
            summary=str(raw.get("summary") or ""),
            nations=tuple(str(n) for n in raw.get("nations") or ()),
        )
    not_applicable: dict[str, str] = {}
    for key, reason in _mapping_at(doc, "not_applicable", "a mapping of item id to a one-line reason").items():
        if key not in items:
            raise LibraryError(path, doc.line("not_applicable", key), f"not_applicable names unknown item {key}")
        if not isinstance(reason, str) or not reason.strip():
            raise LibraryError(path, doc.line("not_applicable", key), f"{key}: give a one-line reason")
        not_applicable[str(key)] = reason.strip()
    return documents, items, not_applicable


def _load_nations(path: Path) -> dict[str, dict[str, Any]]:
    doc = load_checked(path, NATIONS_FILE)
    data = _require_mapping(doc, "a mapping of nation id to facts")
    nations: dict[str, dict[str, Any]] = {}
    for key, facts in data.items():
        if not isinstance(facts, dict):
            raise LibraryError(
                path,
                doc.line(key),
                f"{key}: expected a mapping of facts (name: ..., regulator: ...), not {kind_of(facts)}",
            )
        nations[str(key)] = dict(facts)
    # Clause text may print any fact for any nation, so every nation needs every fact (null where none).
    every = sorted(set().union(*(set(f) for f in nations.values()))) if nations else []
    for key, facts in nations.items():
        missing = [fact for fact in every if fact not in facts]
        if missing:
            raise LibraryError(
                path,
                doc.line(key),
                f"{key}: missing {', '.join(missing)}; every nation needs: {', '.join(every)} (null where none)",
            )
    return nations


def _compile(library: Library, key: str, text: str, path: Path, line: int | None, what: str) -> Template:
    """Compile library text into library.templates[key]; ``line`` is the file line the text's first line is on."""
    name = f"{path.name}:{what}"
    try:
        template = library.templates[key] = compile_template(text, name)
        library._template_sources[key] = (name, text)
        return template
    except TemplateSyntaxError as exc:
        where = (line + exc.lineno - 1) if line and exc.lineno else line
        raise LibraryError(path, where, f"{what}: template error: {exc.message}") from None
    except TemplateError as exc:
        raise LibraryError(path, line, f"{what}: template error: {exc}") from None


def _load_section(path: Path, library: Library, seen: dict[str, Clause]) -> LibrarySection:
    doc = load_checked(path, SECTION_FILE)  # types and allowed keys; what follows needs the rest of the library
    data = doc.data
    head = data["section"]
    section_id = str(head["id"])
    for other in library.sections:
        if other.id == section_id:
            raise LibraryError(
                path, doc.line("section", "id"), f"section id '{section_id}' is already used by {other.path.name}"
            )
    when = head.get("when")
    if when is not None:
        when_line = doc.line("section", "when")
        when = _when(library, when, path, when_line, f"section {section_id}")
        library.template_lines[f"section-when:{section_id}"] = when_line
    intro = head.get("intro")
    if intro:
        start = doc.text_start("section", "intro")
        what = f"section {section_id} intro"
        _compile(library, f"section:{section_id}", intro, path, start, what)
        library.template_lines[f"section:{section_id}"] = doc.line("section", "intro")
        _check_names(library, intro, path, start, what, expression=False)
    clauses = []
    for index, raw in enumerate(data["clauses"]):
        clause = _load_clause(raw, path, doc, index, section_id, library)
        if clause.id in seen:
            first = seen[clause.id]
            raise LibraryError(
                path, clause.line, f"clause id '{clause.id}' is already used at {first.path.name}:{first.line}"
            )
        seen[clause.id] = clause
        clauses.append(clause)
    return LibrarySection(
        id=section_id,
        title=str(head["title"]),
        path=path,
        clauses=tuple(clauses),
        intro=str(intro) if intro else None,
        when=when,
    )


def _load_clause(raw: Any, path: Path, doc: yamlio.Document, index: int, section_id: str, library: Library) -> Clause:
    line = doc.line("clauses", index)
    clause_id = raw["id"]  # SECTION_FILE has checked each field's type and that the required ones are there
    sources = raw["sources"]
    unknown_sources = [s for s in sources if s not in library.items]
    if unknown_sources:
        raise LibraryError(
            path,
            doc.line("clauses", index, "sources"),
            f"{clause_id}: unknown source id(s) {', '.join(unknown_sources)}; see clauses/sources.yaml",
        )
    version = raw["version"]
    updated = raw.get("updated")
    when = raw.get("when")
    if when is not None:
        when_line = doc.line("clauses", index, "when")
        when = _when(library, when, path, when_line, clause_id)
    rules = _load_rules(raw.get("rules"), path, doc, index, clause_id, library)
    document = raw.get("document", "policy")
    if document == "guide" and (rules or raw["level"] != "note"):
        # The guide explains; every rule lives in the policy, where the contradiction check sees it.
        raise LibraryError(
            path,
            doc.line("clauses", index, "document"),
            f"{clause_id}: a guide clause is level note and states no rules",
        )
    guide = raw.get("guide")
    if guide is not None and document == "guide":
        raise LibraryError(
            path, doc.line("clauses", index, "guide"), f"{clause_id}: guide names the id of a guide clause"
        )
    text = raw["text"]
    start = doc.text_start("clauses", index, "text")
    _compile(library, clause_id, text, path, start, clause_id)
    library.template_lines[clause_id] = start
    _check_names(library, text, path, start, clause_id, expression=False)
    return Clause(
        id=clause_id,
        title=str(raw["title"]),
        text=text,
        level=str(raw["level"]),
        sources=tuple(sources),
        version=version,
        updated=updated,
        section=section_id,
        path=path,
        line=line,
        when=when,
        group=str(raw["group"]) if raw.get("group") else None,
        rules=rules,
        document=str(document),
        guide=guide,
    )


def _load_gap_rules(path: Path, library: Library) -> list[GapRule]:
    doc = load_checked(path, GAPS_FILE)  # each rule a mapping with an id and only known fields
    rules: list[GapRule] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc.data["rules"]):
        line = doc.line("rules", index)
        rule_id = raw["id"]
        if rule_id in seen:
            raise LibraryError(path, line, f"gap rule id '{rule_id}' is used twice")
        seen.add(rule_id)
        for required in ("when", "severity", "message", "recommendation", "questions", "sources"):
            if raw.get(required) in (None, "", []):
                raise LibraryError(path, line, f"{rule_id}: '{required}' is required")
        if raw["severity"] not in SEVERITIES:
            raise LibraryError(
                path,
                doc.line("rules", index, "severity"),
                f"{rule_id}: severity must be one of {', '.join(SEVERITIES)}",
            )
        when_line = doc.line("rules", index, "when")
        when = _when(library, raw["when"], path, when_line, rule_id)
        for name in ("message", "recommendation"):
            if not isinstance(raw[name], str):
                raise LibraryError(
                    path, doc.line("rules", index, name), f"{rule_id}: {name} must be text, not {kind_of(raw[name])}"
                )
        questions, sources = raw["questions"], raw["sources"]
        for name, ids in (("questions", questions), ("sources", sources)):
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise LibraryError(path, doc.line("rules", index, name), f"{rule_id}: {name} must be a list of ids")
        unknown_questions = [q for q in questions if q not in library.questionnaire.questions]
        if unknown_questions:
            raise LibraryError(
                path,
                doc.line("rules", index, "questions"),
                f"{rule_id}: questions: unknown question '{unknown_questions[0]}'; questions must be question ids"
                " from questionnaire.yaml",
            )
        unknown_sources = [s for s in sources if s not in library.items]
        if unknown_sources:
            raise LibraryError(
                path,
                doc.line("rules", index, "sources"),
                f"{rule_id}: unknown source id(s) {', '.join(unknown_sources)}; see clauses/sources.yaml",
            )
        rules.append(
            GapRule(
                id=rule_id,
                when=when,
                severity=raw["severity"],
                message=str(raw["message"]).strip(),
                recommendation=str(raw["recommendation"]).strip(),
                questions=tuple(questions),
                sources=tuple(sources),
                path=path,
                line=line,
            )
        )
    return rules
