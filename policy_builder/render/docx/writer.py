"""The Word writer: writes blocks (render/blocks.py) into a document as styled paragraphs and tables.

Text gets only styles (Title, Heading 1-3, List Bullet, List Number, Strong,
Table Grid ...), never direct formatting, so the employer's template decides
how everything looks. Paragraphs, runs and tables are built with lxml: each
costs the same whatever the document's length, so writing is linear in its
size (python-docx's own add_paragraph and add_run re-read the body and the
styles every time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from docx.document import Document as DocxDocument
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.shared import Emu
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.tabstops import TabStops
from lxml.etree import SubElement

from policy_builder.render import blocks as b
from policy_builder.render.docx.ooxml import (
    LINE_BREAK_XML,
    ListNumbering,
    add_bookmark,
    body_elements,
    clean,
    field_char,
    instruction,
    page,
    paragraph_xml,
    run_xml,
    text_run,
    update_fields_on_open,
    use_numbering,
    xml_attribute,
    xml_text,
)
from policy_builder.render.docx.template import Styles
from policy_builder.render.typography import smarten, smarten_pieces

_W_R, _W_RPR, _W_RSTYLE, _W_T, _W_VAL, _W_PPR, _W_PSTYLE, _W_BR = (
    qn(tag) for tag in ("w:r", "w:rPr", "w:rStyle", "w:t", "w:val", "w:pPr", "w:pStyle", "w:br")
)
_XML_SPACE = qn("xml:space")
# Children of w:pPr that come after w:outlineLvl in the schema's order.
_AFTER_OUTLINE = {qn(f"w:{tag}") for tag in ("divId", "cnfStyle", "rPr", "sectPr", "pPrChange")}


class Writer:
    """Adds styled blocks to a document; keeps the bookmark and list counters."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.style = Styles(document)
        self._bookmark_id = 0
        self._lists = ListNumbering(document, self.style)
        body = document.element.body
        self._body = body
        self._parent = document._body
        # New content goes before the body's section properties, as python-docx puts it; found once,
        # not for every paragraph (a search of the body's children, which made writing quadratic).
        self._section_properties = body.sectPr
        self._text_width: int | None = None

    def _add(self, element: Any) -> None:
        if self._section_properties is not None:
            self._section_properties.addprevious(element)
        else:
            self._body.append(element)

    # blocks
    def write(self, blocks: Iterable[b.Block]) -> None:
        """Write out a document's blocks, leaving out those only the Markdown file shows.

        Paragraphs are written as XML text and added in one parse (ooxml.body_elements), in the order
        the blocks come; styles are looked up (or copied in) and bookmarks numbered in that same order.
        """
        xml: list[str] = []  # paragraphs not added yet

        def add_written() -> None:
            if xml:
                for element in body_elements("".join(xml)):
                    self._add(element)
                xml.clear()

        for block in blocks:
            if block.only == "markdown":
                continue
            if isinstance(block, b.Heading):
                # '#' is the Title, '##' to '####' Heading 1 to 3; deeper headings (only in an employer's own
                # wording) stay Heading 3, the deepest level every template has.
                style = "Title" if block.level == 1 else f"heading {min(block.level - 1, 3)}"
                if style == "Title":
                    self.outline_level("Title")
                style_id = self.style.id(style)
                bookmark = None
                runs = self.runs_xml(block.text.runs)
                if block.bookmark:
                    self._bookmark_id += 1
                    bookmark = (self._bookmark_id, block.bookmark)
                xml.append(paragraph_xml(style_id, runs, bookmark=bookmark))
            elif isinstance(block, b.Subtitle):
                style_id = self.style.id("Subtitle")
                xml.append(paragraph_xml(style_id, run_xml(clean(smarten(block.text))) if block.text else ""))
            elif isinstance(block, b.Paragraph):
                style_id = self.style.id("Normal")
                xml.append(paragraph_xml(style_id, self.runs_xml(block.text.runs)))
            elif isinstance(block, b.ListBlock):
                # Each ordered list gets its own numbering instance, so it starts at 1.
                num_ids = [self._lists.restart() for _ in range(block.ordered_lists)]
                for item in block.items:
                    base = "List Number" if item.ordered else "List Bullet"
                    style_id = self.style.id(base if item.depth == 1 else f"{base} {min(item.depth, 3)}")
                    num_id = num_ids[item.number_list] if item.number_list is not None else None
                    xml.append(paragraph_xml(style_id, self.runs_xml(item.text.runs), num_id=num_id))
            elif isinstance(block, b.Table):
                add_written()
                rows = ([cell.plain for cell in row] for row in block.rows)
                widths = list(block.widths) if block.widths else None
                self.table([cell.plain for cell in block.header], rows, widths=widths)
            elif isinstance(block, b.Contents):
                add_written()
                self.outline_level("TOC Heading")
                self.paragraph(block.title, "TOC Heading")
                self.contents(block.entries)
            elif isinstance(block, b.Quote):
                for text in block.paragraphs:
                    style_id = self.style.id("Normal")
                    xml.append(paragraph_xml(style_id, self.runs_xml(text.runs)))
            # Raw blocks (code, rules, HTML) stay out of the Word file.
        add_written()

    def runs_xml(self, runs: Sequence[b.Run]) -> str:
        """Runs as XML text (see `runs`): curly quotes read across bold and plain runs."""
        texts = smarten_pieces([run.text for run in runs])
        out = []
        for run, text in zip(runs, texts, strict=True):
            if run.line_break:
                out.append(LINE_BREAK_XML)
            else:
                out.append(run_xml(clean(text), self.style.id(run.style) if run.style else None))
        return "".join(out)

    def markdown(self, text: str) -> None:
        """Markdown (paragraphs, lists, tables) written out through the block model."""
        self.write(b.parse(text))

    def list(self, block: b.ListBlock) -> None:
        # Each ordered list gets its own numbering instance, so it starts at 1.
        num_ids = [self._lists.restart() for _ in range(block.ordered_lists)]
        for item in block.items:
            base = "List Number" if item.ordered else "List Bullet"
            paragraph = self.paragraph(style=base if item.depth == 1 else f"{base} {min(item.depth, 3)}")
            num_id = num_ids[item.number_list] if item.number_list is not None else None
            if num_id is not None:
                use_numbering(paragraph._p, num_id)
            self.runs(paragraph, item.text.runs)

    # paragraphs
    def paragraph(self, text: str = "", style: str = "Normal") -> Paragraph:
        p = OxmlElement("w:p")
        assert isinstance(p, CT_P)  # python-docx makes each tag it knows its own class
        SubElement(SubElement(p, _W_PPR), _W_PSTYLE).set(_W_VAL, self.style.id(style))
        self._add(p)
        paragraph = Paragraph(p, self._parent)
        if text:
            self.run(paragraph, smarten(text))
        return paragraph

    def heading(self, text: str, level: int, bookmark: str | None = None) -> Paragraph:
        """A heading: level 0 is the Title, 1-3 Heading 1-3."""
        if level == 0:
            self.outline_level("Title")
        paragraph = self.paragraph(text, "Title" if level == 0 else f"heading {level}")
        if bookmark:
            self.bookmark(paragraph, bookmark)
        return paragraph

    def outline_level(self, style: str) -> None:
        """Give the Title or TOC Heading style an outline level, so a tagged PDF tags it as a heading.

        Word's own Title and TOC Heading have none (or "body text"), and LibreOffice tags a
        paragraph as a heading by its outline level. Set on the style, never on a paragraph, and
        only where the template gives none; the contents field lists Heading 1 only (no "u"
        switch), so neither paragraph joins the contents.
        """
        # Read first (the template's own, see template.Styles.reading): most templates need no change.
        read = self.style.reading(style).element.find(qn("w:pPr"))
        level = read.find(qn("w:outlineLvl")) if read is not None else None
        if level is not None and level.get(_W_VAL) != "9":
            return
        p_pr = self.style(style).element.get_or_add_pPr()
        level = p_pr.find(qn("w:outlineLvl"))
        if level is not None and level.get(_W_VAL) != "9":
            return
        if level is None:
            level = OxmlElement("w:outlineLvl")
            after = next((child for child in p_pr if child.tag in _AFTER_OUTLINE), None)
            if after is not None:
                after.addprevious(level)
            else:
                p_pr.append(level)
        level.set(_W_VAL, "0")

    def bookmark(self, paragraph: Paragraph, name: str) -> None:
        self._bookmark_id += 1
        add_bookmark(paragraph._p, self._bookmark_id, name)

    def runs(self, paragraph: Paragraph, runs: Iterable[b.Run]) -> None:
        runs = list(runs)
        texts = smarten_pieces([run.text for run in runs])  # curly quotes read across bold and plain runs
        for run, text in zip(runs, texts, strict=True):
            if run.line_break:
                SubElement(SubElement(paragraph._p, _W_R), _W_BR)
            else:
                self.run(paragraph, text, run.style)

    def run(self, paragraph: Paragraph, text: str, style: str | None = None) -> None:
        # Built with lxml directly: python-docx's Run.text setter costs a third of a policy's render time.
        r = SubElement(paragraph._p, _W_R)
        if style:
            SubElement(SubElement(r, _W_RPR), _W_RSTYLE).set(_W_VAL, self.style.id(style))
        t = SubElement(r, _W_T)
        t.set(_XML_SPACE, "preserve")
        t.text = clean(text)

    def table(self, header: Sequence[str], rows: Iterable[Iterable[str]], widths: Sequence[int] | None = None) -> Table:
        """A table whose first row is a real header row; `widths` are percentages of the text width.

        Written as XML text (ooxml.body_elements), as python-docx would build it: its add_row and cell.text
        cost half the render time of the sources annex's clause table, and lxml's calls one element at a
        time most of the rest.
        """
        if self._text_width is None:
            self._text_width = page(self.document.sections[-1]).text_width
        text_width = self._text_width
        percents: Sequence[float] = widths or [100 / len(header)] * len(header)
        twips = [str(int(text_width * percent / 100) // 635) for percent in percents]  # EMU -> twentieths of a point
        style_id = xml_attribute(self.style.id("Table Grid"))
        xml = [
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{style_id}"/><w:tblW w:type="auto" w:w="0"/>'
            '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1"'
            ' w:val="04A0"/></w:tblPr><w:tblGrid>',
            *(f'<w:gridCol w:w="{width}"/>' for width in twips),
            "</w:tblGrid>",
        ]
        for index, cells in enumerate([header, *rows]):
            xml.append("<w:tr>")
            if widths or index == 0:
                # cantSplit: a row is never split across two pages. tblHeader: the header row, which screen
                # readers announce and which repeats on each page.
                xml.append(f"<w:trPr>{'<w:cantSplit/>' if widths else ''}")
                xml.append('<w:tblHeader w:val="true"/></w:trPr>' if index == 0 else "</w:trPr>")
            texts = list(cells)
            if len(texts) != len(twips):
                raise ValueError(f"a table row has {len(texts)} cells, the header {len(twips)}")
            for text, width in zip(texts, twips, strict=True):
                xml.append(
                    f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr><w:p><w:r>'
                    f'<w:t xml:space="preserve">{xml_text(clean(smarten(text)))}</w:t></w:r></w:p></w:tc>'
                )
            xml.append("</w:tr>")
        xml.append("</w:tbl>")
        (tbl,) = body_elements("".join(xml))
        self._add(tbl)
        return Table(tbl, self._parent)

    # fields
    def contents(self, entries: Sequence[tuple[str, str]]) -> None:
        """A real TOC field (Word can rebuild it), pre-filled with links to the sections.

        The entries carry no page numbers yet: they are not known until the
        document is laid out, and a wrong number is worse than none. The build
        adds them when LibreOffice can lay the document out (render/pdf.py,
        ooxml.fill_contents); otherwise the field is marked for Word to update.
        """
        self._contents_tab()
        update_fields_on_open(self.document)
        for index, (text, bookmark) in enumerate(entries):
            p = self.paragraph(style="toc 1")._p
            if index == 0:
                field_char(p, "begin", dirty=True)
                instruction(p, ' TOC \\o "1-1" \\h \\z ')
                field_char(p, "separate")
            link = OxmlElement("w:hyperlink")
            link.set(qn("w:anchor"), bookmark)
            link.set(qn("w:history"), "1")
            text_run(link, clean(smarten(text)))
            p.append(link)
            if index == len(entries) - 1:
                field_char(p, "end")

    def _contents_tab(self) -> None:
        """A right-aligned, dotted tab stop at the margin in the 'toc 1' style, for the page numbers.

        An employer's own 'toc 1' may have none (Word puts its tabs on each entry, not on the
        style), which would put each number straight after its heading; a right tab beyond the
        template's margin (the bundled style's 17 cm on a narrower page) would push it off the line.
        """
        width = page(self.document.sections[-1]).text_width
        # Read first (the template's own, see template.Styles.reading): most templates need no change.
        read = self.style.paragraph("toc 1", reading=True).element.find(qn("w:pPr"))
        if read is not None:
            right = [tab for tab in TabStops(read) if tab.alignment == WD_TAB_ALIGNMENT.RIGHT]
            if right and all(tab.position <= width for tab in right):
                return
        tabs = self.style.paragraph("toc 1").paragraph_format.tab_stops
        right = [tab for tab in tabs if tab.alignment == WD_TAB_ALIGNMENT.RIGHT]
        if right and all(tab.position <= width for tab in right):
            return
        for tab in right:
            tab._element.getparent().remove(tab._element)  # python-docx cannot move a tab stop
        tabs.add_tab_stop(Emu(width), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
