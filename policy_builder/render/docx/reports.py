"""Reports as Word documents: the summary of changes a board approves (`changes --output x.docx`)."""

from __future__ import annotations

import datetime as dt

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE

from policy_builder.render.blocks import DELETED_STYLE, parse
from policy_builder.render.docx.ooxml import set_properties, to_bytes
from policy_builder.render.docx.template import open_template
from policy_builder.render.docx.writer import Writer


def render_report_docx(markdown: str, title: str, author: str, category: str = "Summary of changes") -> bytes:
    """A Markdown report on the policy's template.

    Removed words use a "Deleted Text" character style (struck through), added
    words the Strong style: styles, so an employer template can restyle them.
    """
    document = open_template(None)
    set_properties(document, title=title, subject=title, author=author, category=category, date=dt.date.today())
    _ensure_deleted_style(document)
    Writer(document).write(parse(markdown))
    return to_bytes(document)


def _ensure_deleted_style(document: DocxDocument) -> None:
    if DELETED_STYLE not in [s.name for s in document.styles]:
        style = document.styles.add_style(DELETED_STYLE, WD_STYLE_TYPE.CHARACTER)
        style.font.strike = True
