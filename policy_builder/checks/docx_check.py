"""`policy-builder check-docx`: is a Word file fit to publish?

Checks the accessibility points of the GOV.UK guidance on publishing accessible
documents (which the Public Sector Bodies Accessibility Regulations 2018 make
a duty) and the structure a policy needs, on the generated file itself:

- title and subject in the document properties, language en-GB;
- the title in the Title style, headings in order with no level skipped;
- table header rows marked (they repeat on each page and screen readers read them);
- no empty paragraphs used for spacing; link text that says where it goes;
- no colour or other direct formatting on text, so nothing is told by colour alone;
- every piece of text, in the body, header and footer, in colours that contrast with what is behind
  it (WCAG 2.2 AA, success criterion 1.4.3: 4.5:1, or 3:1 for large text of 18pt, or 14pt bold),
  worked out from the styles, the table style, shading and the page colour, and no smaller than 11pt
  (10pt in the header and footer);
- alternative text on every image (or the image marked decorative);
- headings in heading styles: a short paragraph that is all bold, in a body style, is a heading
  only to the eye; lists as real lists, not "•" or "1." typed at the start of a paragraph;
- no note to the reader about updating fields (Word or the build updates them);
- a statement of how to get the document in another format;
- for a policy: a contents field, numbered sections
  and clauses with a bookmark per clause, a document control table,
  definitions, the list of documents it rests on, and the marking and
  "Page X of Y" in the header and footer;
- for a practice guide: sections numbered as the policy's, paragraphs G4.1,
  G4.2 ... in order with a bookmark each, a contents field when it has any;
- for a sources annex: the list of documents and the table of clauses; both
  with the marking and "Page X of Y" in the header and footer.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from policy_builder.core.errors import PolicyBuilderError
from policy_builder.render.docx.look import Look, RunLook, contrast_ratio, local_name, shading
from policy_builder.render.docx.safety import scan

KINDS = ("policy", "practice-guide", "sources-annex", "staff-summary", "leaflet", "summary-of-changes")
CATEGORY_KINDS = {
    "Policy": "policy",
    "Practice guide": "practice-guide",
    "Sources annex": "sources-annex",
    "Staff summary": "staff-summary",
    "Leaflet": "leaflet",
    "Summary of changes": "summary-of-changes",
}
VAGUE_LINKS = {"click here", "here", "link", "this link", "read more", "more", "this page", "more information"}
# Paragraph and run properties that only say which style or list an item is in.
ALLOWED_PARAGRAPH_PROPERTIES = {
    "pStyle",
    "numPr",
    "rPr",
    "keepNext",
    "keepLines",
}  # keeping text together is layout, not look
ALLOWED_RUN_PROPERTIES = {"rStyle"}
COLOUR_PROPERTIES = {"color", "highlight", "shd"}
_HEADING = re.compile(r"heading (\d)$", re.I)


@dataclass
class CheckResult:
    kind: str
    checks: int = 0
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        self.checks += 1
        if not ok:
            self.problems.append(problem)


def open_docx(data: bytes, name: str) -> DocxDocument:
    try:
        return Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, SyntaxError):
        raise PolicyBuilderError(f"{name}: not a Word document (.docx) that can be read") from None


def check_docx(data: bytes, kind: str | None = None, name: str = "document") -> CheckResult:
    """Every problem found in the Word file; `kind` (policy, staff-summary, leaflet) defaults to its category."""
    document = open_docx(data, name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        reaching_out = scan(archive, name)
    if kind is None:
        kind = CATEGORY_KINDS.get(document.core_properties.category or "", "policy")
    if kind not in KINDS:
        raise PolicyBuilderError(f"--kind: '{kind}' is not one of {', '.join(KINDS)}")
    result = CheckResult(kind)
    result.check(
        not reaching_out,
        "the file fetches content from outside itself when opened: "
        + "; ".join(str(f) for f in reaching_out[:3])
        + (f" (and {len(reaching_out) - 3} more)" if len(reaching_out) > 3 else ""),
    )
    _check_properties(document, result)
    # Each paragraph's text and style read once for every check (python-docx works the text out again on
    # each `paragraph.text`: a third of the time of a check when every check asked for it).
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    styles = _Styles(document)
    names = [styles.name(p) for p in paragraphs]
    levels = [_level(name) for name in names]
    _check_headings(texts, levels, result)
    _check_tables(document, result)
    _check_empty_paragraphs(paragraphs, texts, result)
    _check_links(document, result)
    _check_bookmarks(document, result)
    _check_direct_formatting(document, result)
    look = Look(document)
    _check_contrast_and_size(document, look, result)
    _check_images(document, result)
    _check_fake_headings_and_lists(paragraphs, texts, names, levels, look, result)
    body = "\n".join(texts)
    result.check(
        not re.search(r"\bUpdate Field\b|\bpress F9\b", body, re.I),
        "the text tells the reader to update fields (Update Field, F9); update them before publishing instead",
    )
    result.check(
        bool(re.search(r"\b(another|other) (format|formats|language)\b", body, re.I)),
        "no statement of how to get this document in another format (large print, easy read ...)",
    )
    if kind == "policy":
        _check_policy(document, paragraphs, texts, levels, result)
    elif kind == "practice-guide":
        _check_guide(document, paragraphs, texts, levels, result)
    elif kind == "sources-annex":
        _check_annex(document, texts, levels, result)
    return result


class _Styles:
    """Style names by id, read once: python-docx's paragraph.style looks every style up again each time."""

    def __init__(self, document: DocxDocument) -> None:
        self.names: dict[str, str] = {}
        self.default = "Normal"
        for element in document.styles.element.findall(qn("w:style")):
            name_element = element.find(qn("w:name"))
            name = name_element.get(qn("w:val")) if name_element is not None else ""
            self.names[element.get(qn("w:styleId"))] = name
            if element.get(qn("w:type")) == "paragraph" and element.get(qn("w:default")) in ("1", "true"):
                self.default = name

    def name(self, paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        return self.names.get(style_id, style_id or "") if style_id else self.default


def _level(style_name: str) -> int | None:
    """0 for the Title, 1-9 for Heading 1-9, None for anything else."""
    if style_name.lower() == "title":
        return 0
    match = _HEADING.match(style_name)
    return int(match.group(1)) if match else None


def _check_properties(document: DocxDocument, result: CheckResult) -> None:
    props = document.core_properties
    result.check(bool((props.title or "").strip()), "the document title is not set in its properties (File > Info)")
    result.check(bool((props.subject or "").strip()), "the document subject is not set in its properties")
    result.check(props.language == "en-GB", f"the document language is {props.language or 'not set'}, not en-GB")
    lang = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    text_lang = lang.get(qn("w:val")) if lang is not None else None
    result.check(text_lang == "en-GB", f"the text language is {text_lang or 'not set'}, not en-GB")


def _check_headings(texts: list[str], levels: list[int | None], result: CheckResult) -> None:
    first = next((i for i, text in enumerate(texts) if text.strip()), None)
    result.check(
        first is not None and levels[first] == 0,
        f"the first paragraph ('{texts[first][:40] if first is not None else ''}') is not in the Title style",
    )
    titles = [level for level in levels if level == 0]
    result.check(len(titles) == 1, f"{len(titles)} paragraphs use the Title style; use it once, for the title")
    previous = 0
    skipped: list[str] = []
    for text, level in zip(texts, levels, strict=True):
        if not level:
            continue
        if level > previous + 1:
            after = f"Heading {previous}" if previous else "the title"
            skipped.append(f"'{text[:50]}' is Heading {level} after {after}")
        previous = level
    result.check(not skipped, "heading levels are skipped: " + "; ".join(skipped[:3]))
    empty = [t for t, level in zip(texts, levels, strict=True) if level is not None and not t.strip()]
    result.check(not empty, f"{len(empty)} empty heading(s)")


def _check_tables(document: DocxDocument, result: CheckResult) -> None:
    for index, table in enumerate(document.tables, start=1):
        first = table.rows[0]._tr if table.rows else None
        header = first is not None and first.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
        result.check(header, f"table {index} has no header row marked to repeat (Table Properties > Row)")


def _is_empty(paragraph: Paragraph, text: str) -> bool:
    p = paragraph._p
    if text.strip():
        return False
    for tag in ("w:drawing", "w:pict", "w:object", "w:fldChar", "w:fldSimple", "w:sectPr"):
        if p.find(f".//{qn(tag)}") is not None:
            return False
    return True


def _check_empty_paragraphs(paragraphs: list[Paragraph], texts: list[str], result: CheckResult) -> None:
    empty = [
        index for index, (p, text) in enumerate(zip(paragraphs, texts, strict=True), start=1) if _is_empty(p, text)
    ]
    result.check(
        not empty,
        f"{len(empty)} empty paragraph(s) used for spacing (paragraph {', '.join(map(str, empty[:5]))}); "
        "use paragraph spacing in the style instead",
    )


def _check_links(document: DocxDocument, result: CheckResult) -> None:
    bad = []
    for link in document.element.body.iter(qn("w:hyperlink")):
        text = "".join(t.text or "" for t in link.iter(qn("w:t"))).strip()
        plain = text.lower().rstrip(".")
        if not text or plain in VAGUE_LINKS or re.match(r"(https?://|www\.)", plain):
            bad.append(text or "(no text)")
    result.check(not bad, f"link text does not say where the link goes: {', '.join(repr(b) for b in bad[:5])}")


def _check_bookmarks(document: DocxDocument, result: CheckResult) -> None:
    """Each bookmark name once: Word compares them ignoring case, so a link to a repeated one finds only
    the first, and Word renames or drops the others when it saves the file."""
    first: dict[str, str] = {}
    repeated = []
    for mark in document.element.body.iter(qn("w:bookmarkStart")):
        name = mark.get(qn("w:name"), "")
        if name.casefold() in first:
            repeated.append(name if name == first[name.casefold()] else f"{first[name.casefold()]}/{name}")
        first.setdefault(name.casefold(), name)
    result.check(
        not repeated,
        f"{len(repeated)} bookmark name(s) used twice (Word ignores case in them), so a link finds only the "
        f"first: {', '.join(repeated[:5])}",
    )


def _check_direct_formatting(document: DocxDocument, result: CheckResult) -> None:
    body = document.element.body
    coloured, formatted = 0, set()
    for r_pr in body.iter(qn("w:rPr")):
        names = {local_name(child) for child in r_pr}
        if names & COLOUR_PROPERTIES:
            coloured += 1
        if r_pr.getparent().tag == qn("w:r"):
            formatted |= names - ALLOWED_RUN_PROPERTIES
    for p_pr in body.iter(qn("w:pPr")):
        formatted |= {local_name(child) for child in p_pr} - ALLOWED_PARAGRAPH_PROPERTIES
    result.check(
        not coloured,
        f"{coloured} run(s) of text have their own colour or highlight; information must not rest on colour",
    )
    result.check(
        not formatted,
        f"text has direct formatting ({', '.join(sorted(formatted))}); use styles so the house template decides",
    )


def _field_codes(element: etree._Element) -> str:
    codes = [t.text or "" for t in element.iter(qn("w:instrText"))]
    codes += [f.get(qn("w:instr"), "") for f in element.iter(qn("w:fldSimple"))]
    return " ".join(codes)


def _check_policy(
    document: DocxDocument,
    paragraphs: list[Paragraph],
    texts: list[str],
    levels: list[int | None],
    result: CheckResult,
) -> None:
    body = document.element.body
    result.check(
        re.search(r"(^|\s)TOC\s", _field_codes(body)) is not None, "no contents (a TOC field that Word updates)"
    )

    headings1 = [text for text, level in zip(texts, levels, strict=True) if level == 1]
    numbered = [h for h in headings1 if re.match(r"\d+\. ", h)]
    numbers = [int(h.split(".")[0]) for h in numbered]
    result.check(
        bool(numbers) and numbers == list(range(1, len(numbers) + 1)),
        f"sections are not numbered 1, 2, 3 ... in order (found {numbers[:6]})",
    )
    result.check(any("Definitions" in h for h in headings1), "no Definitions section")
    result.check(
        bool(headings1) and ("rests on" in headings1[-1] or "Sources" in headings1[-1]),
        "the last section is not the list of documents the policy rests on",
    )
    result.check("Document control" in headings1, "no Document control heading")
    control_rows = _control_rows(document)
    result.check(
        any(row[0] == "Version" for row in control_rows) and any(row[0] == "Owner" for row in control_rows),
        "no document control table with the version and the owner",
    )

    bad_clauses, unmarked = [], []
    section = clause = 0
    for paragraph, text, level in zip(paragraphs, texts, levels, strict=True):
        match1 = re.match(r"(\d+)\. ", text) if level == 1 else None
        if match1:
            section, clause = int(match1.group(1)), 0
        match2 = re.match(r"(\d+)\.(\d+) ", text) if level == 2 else None
        if match2:
            clause += 1
            if (int(match2.group(1)), int(match2.group(2))) != (section, clause):
                bad_clauses.append(text[:30])
            if paragraph._p.find(qn("w:bookmarkStart")) is None:
                unmarked.append(text[:30])
    result.check(not bad_clauses, f"clauses are not numbered in order within their section: {bad_clauses[:3]}")
    result.check(clause > 0 or section > 0, "no numbered clauses (Heading 2 '1.1 ...')")
    result.check(not unmarked, f"{len(unmarked)} clause heading(s) have no bookmark to link to: {unmarked[:3]}")

    _check_header_footer(document, control_rows, result)


def _control_rows(document: DocxDocument) -> list[list[str]]:
    return [[c.text for c in row.cells] for table in document.tables for row in table.rows if len(row.cells) >= 2]


def _check_header_footer(document: DocxDocument, control_rows: list[list[str]], result: CheckResult) -> None:
    section_part = document.sections[0]
    footer = section_part.footer
    codes = _field_codes(footer._element) if not footer.is_linked_to_previous else ""
    result.check(
        re.search(r"\bPAGE\b", codes) is not None and "NUMPAGES" in codes,
        "the footer has no 'Page X of Y' (PAGE and NUMPAGES fields)",
    )
    header = section_part.header
    header_text = "" if header.is_linked_to_previous else " ".join(p.text for p in header.paragraphs).strip()
    footer_text = "" if footer.is_linked_to_previous else " ".join(p.text for p in footer.paragraphs)
    marking_row = next((row[1] for row in control_rows if row[0] == "Protective marking"), None)
    if marking_row and marking_row not in ("None", "No marking"):
        result.check(
            marking_row in header_text and marking_row in footer_text,
            f"the protective marking {marking_row} is not in both the header and the footer",
        )


def _check_guide(
    document: DocxDocument,
    paragraphs: list[Paragraph],
    texts: list[str],
    levels: list[int | None],
    result: CheckResult,
) -> None:
    """Sections under the policy's numbers ("4." or "3A."), paragraphs "G4.1" in order, each bookmarked."""
    bad, unmarked = [], []
    section: str | None = None
    count = clauses = 0
    for paragraph, text, level in zip(paragraphs, texts, levels, strict=True):
        match1 = re.match(r"(\d+[A-Z]?)\. ", text) if level == 1 else None
        if match1:
            section, count = match1.group(1), 0
        match2 = re.match(r"G(\d+[A-Z]?)\.(\d+) ", text) if level == 2 else None
        if match2:
            count += 1
            clauses += 1
            if (match2.group(1), int(match2.group(2))) != (section, count):
                bad.append(text[:30])
            if paragraph._p.find(qn("w:bookmarkStart")) is None:
                unmarked.append(text[:30])
    result.check(not bad, f"guide paragraphs are not numbered G<section>.1, .2 ... in their section: {bad[:3]}")
    result.check(not unmarked, f"{len(unmarked)} guide heading(s) have no bookmark to link to: {unmarked[:3]}")
    if clauses:
        result.check(
            re.search(r"(^|\s)TOC\s", _field_codes(document.element.body)) is not None,
            "no contents (a TOC field that Word updates)",
        )
    _check_header_footer(document, _control_rows(document), result)


def _check_annex(document: DocxDocument, texts: list[str], levels: list[int | None], result: CheckResult) -> None:
    headings1 = [text for text, level in zip(texts, levels, strict=True) if level == 1]
    result.check(any("Documents" in h for h in headings1), "no list of the documents (a 'Documents' heading)")
    result.check(
        any(table.rows and table.rows[0].cells[0].text == "Clause" for table in document.tables),
        "no table of the clauses and the items they rest on",
    )
    _check_header_footer(document, _control_rows(document), result)


# --- what the text looks like: colour, background, size ------------------------------------------

MIN_CONTRAST, MIN_CONTRAST_LARGE = 4.5, 3.0  # WCAG 2.2 AA, success criterion 1.4.3
MIN_SIZE, MIN_SIZE_MARGINS = 11.0, 10.0  # points: body text; header and footer


def _parts(document: DocxDocument) -> list[tuple[str, etree._Element]]:
    """The body, then every header and footer part, each as (where, root element)."""
    parts: list[tuple[str, etree._Element]] = [("body", document.element.body)]
    for rel in document.part.rels.values():
        if rel.reltype.endswith(("/header", "/footer")) and not rel.is_external:
            target = rel.target_part
            if isinstance(target, XmlPart):  # python-docx reads a header or footer of the right type as XML
                parts.append((rel.reltype.rsplit("/", 1)[-1], target.element))
    return parts


def _runs_with_looks(document: DocxDocument, look: Look) -> Iterator[tuple[str, str, str | None, RunLook]]:
    """(where, run text, paragraph style id, look) for every run that shows text."""
    # Paragraphs alike (style, table style layers, cell and paragraph shading) give a run the same look: each
    # worked out once a document, as are a table's layers (a row of cells has a paragraph each).
    paragraph_looks: dict[tuple[Any, ...], RunLook] = {}
    table_layers: dict[tuple[etree._Element, bool], list[etree._Element]] = {}
    for where, root in _parts(document):
        for p in root.iter(qn("w:p")):
            cell_shading = None
            layers: list[etree._Element] = []
            tc = next((a for a in p.iterancestors(qn("w:tc"))), None)
            if tc is not None:
                cell_shading = shading(tc.find(qn("w:tcPr")))
                tr = tc.getparent()
                tbl = tr.getparent() if tr is not None else None
                if tbl is not None:  # a cell outside a row of a table is not in a file Word wrote
                    first_row = tbl.find(qn("w:tr")) is tr
                    if (tbl, first_row) not in table_layers:
                        table_layers[tbl, first_row] = look.table_layers(tbl, first_row)
                    layers = table_layers[tbl, first_row]
            p_pr = p.find(qn("w:pPr"))
            style = p_pr.find(qn("w:pStyle")) if p_pr is not None else None
            style_id = style.get(qn("w:val")) if style is not None else look.default_paragraph
            paragraph_look: RunLook | None = None  # worked out once a paragraph, when it has text to show
            for r in p.iter(qn("w:r")):
                text = "".join(t.text or "" for t in r.findall(qn("w:t")))
                if text.strip():
                    if paragraph_look is None:
                        alike = (style_id, tuple(layers), cell_shading, shading(p_pr))
                        if alike not in paragraph_looks:
                            paragraph_looks[alike] = look.paragraph(p, cell_shading, layers)
                        paragraph_look = paragraph_looks[alike]
                    yield where, text, style_id, look.run_in(r, paragraph_look)


def _check_contrast_and_size(document: DocxDocument, look: Look, result: CheckResult) -> None:
    low: dict[tuple[str, str, str], tuple[float, str]] = {}
    small: dict[tuple[str, float], str] = {}
    for where, text, style_id, run in _runs_with_looks(document, look):
        size = run.size if run.size is not None else 10.0  # Word's size when nothing sets one
        background = run.background or "FFFFFF"
        if run.colour is not None:  # automatic colour is black or white, whichever shows
            large = size >= 18 or (run.bold and size >= 14)
            ratio = contrast_ratio(run.colour, background)
            if ratio < (MIN_CONTRAST_LARGE if large else MIN_CONTRAST):
                low.setdefault((style_id or "", run.colour, background), (ratio, text.strip()))
        limit = MIN_SIZE if where == "body" else MIN_SIZE_MARGINS
        if size < limit:
            small.setdefault((where, size), text.strip())
    described = [
        f"'{snippet[:30]}' ({style}) #{colour} on #{background}, {ratio:.1f}:1"
        for (style, colour, background), (ratio, snippet) in low.items()
    ]
    result.check(
        not low,
        "text has too little contrast with its background (WCAG 2.2 AA: 4.5:1, 3:1 for 18pt or 14pt bold): "
        + "; ".join(described[:3]),
    )
    described = [f"'{snippet[:30]}' in the {where} at {size:g}pt" for (where, size), snippet in small.items()]
    result.check(
        not small,
        f"text is smaller than {MIN_SIZE:g}pt ({MIN_SIZE_MARGINS:g}pt in the header and footer): "
        + "; ".join(described[:3]),
    )


_DECORATIVE = "decorative"


def _check_images(document: DocxDocument, result: CheckResult) -> None:
    """Every picture says what it shows (its alt text, Word's 'description'), unless marked decorative."""
    missing = 0
    wp_docpr = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
    for _, root in _parts(document):
        for drawing in root.iter(qn("w:drawing")):
            doc_pr = next(drawing.iter(wp_docpr), None)
            described = doc_pr is not None and bool((doc_pr.get("descr") or doc_pr.get("title") or "").strip())
            decorative = doc_pr is not None and any(
                local_name(e) == _DECORATIVE and e.get("val") in ("1", "true") for e in doc_pr.iter()
            )
            if not (described or decorative):
                missing += 1
        for shape in root.iter("{urn:schemas-microsoft-com:vml}shape"):
            if (
                shape.find("{urn:schemas-microsoft-com:vml}imagedata") is not None
                and not (shape.get("alt") or "").strip()
            ):
                missing += 1
    result.check(
        not missing,
        f"{missing} image(s) have no alternative text (right-click > View Alt Text), nor are marked decorative",
    )


_TYPED_LIST = re.compile(r"^\s*([•·▪‣◦●○■□*\-–—]|\d{1,2}[.)]|[a-z][.)]|\(\w{1,3}\))\s")
_SENTENCE_END = (".", "!", "?", ":", ";", ",")


def _all_bold(p: etree._Element, look: Look) -> bool:
    runs = [r for r in p.iter(qn("w:r")) if "".join(t.text or "" for t in r.findall(qn("w:t"))).strip()]
    if not runs:
        return False
    paragraph_look = look.paragraph(p, None, [])
    return all(look.run_in(r, paragraph_look).bold for r in runs)


def _check_fake_headings_and_lists(
    paragraphs: list[Paragraph],
    texts: list[str],
    names: list[str],
    levels: list[int | None],
    look: Look,
    result: CheckResult,
) -> None:
    fake_headings, typed_lists = [], []
    for paragraph, whole, style_name, level in zip(paragraphs, texts, names, levels, strict=True):
        text = whole.strip()
        if not text:
            continue
        name = style_name.lower()
        if level is not None or name.startswith(("toc", "list", "caption", "header", "footer")):
            continue
        if name in ("subtitle", "tocheading", "toc heading"):
            continue
        p = paragraph._p
        in_list = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
        if _TYPED_LIST.match(text) and not in_list:
            typed_lists.append(text[:30])
        elif len(text.split()) <= 12 and not text.endswith(_SENTENCE_END) and _all_bold(p, look):
            fake_headings.append(text[:40])
    result.check(
        not fake_headings,
        f"{len(fake_headings)} bold paragraph(s) look like headings but are not in a heading style: "
        + ", ".join(repr(h) for h in fake_headings[:3]),
    )
    result.check(
        not typed_lists,
        f"{len(typed_lists)} paragraph(s) start with a typed bullet or number; use the List Bullet or List Number "
        "style: " + ", ".join(repr(t) for t in typed_lists[:3]),
    )
