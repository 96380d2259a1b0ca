"""The staff summary and the leaflet as Word documents: their blocks (render/summary.py) on the policy's template.

Each is designed as what it is, with styles only, so an employer's template can restyle it:

- the staff card's Do and Don't lists are shaded, bordered boxes in two styles of their own
  ("Card Do" and "Card Don't": different shading and border, under their own headings, so they
  differ by more than colour), each item kept on one page and each box kept together;
- the leaflet is set in large type (at least 14pt) on short lines (at most about 16cm), and
  `estimate_pages` says whether it still fits one page on the template.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt
from lxml import etree
from lxml.etree import SubElement

from policy_builder.render import blocks as b
from policy_builder.render.docx.look import Look
from policy_builder.render.docx.ooxml import page, set_header_footer, set_properties, to_bytes
from policy_builder.render.docx.template import open_template
from policy_builder.render.docx.writer import Writer

if TYPE_CHECKING:
    from policy_builder.render.summary import Handout

HANDOUT_CATEGORIES = {"staff-summary": "Staff summary", "leaflet": "Leaflet"}

# The two boxes of the staff card: style name, shading and border colour (dark enough for 3:1 against white,
# so the box edge is seen: WCAG 2.2 non-text contrast), and the left border's weight in eighths of a point.
CARD_STYLES = {
    "do": ("Card Do", "EAF4EC", "1E6B3A", 36),
    "dont": ("Card Don't", "FBEAEA", "A4262C", 12),
}
CARD_TEXT_WIDTH, CARD_MARGIN = Cm(17), Cm(2)
LEAFLET_TYPE = Pt(14)  # large type: two points over the bundled template's body text
LEAFLET_TITLE, LEAFLET_HEADING = Pt(22), Pt(16)
LEAFLET_LINE_SPACING = 1.0  # single: 14pt type still reads openly, and the leaflet stays one page
# estimate_pages reads up to about 8% high on the bundled leaflets, so a leaflet is reported as too long
# for one page above this.
LEAFLET_MOST_PAGES = 1.08
LEAFLET_TEXT_WIDTH = Cm(17)  # about 68 characters a line at 14pt: short lines are easier to read


def handout_document(handout: Handout, reference_docx: Path | None = None) -> DocxDocument:
    """A staff summary or leaflet on the same template as the policy."""
    document = open_template(reference_docx)
    writer = Writer(document)
    set_properties(
        document,
        title=handout.title,
        subject=handout.subject,
        author=handout.organisation,
        category=HANDOUT_CATEGORIES[handout.kind],
        date=handout.date,
    )
    # The one-page leaflet needs no page numbers; the staff card may run to two pages.
    set_header_footer(
        document,
        writer.style,
        handout.marking,
        page_numbers=handout.kind != "leaflet",
        draft=handout.draft,
        label=handout.footer_label,
    )
    from policy_builder.render.summary import handout_blocks  # only for a handout: not every Word file

    blocks = handout_blocks(handout)
    if handout.kind == "leaflet":
        _leaflet_look(document, writer)
        writer.write(blocks)
    else:
        _card_page(document)
        _write_card(document, writer, blocks, handout.box_headings)
    return document


def render_handout_docx(handout: Handout, reference_docx: Path | None = None) -> bytes:
    return to_bytes(handout_document(handout, reference_docx))


# --- the staff card ------------------------------------------------------------------------------


def _write_card(document: DocxDocument, writer: Writer, blocks: list[b.Block], box_headings: Mapping[str, str]) -> None:
    """The blocks, with the list under each Do / Don't heading written as that heading's box."""
    box: str | None = None
    for block in blocks:
        if isinstance(block, b.Heading):
            box = box_headings.get(block.text.plain)
        if box and isinstance(block, b.ListBlock) and block.only != "markdown":
            style = _card_style(document, writer, box)
            for index, item in enumerate(block.items):
                paragraph = writer.paragraph(style=style)
                writer.runs(paragraph, item.text.runs)
                if index == len(block.items) - 1:
                    # The box's last item lets the page break after it; the rest keep with the next item.
                    keep = SubElement(paragraph._p.get_or_add_pPr(), qn("w:keepNext"))
                    keep.set(qn("w:val"), "0")
            box = None
        else:
            writer.write([block])


def _card_page(document: DocxDocument) -> None:
    """A card's page: the full 17cm line of an A4 page with 2cm margins, whatever the template's margins, so
    each box fits a page and the card stays at two pages; the template's header and footer are kept."""
    for section in document.sections:
        size = page(section)
        if size.text_width < CARD_TEXT_WIDTH:
            spare = Emu(max(0, (size.width - CARD_TEXT_WIDTH) // 2))
            section.left_margin = section.right_margin = spare
        if size.top > CARD_MARGIN:
            section.top_margin = CARD_MARGIN
        if size.bottom > CARD_MARGIN:
            section.bottom_margin = CARD_MARGIN


def _card_style(document: DocxDocument, writer: Writer, kind: str) -> str:
    """The box style's name, added to the document unless the template has its own."""
    name, fill, border, weight = CARD_STYLES[kind]
    styles = document.styles.element
    if not any(
        (s.find(qn("w:name")) is not None and s.find(qn("w:name")).get(qn("w:val")) == name)
        for s in styles.findall(qn("w:style"))
    ):
        base = writer.style.id("List Bullet")  # a real list: the bullets come from List Bullet's numbering
        style_id = name.replace(" ", "").replace("'", "")
        edges = "".join(
            f'<w:{edge} w:val="single" w:sz="{weight if edge == "left" else 4}" w:space="4" w:color="{border}"/>'
            for edge in ("top", "left", "bottom", "right")
        )
        styles.append(
            parse_xml(
                f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
                f'<w:name w:val="{name}"/><w:basedOn w:val="{base}"/><w:qFormat/>'
                f"<w:pPr><w:keepNext/><w:keepLines/><w:pBdr>{edges}</w:pBdr>"
                f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
                '<w:spacing w:before="0" w:after="40" w:line="252" w:lineRule="auto"/></w:pPr></w:style>'
            )
        )
    return name


# --- the leaflet ---------------------------------------------------------------------------------


def _leaflet_look(document: DocxDocument, writer: Writer) -> None:
    """Large type on short lines, on one page, whatever the template: body text at least 14pt, lines at
    most 17cm, the title and headings no bigger than a one-page leaflet needs, lines a little closer."""
    for name in ("Normal", "List Bullet"):
        font = writer.style.paragraph(name).font
        if font.size is None or font.size < LEAFLET_TYPE:
            font.size = LEAFLET_TYPE
    for name, largest in (("Title", LEAFLET_TITLE), ("heading 1", LEAFLET_HEADING)):
        font = writer.style.paragraph(name).font
        if font.size is None or font.size > largest:
            font.size = largest
    for name in ("Normal", "List Bullet", "heading 1", "Title", "Subtitle"):
        paragraph_format = writer.style.paragraph(name).paragraph_format
        paragraph_format.line_spacing = LEAFLET_LINE_SPACING
        if name == "heading 1":
            paragraph_format.space_before = Pt(10)
            paragraph_format.space_after = Pt(4)
        elif name in ("Title", "Subtitle"):
            paragraph_format.space_after = Pt(8)
    for section in document.sections:
        size = page(section)
        if size.text_width > LEAFLET_TEXT_WIDTH:
            extra = (size.text_width - LEAFLET_TEXT_WIDTH) // 2
            section.left_margin = Emu(size.left + extra)
            section.right_margin = Emu(size.right + extra)


def estimate_pages(data: bytes) -> float:
    """About how many pages a Word file fills, from its text, type sizes, spacing and page size.

    An estimate (no layout engine: Arial's average letter is about half the type size wide), good
    enough to tell a one-page leaflet from one that spills onto a second page on an employer's template.
    """
    document = Document(io.BytesIO(data))
    look = Look(document)
    setup = page(document.sections[0])
    text_width = setup.text_width / 12700  # EMU -> points
    text_height = setup.text_height / 12700
    used = 0.0
    for p in document.element.body.iter(qn("w:p")):
        runs = [r for r in p.iter(qn("w:r")) if any((t.text or "").strip() for t in r.findall(qn("w:t")))]
        if not runs:
            continue
        size = look.run(runs[0], p, None, []).size or 10.0
        text = "".join(t.text or "" for t in p.iter(qn("w:t")))
        indent = 18.0 if p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None or _is_list(p, look) else 0.0
        per_line = max(1, int((text_width - indent) / (size * 0.47)))
        lines = math.ceil(len(text) / per_line)
        before, after, spacing = _spacing(p, look)
        used += lines * size * 1.1 * spacing + before + after  # a line of Arial is about 1.1 times its size
    return used / text_height


def _is_list(p: etree._Element, look: Look) -> bool:
    p_pr = p.find(qn("w:pPr"))
    style = p_pr.find(qn("w:pStyle")) if p_pr is not None else None
    return any(
        e.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
        for e in look.chain(style.get(qn("w:val")) if style is not None else None)
    )


def _spacing(p: etree._Element, look: Look) -> tuple[float, float, float]:
    """Space before and after the paragraph in points, and its line spacing (1 for single), from the
    document defaults, its style chain and its own properties."""
    before = after = 0.0
    line = 1.0
    p_pr = p.find(qn("w:pPr"))
    style = p_pr.find(qn("w:pStyle")) if p_pr is not None else None
    elements = [e.find(qn("w:pPr")) for e in look.chain(style.get(qn("w:val")) if style is not None else None)]
    for element in [look.paragraph_defaults, *elements, p_pr]:
        spacing = element.find(qn("w:spacing")) if element is not None else None
        if spacing is not None:
            if spacing.get(qn("w:before"), "").isdigit():
                before = int(spacing.get(qn("w:before"))) / 20
            if spacing.get(qn("w:after"), "").isdigit():
                after = int(spacing.get(qn("w:after"))) / 20
            if spacing.get(qn("w:line"), "").isdigit() and spacing.get(qn("w:lineRule"), "auto") == "auto":
                line = int(spacing.get(qn("w:line"))) / 240
    return before, after, line
