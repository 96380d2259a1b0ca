"""The staff quick-reference card and the leaflet for people who use services.

Both are built from the same answers as the policy, from wording people
maintain in clauses/summary.yaml (Do / Don't items, each pointing to a clause)
and clauses/leaflet.yaml (plain-English blocks). Each becomes a Handout: a
title and a list of heading, text and bullet blocks in Markdown, which
`handout_blocks` reads into the document model (render/blocks.py) that the
Markdown writer here and render/docx/handouts.py write out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Template, TemplateError

from policy_builder.content.conditions import check_when
from policy_builder.content.library import Library
from policy_builder.content.models import MODALITIES, Policy
from policy_builder.content.questionnaire import evaluate
from policy_builder.content.schemas import LEAFLET_FILE as LEAFLET_SCHEMA
from policy_builder.content.schemas import SUMMARY_FILE as SUMMARY_SCHEMA
from policy_builder.content.schemas import load_checked
from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError
from policy_builder.core.templating import BlankAnswerError, compile_template
from policy_builder.pipeline.assemble import capitalise_name_at_sentence_start, policy_context

if TYPE_CHECKING:
    # The document model's block, not the wording's Block below.
    from policy_builder.render.blocks import Block as DocumentBlock

SUMMARY_FILE = "summary.yaml"
LEAFLET_FILE = "leaflet.yaml"
BLOCK_KINDS = ("heading", "text", "bullet")
ITEM_KINDS = ("do", "dont")
MAX_LEAFLET_GRADE = 7.0  # Flesch-Kincaid grade 7: a reading age of about 12


# --- the wording, as loaded ----------------------------------------------------------------


@dataclass(frozen=True)
class RuleRef:
    """`rule: {action, modality}` on an item or block: shown only when the policy holds that rule."""

    action: str
    modality: str


@dataclass(frozen=True)
class Block:
    kind: str  # heading, text or bullet
    text: str  # Jinja Markdown
    when: str | None
    path: Path
    line: int | None
    template: Template
    rule: RuleRef | None = None


@dataclass(frozen=True)
class Item:
    kind: str  # do or dont
    clause: str
    text: str
    when: str | None
    path: Path
    line: int | None
    template: Template
    rule: RuleRef | None = None


@dataclass(frozen=True)
class SummaryWording:
    path: Path
    title: str
    headings: dict[str, str]
    intro: tuple[Block, ...]
    items: tuple[Item, ...]
    help: tuple[Block, ...]

    @property
    def entries(self) -> tuple[Block | Item, ...]:
        return (*self.intro, *self.items, *self.help)

    @property
    def names_rules(self) -> bool:
        return any(entry.rule for entry in self.entries)


@dataclass(frozen=True)
class LeafletWording:
    path: Path
    title: str
    blocks: tuple[Block, ...]

    @property
    def entries(self) -> tuple[Block, ...]:
        return self.blocks

    @property
    def names_rules(self) -> bool:
        return any(entry.rule for entry in self.entries)


def load_summary(root: Path) -> SummaryWording:
    path = root / SUMMARY_FILE
    return _load_summary(path, _stamp(path))


def load_leaflet(root: Path) -> LeafletWording:
    path = root / LEAFLET_FILE
    return _load_leaflet(path, _stamp(path))


def _stamp(path: Path) -> int:
    """The file's modification time: part of the cache key, so an edited file is read again."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0  # loading reports the missing file


@cache
def _load_summary(path: Path, _stamp: int) -> SummaryWording:
    doc = load_checked(path, SUMMARY_SCHEMA)
    data = doc.data
    headings = data.get("headings") or {}
    if not isinstance(headings, dict) or set(headings) != set(ITEM_KINDS):
        raise LibraryError(path, doc.line("headings"), "headings: give the heading for 'do' and for 'dont'")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise LibraryError(path, doc.line("items"), "items: expected a list of Do and Don't items")
    items = []
    for index, raw in enumerate(raw_items):
        line = doc.line("items", index)
        if not isinstance(raw, dict):
            raise LibraryError(path, line, "each item is a mapping with kind, clause and text")
        unknown = set(raw) - {"kind", "clause", "text", "when", "rule"}
        if unknown:
            raise LibraryError(
                path,
                line,
                f"unknown field(s) {', '.join(sorted(map(str, unknown)))}; allowed: clause, kind, rule, text, when",
            )
        if raw.get("kind") not in ITEM_KINDS:
            raise LibraryError(path, doc.line("items", index, "kind"), "kind must be do or dont")
        if not isinstance(raw.get("clause"), str) or not raw["clause"]:
            raise LibraryError(path, line, "clause: give the id of the clause this item sums up")
        text = _text(raw.get("text"), path, doc.line("items", index, "text"), "text")
        items.append(
            Item(
                kind=raw["kind"],
                clause=raw["clause"],
                text=text,
                when=_when(raw.get("when"), path, doc.line("items", index, "when")),
                path=path,
                line=line,
                template=_compile(text, path, doc.line("items", index, "text")),
                rule=_rule(raw, path, doc.line("items", index, "rule") or line),
            )
        )
    return SummaryWording(
        path=path,
        title=_text(data.get("title"), path, doc.line("title"), "title"),
        headings={str(k): str(v) for k, v in headings.items()},
        intro=_blocks(doc, "intro", required=False),
        items=tuple(items),
        help=_blocks(doc, "help", required=False),
    )


@cache
def _load_leaflet(path: Path, _stamp: int) -> LeafletWording:
    doc = load_checked(path, LEAFLET_SCHEMA)
    data = doc.data
    return LeafletWording(
        path=path,
        title=_text(data.get("title"), path, doc.line("title"), "title"),
        blocks=_blocks(doc, "blocks", required=True),
    )


def _blocks(doc: yamlio.Document, key: str, *, required: bool) -> tuple[Block, ...]:
    raw_blocks = doc.data.get(key)
    if raw_blocks is None and not required:
        return ()
    if not isinstance(raw_blocks, list) or not raw_blocks:
        raise LibraryError(doc.path, doc.line(key), f"{key}: expected a list of heading, text and bullet blocks")
    blocks = []
    for index, raw in enumerate(raw_blocks):
        line = doc.line(key, index)
        kinds = [k for k in BLOCK_KINDS if isinstance(raw, dict) and k in raw]
        if not isinstance(raw, dict) or len(kinds) != 1 or set(raw) - {*BLOCK_KINDS, "when", "rule"}:
            raise LibraryError(
                doc.path, line, "each block is one of heading:, text: or bullet:, with an optional when: or rule:"
            )
        kind = kinds[0]
        text = _text(raw[kind], doc.path, doc.line(key, index, kind), kind)
        blocks.append(
            Block(
                kind=kind,
                text=text,
                when=_when(raw.get("when"), doc.path, doc.line(key, index, "when")),
                path=doc.path,
                line=line,
                template=_compile(text, doc.path, doc.line(key, index, kind)),
                rule=_rule(raw, doc.path, doc.line(key, index, "rule") or line),
            )
        )
    return tuple(blocks)


def _text(value: Any, path: Path, line: int | None, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LibraryError(path, line, f"{what}: expected some text")
    return value.strip()


def _when(value: Any, path: Path, line: int | None) -> str | None:
    return None if value is None else check_when(value, path, line)


def _rule(raw: dict[str, Any], path: Path, line: int | None) -> RuleRef | None:
    """`rule: {action: ID, modality: ...}`, instead of a `when` (lint checks that a clause states the rule)."""
    value = raw.get("rule")
    if value is None:
        return None
    if raw.get("when") is not None:
        raise LibraryError(
            path, line, "give when: or rule:, not both: the rule's clause and its when say when it applies"
        )
    if not isinstance(value, dict) or set(value) != {"action", "modality"} or not isinstance(value["action"], str):
        raise LibraryError(
            path, line, "rule: expected {action: ID, modality: must | must_not | should | should_not | may}"
        )
    if value["modality"] not in MODALITIES:
        raise LibraryError(path, line, f"rule: modality {value['modality']!r} is not one of {', '.join(MODALITIES)}")
    return RuleRef(action=value["action"], modality=value["modality"])


def _compile(text: str, path: Path, line: int | None) -> Template:
    try:
        return compile_template(text, f"{path.name}:{line}")
    except TemplateError as exc:
        raise LibraryError(path, line, f"template error: {exc}") from None


# --- building a handout for one employer ---------------------------------------------------------


def draft_note(handout: Handout) -> str:
    """The line a handout of a draft policy starts with (short on the one-page leaflet)."""
    if handout.kind == "leaflet":
        return "DRAFT: not for issue."
    return "DRAFT: not for issue. The policy this sums up is still a draft."


@dataclass(frozen=True)
class Handout:
    kind: str  # "staff-summary" or "leaflet"
    title: str
    organisation: str
    marking: str | None  # the staff card carries the policy's marking; the public leaflet none
    blocks: tuple[tuple[str, str], ...]  # (heading | text | bullet, Markdown)
    date: dt.date
    draft: bool = False  # the policy it sums up is a draft: says so, so it is not handed out as issued
    # The staff card's Do and Don't headings (heading text -> "do" | "dont"): in Word, the list under each is a box.
    box_headings: Mapping[str, str] = field(default_factory=dict)
    version: str = "1.0"  # the policy's version, shown in the Word footer
    footer_title: str = ""  # the short name the Word footer gives it

    @property
    def footer_label(self) -> str:
        return f"{self.footer_title or self.title}, version {self.version}"

    @property
    def subject(self) -> str:
        return f"{self.title}, {self.organisation}"


def render_block(template: Template, context: Mapping[str, Any], where: Block | Item) -> str:
    try:
        text = template.render(context).strip()
    except (BlankAnswerError, TemplateError) as exc:
        raise LibraryError(where.path, where.line, f"{exc}") from None
    return capitalise_name_at_sentence_start(" ".join(text.split()), context["organisation"]["short_name"])


def _applies(block: Block | Item, context: Mapping[str, Any], held: set[tuple[str, str]] | None = None) -> bool:
    """The block's `when` holds, or the policy (whose rules are `held`) holds the block's `rule`."""
    if block.rule is not None:
        return held is not None and (block.rule.action, block.rule.modality) in held
    if block.when is None:
        return True
    try:
        return evaluate(block.when, context)
    except TemplateError as exc:
        raise LibraryError(block.path, block.line, f"when: {exc}") from None


def _render_blocks(
    blocks: tuple[Block, ...], context: Mapping[str, Any], held: set[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    return [(b.kind, render_block(b.template, context, b)) for b in blocks if _applies(b, context, held)]


def held_rules(
    library: Library, context: Mapping[str, Any], clause_ids: set[str] | None = None
) -> set[tuple[str, str]]:
    """(action, modality) of every rule in force: in the clauses `clause_ids` (a built policy's), or in
    the clauses these answers choose."""
    from policy_builder.pipeline.rules import policy_rules, rules_in_force

    if clause_ids is None:
        return policy_rules(library, context)
    chosen = [c for c in library.clauses if c.id in clause_ids]
    return {(f.rule.action, f.rule.modality) for f in rules_in_force(chosen, context)}


def staff_summary(library: Library, policy: Policy) -> Handout:
    """The Do / Don't card: items whose clause is in this policy and whose condition holds, with clause numbers."""
    wording = load_summary(library.root)
    context = {**policy_context(library, policy.answers), "draft": policy.draft.is_draft}
    numbers = {clause.id: clause.number for clause in policy.clauses}
    held = held_rules(library, context, set(numbers)) if wording.names_rules else None
    blocks = _render_blocks(wording.intro, context, held)
    for kind in ITEM_KINDS:
        chosen = [i for i in wording.items if i.kind == kind and i.clause in numbers and _applies(i, context, held)]
        if not chosen:
            continue
        # In policy order, so the card reads topic by topic and its numbers run like the policy's.
        chosen.sort(key=lambda i: tuple(int(part) for part in numbers[i.clause].split(".")))
        blocks.append(("heading", wording.headings[kind]))
        for item in chosen:
            text = render_block(item.template, context, item).rstrip(".")
            blocks.append(("bullet", f"{text} ({numbers[item.clause]})."))
    blocks += _render_blocks(wording.help, context, held)
    return Handout(
        kind="staff-summary",
        title=wording.title,
        organisation=policy.organisation,
        marking=policy.marking,
        blocks=tuple(blocks),
        date=policy.answers.build_date,
        draft=policy.draft.is_draft,
        box_headings={wording.headings[kind]: kind for kind in ITEM_KINDS},
        version=str(policy.answers.values.get("document.version") or "1.0"),
        footer_title="Quick guide for staff",
    )


def leaflet(library: Library, policy: Policy) -> Handout:
    """'How we keep in touch with you', for the people the employer works with."""
    context = {**policy_context(library, policy.answers), "draft": policy.draft.is_draft}
    return _leaflet(library, context, policy.organisation, policy.answers.build_date)


def _leaflet(library: Library, context: Mapping[str, Any], organisation: str, date: dt.date) -> Handout:
    wording = load_leaflet(library.root)
    held = held_rules(library, context) if wording.names_rules else None
    return Handout(
        kind="leaflet",
        title=wording.title,
        organisation=organisation,
        marking=None,  # for the public: no protective marking
        blocks=tuple(_render_blocks(wording.blocks, context, held)),
        date=date,
        draft=bool(context.get("draft")),
        version=str((context.get("document") or {}).get("version") or "1.0"),
    )


def sample_leaflet_level(library: Library, context: Mapping[str, Any]) -> ReadingLevel:
    """The leaflet's reading level for the answers in `context` (lint uses a sample employer)."""
    return reading_level(_leaflet(library, context, "Sample organisation", context["today"]))


# --- Markdown and reading level --------------------------------------------------------------


def handout_blocks(handout: Handout) -> list[DocumentBlock]:
    """The staff summary or leaflet as blocks (render/blocks.py), for the Markdown and the Word writer.

    Markdown shows the marking and the draft line above the title; Word puts the
    marking in the header and footer and the draft line under the title (the
    one-page leaflet says DRAFT in its header only).
    """
    from policy_builder.core.templating import markdown_escape
    from policy_builder.render.blocks import parse

    lines = []
    if handout.marking or handout.draft:
        lines += ["<!-- markdown -->", ""]
        if handout.marking:
            lines += [f"**{handout.marking}**", ""]
        if handout.draft:
            lines += [f"**{draft_note(handout)}**", ""]
        lines += ["<!-- end -->", ""]
    lines += [f"# {handout.title}", "", f"**{markdown_escape(handout.organisation)}**", ""]
    if handout.draft and handout.kind != "leaflet":
        lines += ["<!-- word -->", "", f"**{draft_note(handout)}**", "", "<!-- end -->", ""]
    previous = None
    for kind, text in handout.blocks:
        if kind == "heading":
            lines += [f"## {text}", ""]
        elif kind == "bullet":
            if previous == "bullet":
                lines.pop()  # one list: no blank line between its items
            lines += [f"- {text}", ""]
        else:
            lines += [text, ""]
        previous = kind
    if handout.marking:
        lines += ["<!-- markdown -->", "", f"**{handout.marking}**", "", "<!-- end -->", ""]
    return parse("\n".join(lines))


def render_handout_markdown(handout: Handout) -> str:
    from policy_builder.render.blocks import to_markdown

    return to_markdown(handout_blocks(handout))


@dataclass(frozen=True)
class ReadingLevel:
    grade: float  # Flesch-Kincaid grade; add 5 for a reading age in years
    reading_ease: float  # Flesch reading ease; higher is easier

    @property
    def reading_age(self) -> int:
        return max(5, round(self.grade + 5))


def reading_level(handout: Handout) -> ReadingLevel:
    """How hard the handout's sentences are to read (its headings are not sentences, so are left out)."""
    from policy_builder.render.plain import plain_sentences
    from policy_builder.render.reading import reading_level as measure

    paragraphs = []
    for kind, text in handout.blocks:
        if kind == "text":
            paragraphs.append(text)
        elif kind == "bullet":
            paragraphs.append(f"- {text}")
    reading_ease, grade = measure(plain_sentences("\n\n".join(paragraphs)))
    return ReadingLevel(grade=grade, reading_ease=reading_ease)
