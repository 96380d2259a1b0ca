"""An employer's own wording, kept in its profile under `local:`.

Two kinds of entry: extra clauses for a section, and replacement wording for a
library clause (with a reason and the library version it was written
against). Local wording is the employer's Markdown: it is never run as a
template. When the library clause a replacement is based on moves to a newer
version, the build keeps the local wording and warns, showing the upstream
change, like a merge conflict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder.content.models import LocalNote, RenderedClause
from policy_builder.content.versions import text_of_version
from policy_builder.core import yamlio
from policy_builder.core.errors import ProfileError
from policy_builder.core.templating import without_controls

if TYPE_CHECKING:
    from policy_builder.content.library import Library

_SURROGATE = re.compile("[\ud800-\udfff]")
# A local clause id goes into bookmarks, an HTML comment in the Markdown, the manifest and the gap report:
# letters, digits, dots, hyphens and underscores only, so it can break out of none of them.
_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,79}")
# Raw HTML in local wording (<script>, <img onerror=...>, <!-- -->) is shown as text, not passed to a
# Markdown viewer; only an autolink to a web or mail address keeps its angle brackets.
_RAW_HTML = re.compile(r"<(?!(?:https?://|mailto:)[^\s<>]*>)")
# Markdown links in local wording, found as a Markdown reader would start them: a backslash escape (left
# alone), an inline link "[text](target" or a reference definition "[label]: target" at the start of a line.
# Only a web or mail address stays a live link; any other target (javascript:, file:, data:, a path, an
# entity-spelled scheme) is shown as text by escaping its "[". Code spans are not told apart (a link typed in
# one gains a visible backslash); markdown-it then checks the result, as the Word writer reads it.
_MARKDOWN_LINK = re.compile(
    r"(?P<escaped>\\[\s\S])"
    r"|\[(?:[^\[\]\\]|\\.)*\]\(\s*<?(?P<target>[^\s<>)]*)"
    r"|(?m:^(?P<indent> {0,3})\[(?:[^\[\]\\]|\\.)+\]:[ \t]*<?(?P<definition>[^\s<>]*))"
)
_LIVE_TARGET = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_REPLACE_FIELDS = {"replace", "based_on_version", "reason", "title", "text"}
_ADD_FIELDS = {"add_to", "after", "id", "title", "text", "reason"}


@dataclass(frozen=True)
class LocalEntry:
    kind: str  # "replace" or "add"
    target: str  # the replaced clause id, or the section id added to
    title: str | None
    text: str
    reason: str | None
    based_on_version: int | None
    after: str | None
    local_id: str
    path: Path
    line: int | None
    id_line: int | None = None  # the line of its `id:`, or of the entry when the id is made for it


def parse_local(doc: yamlio.Document) -> list[LocalEntry]:
    data = doc.data.get("local") if isinstance(doc.data, dict) else None
    if data is None:
        return []
    if not isinstance(data, list):
        raise ProfileError(
            doc.path, doc.line("local"), "local: expected a list of entries, each starting '- replace:' or '- add_to:'"
        )
    entries = []
    for index, raw in enumerate(data):
        line = doc.line("local", index)
        entries.append(_parse_entry(raw, doc.path, line, index, doc))
    return entries


def _parse_entry(raw: Any, path: Path, line: int | None, index: int, doc: yamlio.Document) -> LocalEntry:
    if not isinstance(raw, dict) or not ("replace" in raw or "add_to" in raw):
        raise ProfileError(path, line, "local: each entry needs 'replace: <clause id>' or 'add_to: <section id>'")
    kind = "replace" if "replace" in raw else "add"
    allowed = _REPLACE_FIELDS if kind == "replace" else _ADD_FIELDS
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise ProfileError(
            path, line, f"local: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in ("text",) + (("reason", "based_on_version") if kind == "replace" else ("title",)):
        value = raw.get(key)
        # Blank is missing: a replacement of spaces would drop a library rule from the policy without a word.
        if value is None or (isinstance(value, str) and not without_controls(value).strip()):
            raise ProfileError(
                path,
                doc.line("local", index, key) if key in raw else line,
                f"local: '{key}' is required for a '{'replace' if kind == 'replace' else 'add_to'}' entry"
                + (" and is blank" if key in raw else ""),
            )
    for key in ("replace", "add_to", "after", "id", "title", "text", "reason"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise ProfileError(path, doc.line("local", index, key), f"local: {key} must be text")
        half = _SURROGATE.search(raw[key]) if isinstance(raw.get(key), str) else None
        if half:
            # Only a "\ud800" escape makes one; no file can hold it, so the build would fail half-written.
            raise ProfileError(
                path,
                doc.line("local", index, key),
                f"local: {key}: U+{ord(half.group()):04X} is half of a character pair, not text; delete it",
            )
    version = raw.get("based_on_version")
    if kind == "replace" and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise ProfileError(
            path,
            doc.line("local", index, "based_on_version"),
            "local: based_on_version must be the library clause's version number, such as 1",
        )
    target = str(raw["replace"] if kind == "replace" else raw["add_to"])
    local_id = str(raw.get("id") or (f"local.{target}" if kind == "replace" else f"local.{target}.{index + 1}"))
    # An id made from the target is safe once the target is found to be a library id (apply_local checks).
    if raw.get("id") and not _SAFE_ID.fullmatch(local_id):
        raise ProfileError(
            path,
            doc.line("local", index, "id"),
            f"local: id {local_id[:80]!r} is not allowed; use letters, digits, '.', '-' and '_' only, "
            "starting with a letter (at most 80), such as local.welsh-replies",
        )
    return LocalEntry(
        kind=kind,
        target=target,
        title=_filled(raw.get("title")),
        text=safe_wording(str(raw["text"]), path, doc.line("local", index, "text")),
        reason=_filled(raw.get("reason")),
        based_on_version=version if kind == "replace" else None,
        after=raw.get("after"),
        local_id=local_id,
        path=path,
        line=line,
        id_line=doc.line("local", index, "id") if raw.get("id") else line,
    )


def _filled(value: Any) -> str | None:
    """An optional text field, None when blank, so a title of spaces keeps the library clause's own title."""
    return value if isinstance(value, str) and without_controls(value).strip() else None


def safe_wording(text: str, path: Path, line: int | None) -> str:
    """Local wording fit to publish: no control characters, no raw HTML, only web and mail links live.

    Pictures are refused rather than quietly turned into their alt text: the Word policy has no place for a
    picture from the profile, a remote one is a tracking pixel in any Markdown previewer, and the employer
    should know their picture is not in the policy rather than find it missing after publishing.
    """
    text = without_raw_html(without_controls(text).strip())
    picture = next((t for t in _inline_tokens(text) if t.type == "image"), None) if "![" in text else None
    if picture is not None:
        shown = f"![{picture.content}]({picture.attrs.get('src', '')})"
        raise ProfileError(
            path,
            line,
            f"local: text: pictures are not allowed in local wording ({shown[:60]!r}); put a logo in your Word "
            "template (--reference-docx) and describe anything else in words",
        )
    if "[" not in text:
        return text  # most wording: no link, nothing to parse
    text = _MARKDOWN_LINK.sub(_link_as_text_unless_web, text)
    if _unsafe_links(text):
        # A shape the pattern above does not foresee: every "[" as a character reference, never link syntax.
        text = text.replace("[", "&#91;")
    return text


def _inline_tokens(text: str) -> list[Any]:
    """The inline tokens (text, links, images) a CommonMark reader finds, as the Word writer parses it."""
    from markdown_it import MarkdownIt

    reader = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    # Every link and picture reported, whatever its scheme: markdown-it leaves javascript: links as text
    # itself, but other Markdown viewers of the published file may not.
    reader.validateLink = _any_link  # type: ignore[method-assign]  # markdown-it's documented way to allow every link
    tokens = reader.parse(text)
    return [child for token in tokens for child in token.children or ()]


def _unsafe_links(text: str) -> bool:
    return any(
        t.type == "link_open" and not _LIVE_TARGET.match(str(t.attrs.get("href", ""))) for t in _inline_tokens(text)
    )


def _link_as_text_unless_web(match: re.Match[str]) -> str:
    if match.group("escaped"):
        return match.group()
    target = match.group("target") if match.group("definition") is None else match.group("definition")
    if _LIVE_TARGET.match(target or ""):
        return match.group()
    whole = match.group()
    start = len(match.group("indent") or "")
    return whole[:start] + "\\" + whole[start:]  # "\[" is a literal bracket: the rest shows as typed


def without_raw_html(text: str) -> str:
    """Local wording with raw HTML shown as text: '<' becomes '&lt;', which every Markdown reader prints as '<'."""
    return _RAW_HTML.sub("&lt;", text)


def apply_local(
    library: Library,
    entries: list[LocalEntry],
    drafts: dict[str, list[RenderedClause]],
    sections_in_use: set[str],
) -> list[LocalNote]:
    """Put the employer's wording into the drafted sections; return what the build must say."""
    from policy_builder.content.questionnaire import suggest

    notes: list[LocalNote] = []
    clause_ids = [c.id for c in library.clauses]
    section_ids = [s.id for s in library.sections]
    _check_ids(entries, set(clause_ids) | set(section_ids))
    for entry in entries:
        if entry.kind == "replace":
            if entry.target not in clause_ids:
                raise ProfileError(
                    entry.path,
                    entry.line,
                    f"local: replace names unknown clause '{entry.target}'{suggest(entry.target, clause_ids)}; "
                    "see 'policy-builder coverage' for clause ids",
                )
            clause = library.clause(entry.target)
            drafted = next(
                ((sid, i) for sid, items in drafts.items() for i, c in enumerate(items) if c.id == entry.target), None
            )
            if drafted is None:
                notes.append(
                    LocalNote(
                        entry.local_id,
                        clause.id,
                        f"your local wording for {clause.id} is not used: that clause does not apply to these answers",
                    )
                )
                continue
            section_id, index = drafted
            original = drafts[section_id][index]
            drafts[section_id][index] = replace(
                original,
                title=entry.title or original.title,
                text=entry.text,
                local="replaced",
                local_reason=entry.reason,
            )
            assert entry.based_on_version is not None
            if clause.version != entry.based_on_version:
                notes.append(_version_conflict(library, entry, clause.id, clause.version, clause.title, clause.text))
        else:
            if entry.target not in section_ids:
                raise ProfileError(
                    entry.path,
                    entry.line,
                    f"local: add_to names unknown section '{entry.target}'{suggest(entry.target, section_ids)}; "
                    f"sections: {', '.join(section_ids)}",
                )
            items = drafts[entry.target]
            position = len(items)
            if entry.after:
                found = [i for i, c in enumerate(items) if c.id == entry.after]
                if found:
                    position = found[0] + 1
                else:
                    notes.append(
                        LocalNote(
                            entry.local_id,
                            entry.after,
                            f"your local clause '{entry.title}' was to follow {entry.after}, which is not in this "
                            "policy; it is placed at the end of its section",
                        )
                    )
            items.insert(
                position,
                RenderedClause(
                    number="",
                    id=entry.local_id,
                    title=str(entry.title),
                    text=entry.text,
                    level="note",
                    sources=(),
                    version=1,
                    local="added",
                    local_reason=entry.reason,
                ),
            )
    return notes


def id_key(identifier: str) -> str:
    """An id as Word sees its bookmark: case-insensitive, with '.' and '-' both '_' (local.A-b ~ local.a_b)."""
    return re.sub(r"[^0-9a-z]", "_", identifier.casefold())


def _alike(first: str, second: str) -> tuple[str, str]:
    """How the other id is spelled and why the two still clash, or nothing when they are spelled the same."""
    if first == second:
        return "", ""
    return f" as '{first}'", "; Word bookmark names ignore case and treat '.', '-' and '_' alike"


def _check_ids(entries: list[LocalEntry], library_ids: set[str]) -> None:
    """Each local clause's id is its own: not a library clause's or section's, nor another local entry's.

    Two clauses with one id would share a bookmark in the Word file and an entry in the manifest, and
    `changes` would compare the wrong clauses. Ids are compared by their bookmark form, because Word
    bookmark names ignore case and a bookmark holds '_' where the id has '.' or '-'.
    """
    library = {id_key(i): i for i in library_ids}
    seen: dict[str, LocalEntry] = {}
    for entry in entries:
        key = id_key(entry.local_id)
        if entry.kind == "add" and key in library:
            spelled, why = _alike(library[key], entry.local_id)
            raise ProfileError(
                entry.path,
                entry.id_line,
                f"local: id '{entry.local_id}' is the id of a library clause or section{spelled}{why}; give your "
                f"clause its own id, such as local.{entry.local_id}",
            )
        first = seen.get(key)
        if first is not None:
            spelled, why = _alike(first.local_id, entry.local_id)
            raise ProfileError(
                entry.path,
                entry.id_line,
                f"local: id '{entry.local_id}' is used by another local entry{spelled} (line {first.id_line}){why}; "
                "give each its own id",
            )
        seen[key] = entry


def _version_conflict(
    library: Library, entry: LocalEntry, clause_id: str, current: int, title: str, text: str
) -> LocalNote:
    from policy_builder.core.worddiff import word_diff_markdown

    based_on = library.history and text_of_version(library.history, clause_id, entry.based_on_version or 0)
    if not based_on:
        return LocalNote(
            entry.local_id,
            clause_id,
            f"your local wording for {clause_id} says it is based on version {entry.based_on_version}, but the "
            f"library has no such version (it is now version {current}); check the wording and set "
            f"based_on_version: {current}",
        )
    return LocalNote(
        entry.local_id,
        clause_id,
        f"your local wording for {clause_id} is based on version {entry.based_on_version}; the library's clause is "
        f"now version {current}. Your wording is kept: review the upstream change below, update your wording if "
        f"needed, then set based_on_version: {current}",
        upstream_change=word_diff_markdown(str(based_on["text"]), text),
    )


def _any_link(url: str) -> bool:
    return True
