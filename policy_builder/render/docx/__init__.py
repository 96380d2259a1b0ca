"""Policy, practice guide, sources annex, staff summary, leaflet and reports as Word documents.

The only package (with render/docx_check.py) that touches Word XML:

- template.py: the reference template a document is built on, and its styles;
- ooxml.py: XML helpers (bookmarks, fields, numbering, properties, header and footer);
- writer.py: the Writer, which writes blocks (render/blocks.py) as styled paragraphs and tables;
- layouts.py: the policy, the practice guide and the sources annex;
- handouts.py: the staff summary and the leaflet;
- reports.py: the summary of changes;
- redline.py: the new policy with every change from an old issue as a Word tracked change.
"""

from __future__ import annotations

from policy_builder.render.docx.handouts import HANDOUT_CATEGORIES, handout_document, render_handout_docx
from policy_builder.render.docx.layouts import policy_document, render_annex_docx, render_docx, render_guide_docx
from policy_builder.render.docx.ooxml import (
    attach_manifest,
    clause_bookmark,
    clean,
    section_bookmark,
    set_header_footer,
    set_properties,
    to_bytes,
)
from policy_builder.render.docx.reports import render_report_docx
from policy_builder.render.docx.template import REFERENCE_DOCX, Styles, open_template
from policy_builder.render.docx.writer import Writer

__all__ = [
    "HANDOUT_CATEGORIES",
    "REFERENCE_DOCX",
    "Styles",
    "Writer",
    "attach_manifest",
    "clause_bookmark",
    "clean",
    "handout_document",
    "open_template",
    "policy_document",
    "render_annex_docx",
    "render_docx",
    "render_guide_docx",
    "render_handout_docx",
    "render_report_docx",
    "section_bookmark",
    "set_header_footer",
    "set_properties",
    "to_bytes",
]
