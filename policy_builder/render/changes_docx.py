"""A Markdown report (the summary of changes) as a simple Word document."""

from __future__ import annotations

import io

from docx import Document
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def render_markdown_docx(markdown: str, title: str) -> bytes:
    document = Document()
    document.core_properties.title = title
    document.core_properties.language = "en-GB"
    tokens = _md.parse(markdown)
    style = None
    table = None
    row_cells: list[str] = []
    in_list = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            style = "Title" if token.tag == "h1" else f"Heading {int(token.tag[1]) - 1}"
        elif kind in ("bullet_list_open", "ordered_list_open"):
            in_list = True
        elif kind in ("bullet_list_close", "ordered_list_close"):
            in_list = False
        elif kind == "table_open":
            table = None
        elif kind == "tr_open":
            row_cells = []
        elif kind == "tr_close":
            if table is None:
                table = document.add_table(rows=0, cols=len(row_cells))
                table.style = "Table Grid"
            cells = table.add_row().cells
            for cell, text in zip(cells, row_cells, strict=False):
                cell.text = text
        elif kind == "inline":
            if token.map is not None and table is not None and row_cells is not None and _in_table(tokens, token):
                row_cells.append(token.content.replace("\\|", "|").replace("`", ""))
                continue
            paragraph = document.add_paragraph(style=style or ("List Bullet" if in_list else None))
            _runs(paragraph, token.children or [])
            style = None
        elif kind == "heading_close":
            style = None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _in_table(tokens, token) -> bool:  # type: ignore[no-untyped-def]
    index = tokens.index(token)
    return index > 0 and tokens[index - 1].type in ("th_open", "td_open")


def _runs(paragraph, children) -> None:  # type: ignore[no-untyped-def]
    bold = strike = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "s_open":
            strike = True
        elif child.type == "s_close":
            strike = False
        elif child.type in ("text", "code_inline"):
            run = paragraph.add_run(child.content)
            run.bold = bold or None
            run.font.strike = strike or None
        elif child.type == "softbreak":
            paragraph.add_run(" ")
