"""Policy as a Word document, built from the Policy model with python-docx.

The only module that imports docx. Uses real Word styles (Title, Heading 1-2,
List Bullet, List Number, Table Grid) and no direct formatting, so an employer
can restyle the document with their own template.
"""

from __future__ import annotations

import copy
import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt

from ..models import Policy
from .markdown import citations

_md = MarkdownIt("commonmark")
# Characters XML 1.0 cannot hold; Word refuses a file that contains them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def render_docx(policy: Policy) -> bytes:
    document = Document()
    _set_properties(document, policy)
    _set_marking(document, policy.marking)

    document.add_paragraph(clean(policy.title), style="Title")
    document.add_paragraph(clean(policy.organisation), style="Subtitle")
    document.add_paragraph("Acceptable use of social media, messaging and video by social work and social care staff.")

    document.add_heading("Document control", level=1)
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    header = table.rows[0]
    header.cells[0].text = "Item"
    header.cells[1].text = "Detail"
    _repeat_header(header)
    for label, value in policy.document_control:
        cells = table.add_row().cells
        cells[0].text = clean(label)
        cells[1].text = clean(value)

    lists = _ListNumbering(document)
    for section in policy.sections:
        document.add_heading(clean(f"{section.number}. {section.title}"), level=1)
        if section.intro:
            _add_markdown(document, section.intro, lists)
        for clause in section.clauses:
            document.add_heading(clean(f"{clause.number} {clause.title}"), level=2)
            _add_markdown(document, clause.text, lists)

    document.add_heading(f"{len(policy.sections) + 1}. Sources", level=1)
    document.add_paragraph(
        clean(
            f"This policy is written in {policy.short_name}'s own words from the guidance, law and "
            "professional standards below. Each item lists the clauses that rest on it."
        )
    )
    cited_by = citations(policy)
    for cited in policy.sources:
        document.add_heading(clean(cited.document.title), level=2)
        edition = f", {cited.document.edition}" if cited.document.edition else ""
        document.add_paragraph(clean(f"{cited.document.body}{edition}."))
        for item in cited.items:
            numbers = cited_by.get(item.id, [])
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(item.id).bold = True
            plural = "s" if len(numbers) > 1 else ""
            paragraph.add_run(clean(f": {item.summary} (clause{plural} {', '.join(numbers)})"))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_properties(document: DocxDocument, policy: Policy) -> None:
    props = document.core_properties
    props.title = clean(policy.title)
    props.subject = clean(f"{policy.title} for {policy.organisation}")
    props.author = clean(policy.organisation)
    props.language = "en-GB"
    props.keywords = "social media; social work; acceptable use"
    # The default template's body text language: en-GB for spell checking and screen readers.
    styles_root = document.styles.element
    rpr_default = styles_root.find(qn("w:docDefaults"))
    if rpr_default is not None:
        rpr = rpr_default.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            lang = rpr.find(qn("w:lang"))
            if lang is None:
                lang = OxmlElement("w:lang")
                rpr.append(lang)
            lang.set(qn("w:val"), "en-GB")


def _set_marking(document: DocxDocument, marking: str | None) -> None:
    if not marking:
        return
    section = document.sections[0]
    for part in (section.header, section.footer):
        paragraph = part.paragraphs[0]
        paragraph.text = marking
        paragraph.alignment = 1  # centred, as protective markings are


def _repeat_header(row) -> None:  # type: ignore[no-untyped-def]
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


class _ListNumbering:
    """Each numbered list in a clause restarts at 1 (python-docx shares one count by default)."""

    def __init__(self, document: DocxDocument) -> None:
        self.numbering = document.part.numbering_part.numbering_definitions._numbering
        style = document.styles["List Number"]
        num_pr = style.element.pPr.numPr if style.element.pPr is not None else None
        self.base_num_id = num_pr.numId.val if num_pr is not None else None

    def restart(self) -> int | None:
        if self.base_num_id is None:
            return None
        base = next(n for n in self.numbering.findall(qn("w:num")) if n.get(qn("w:numId")) == str(self.base_num_id))
        new = copy.deepcopy(base)
        new_id = max(int(n.get(qn("w:numId"))) for n in self.numbering.findall(qn("w:num"))) + 1
        new.set(qn("w:numId"), str(new_id))
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), "0")
        start = OxmlElement("w:startOverride")
        start.set(qn("w:val"), "1")
        override.append(start)
        new.append(override)
        self.numbering.append(new)
        return new_id


def _add_markdown(document: DocxDocument, text: str, lists: _ListNumbering) -> None:
    """Markdown paragraphs and lists -> Word paragraphs with styles and bold/italic runs."""
    tokens = _md.parse(text)
    list_stack: list[tuple[str, int | None]] = []
    for token in tokens:
        if token.type == "bullet_list_open":
            list_stack.append(("bullet", None))
        elif token.type == "ordered_list_open":
            list_stack.append(("number", lists.restart()))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif token.type == "inline":
            if list_stack:
                kind, num_id = list_stack[-1]
                depth = len(list_stack)
                base = "List Bullet" if kind == "bullet" else "List Number"
                style = base if depth == 1 else f"{base} {min(depth, 3)}"
                paragraph = document.add_paragraph(style=style)
                if num_id is not None and depth == 1:
                    _use_numbering(paragraph, num_id)
            else:
                paragraph = document.add_paragraph()
            _add_inline(paragraph, token.children or [])


def _use_numbering(paragraph: Paragraph, num_id: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    num_pr = p_pr.get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def _add_inline(paragraph: Paragraph, children) -> None:  # type: ignore[no-untyped-def]
    bold = italic = False
    for child in children:
        kind = child.type
        if kind == "strong_open":
            bold = True
        elif kind == "strong_close":
            bold = False
        elif kind == "em_open":
            italic = True
        elif kind == "em_close":
            italic = False
        elif kind in ("text", "code_inline", "html_inline"):
            run = paragraph.add_run(clean(child.content))
            run.bold = bold or None
            run.italic = italic or None
        elif kind == "softbreak":
            paragraph.add_run(" ")
        elif kind == "hardbreak":
            paragraph.add_run().add_break()
