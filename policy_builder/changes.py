"""What changed between two issued policies: clauses, wording, answers and gaps."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .templating import markdown_escape


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, words)] with op '=', '-' or '+'."""
    a, b = _words(old), _words(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
        if tag in ("delete", "replace"):
            out.append(("-", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("+", " ".join(b[j1:j2])))
    return out


def word_diff_markdown(old: str, new: str) -> str:
    """Removed words ~~struck through~~, added words **in bold**."""
    parts = []
    for op, words in _diff(old, new):
        if op == "=":
            parts.append(words)
        elif op == "-":
            parts.append(f"~~{words}~~")
        else:
            parts.append(f"**{words}**")
    return " ".join(parts)


def word_diff_terminal(old: str, new: str, context: int = 8) -> str:
    """[-removed-]{+added+}, with long unchanged runs shortened."""
    parts = []
    for op, words in _diff(old, new):
        if op == "=":
            ws = words.split()
            if len(ws) > 2 * context:
                words = " ".join(ws[:context]) + " … " + " ".join(ws[-context:])
            parts.append(words)
        elif op == "-":
            parts.append(f"[-{words}-]")
        else:
            parts.append(f"{{+{words}+}}")
    return " ".join(parts)


@dataclass
class ClauseChange:
    id: str
    title: str
    old_number: str | None
    new_number: str | None
    old_version: int | None = None
    new_version: int | None = None
    old_text: str = ""
    new_text: str = ""
    local: str | None = None


@dataclass
class Changes:
    old: dict[str, Any]
    new: dict[str, Any]
    added: list[ClauseChange] = field(default_factory=list)
    removed: list[ClauseChange] = field(default_factory=list)
    reworded: list[ClauseChange] = field(default_factory=list)
    answers: list[tuple[str, Any, Any]] = field(default_factory=list)
    new_gaps: list[dict[str, Any]] = field(default_factory=list)
    resolved_gaps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.answers or self.new_gaps or self.resolved_gaps)

    def summary_line(self) -> str:
        parts = [
            _count(len(self.added), "clause added", "clauses added"),
            _count(len(self.removed), "clause removed", "clauses removed"),
            _count(len(self.reworded), "clause reworded", "clauses reworded"),
            _count(len(self.answers), "answer changed", "answers changed"),
            _count(len(self.new_gaps), "new gap", "new gaps"),
            _count(len(self.resolved_gaps), "gap resolved", "gaps resolved"),
        ]
        shown = [part for part in parts if not part.startswith("0 ")]
        return "; ".join(shown) if shown else "no changes"

    def as_dict(self) -> dict[str, Any]:
        def clause(c: ClauseChange) -> dict[str, Any]:
            data = {"id": c.id, "title": c.title, "old_number": c.old_number, "new_number": c.new_number}
            if c.old_text or c.new_text:
                data.update(
                    old_version=c.old_version,
                    new_version=c.new_version,
                    diff=word_diff_markdown(c.old_text, c.new_text),
                )
            return data

        return {
            "old": _issue(self.old),
            "new": _issue(self.new),
            "clauses_added": [clause(c) for c in self.added],
            "clauses_removed": [clause(c) for c in self.removed],
            "clauses_reworded": [clause(c) for c in self.reworded],
            "answers_changed": [{"question": q, "old": o, "new": n} for q, o, n in self.answers],
            "gaps_new": self.new_gaps,
            "gaps_resolved": self.resolved_gaps,
        }


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _issue(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "organisation": manifest.get("organisation"),
        "version": manifest.get("document", {}).get("version"),
        "built": manifest.get("built"),
        "library_version": manifest.get("library", {}).get("version"),
    }


def compare(old: dict[str, Any], new: dict[str, Any]) -> Changes:
    changes = Changes(old=old, new=new)
    old_clauses = {c["id"]: c for c in old.get("clauses", [])}
    new_clauses = {c["id"]: c for c in new.get("clauses", [])}
    for cid, c in new_clauses.items():
        if cid not in old_clauses:
            changes.added.append(
                ClauseChange(
                    cid,
                    c["title"],
                    None,
                    c["number"],
                    new_version=c.get("version"),
                    new_text=c.get("text") or "",
                    local=c.get("local"),
                )
            )
        elif old_clauses[cid]["sha256"] != c["sha256"]:
            o = old_clauses[cid]
            changes.reworded.append(
                ClauseChange(
                    cid,
                    c["title"],
                    o["number"],
                    c["number"],
                    old_version=o.get("version"),
                    new_version=c.get("version"),
                    old_text=o.get("text") or "",
                    new_text=c.get("text") or "",
                    local=c.get("local"),
                )
            )
    for cid, o in old_clauses.items():
        if cid not in new_clauses:
            changes.removed.append(ClauseChange(cid, o["title"], o["number"], None, old_version=o.get("version")))
    old_answers, new_answers = old.get("answers", {}), new.get("answers", {})
    for qid in [*new_answers, *[q for q in old_answers if q not in new_answers]]:
        before, after = old_answers.get(qid), new_answers.get(qid)
        if before != after:
            changes.answers.append((qid, before, after))
    old_gaps = {g["id"]: g for g in old.get("gaps", [])}
    new_gaps = {g["id"]: g for g in new.get("gaps", [])}
    changes.new_gaps = [g for gid, g in new_gaps.items() if gid not in old_gaps]
    changes.resolved_gaps = [g for gid, g in old_gaps.items() if gid not in new_gaps]
    return changes


def show(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    return str(value)


def render_markdown(changes: Changes) -> str:
    """A summary of changes a board can approve."""
    old, new = _issue(changes.old), _issue(changes.new)
    lines = [
        f"# Summary of changes: {markdown_escape(str(new['organisation']))}",
        "",
        f"Social Media and Digital Contact Policy, version {old['version']} ({old['built']}, clause library "
        f"{old['library_version']}) to version {new['version']} ({new['built']}, clause library {new['library_version']}).",
        "",
        f"In short: {changes.summary_line()}.",
        "",
    ]
    if changes.empty:
        lines += ["The two issues are the same.", ""]
    if changes.added:
        lines += ["## Clauses added", ""]
        for c in changes.added:
            marker = " (local wording)" if c.local else ""
            lines.append(f"- {_md(c.new_number)} {_md(c.title)}{marker}")
        lines.append("")
    if changes.removed:
        lines += ["## Clauses removed", ""]
        lines += [f"- {_md(c.old_number)} {_md(c.title)}" for c in changes.removed]
        lines.append("")
    if changes.reworded:
        lines += ["## Clauses reworded", "", "Removed words are ~~struck through~~; added words are in **bold**.", ""]
        for c in changes.reworded:
            number = c.new_number if c.old_number == c.new_number else f"{c.old_number} → {c.new_number}"
            version = f" (library version {c.old_version} → {c.new_version})" if c.old_version != c.new_version else ""
            lines += [
                f"### {_md(number)} {_md(c.title)}{version}",
                "",
                _no_html(word_diff_markdown(c.old_text, c.new_text)),
                "",
            ]
    if changes.answers:
        lines += ["## Answers changed", "", "| Question | Before | After |", "| --- | --- | --- |"]
        for qid, before, after in changes.answers:
            lines.append(f"| {_code(qid)} | {_cell(show(before))} | {_cell(show(after))} |")
        lines.append("")
    if changes.new_gaps:
        lines += ["## New gaps", ""]
        lines += [f"- **{_md(g['severity'])}**: {_md(g['message'])}" for g in changes.new_gaps]
        lines.append("")
    if changes.resolved_gaps:
        lines += ["## Gaps resolved", ""]
        lines += [f"- {_md(g['severity'])}: {_md(g['message'])}" for g in changes.resolved_gaps]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: object) -> str:
    """Text read from a manifest (which a person may have edited): shown as typed, never as Markdown or HTML."""
    return markdown_escape(str(text))


def _code(text: str) -> str:
    """A question id in a code span; a backtick in a hand-edited id must not end the span early."""
    return f"`{str(text).replace('`', chr(39))}`"


def _no_html(markdown: str) -> str:
    """A word diff of clause texts keeps their Markdown, but raw HTML from a hand-edited manifest is shown as text."""
    from .local import without_raw_html

    return without_raw_html(markdown)


def _cell(text: str) -> str:
    # Answers come from profiles: data, shown exactly as typed, never Markdown.
    return markdown_escape(text)


def render_terminal(changes: Changes) -> str:
    old, new = _issue(changes.old), _issue(changes.new)
    out = [
        f"Changes for {new['organisation']}: version {old['version']} ({old['built']}) -> {new['version']} ({new['built']})",
        f"Clause library {old['library_version']} -> {new['library_version']}",
        changes.summary_line(),
    ]
    for c in changes.added:
        out.append(f"  + {c.new_number} {c.title}" + (" (local)" if c.local else ""))
    for c in changes.removed:
        out.append(f"  - {c.old_number} {c.title}")
    for c in changes.reworded:
        out.append(f"  ~ {c.new_number} {c.title}")
        out.append(f"      {word_diff_terminal(c.old_text, c.new_text)}")
    for qid, before, after in changes.answers:
        out.append(f"  answer {qid}: {show(before)} -> {show(after)}")
    for g in changes.new_gaps:
        out.append(f"  new gap [{g['severity']}]: {g['message']}")
    for g in changes.resolved_gaps:
        out.append(f"  resolved gap [{g['severity']}]: {g['message']}")
    return "\n".join(out) + "\n"


def history_summary(changes: Changes) -> str:
    """One line for the version-history table."""
    if changes.empty:
        return "Reissued with no changes to clauses or answers."
    return changes.summary_line()[0].upper() + changes.summary_line()[1:] + "."


def since_markdown(changes: Changes) -> str:
    """The short 'changes since' list that goes inside the new policy."""
    items = []
    for c in changes.added:
        items.append(f"- Added {_md(c.new_number)} {_md(c.title)}.")
    for c in changes.removed:
        items.append(f'- Removed the clause "{_md(c.title)}" (was {_md(c.old_number)}).')
    for c in changes.reworded:
        items.append(f"- Reworded {_md(c.new_number)} {_md(c.title)}.")
    for qid, before, after in changes.answers:
        items.append(f"- Changed the answer to {_code(qid)} from {_md(show(before))} to {_md(show(after))}.")
    return "\n".join(items) if items else "No changes to clauses or answers."
