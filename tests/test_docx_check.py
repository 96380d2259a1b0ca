"""check-docx asserts the accessibility and structure points on the generated Word files, and catches each breach."""

import io

import pytest
from click.testing import CliRunner
from conftest import PROFILES, tiny_png
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from policy_builder.checks.docx_check import check_docx
from policy_builder.cli import main
from policy_builder.core.errors import PolicyBuilderError

EXAMPLES = sorted(PROFILES.glob("*.yaml"))


@pytest.fixture
def built(example_documents):
    return example_documents


@pytest.mark.parametrize("profile", [p.stem for p in EXAMPLES])
def test_every_example_profile_passes_every_check(built, profile):
    for kind, data in built[profile].items():
        result = check_docx(data)
        assert result.kind == kind  # read from the document's category
        assert result.problems == [], (profile, kind)
        assert result.checks >= (25 if kind == "policy" else 13)  # 26 with a protective marking


def mutate(data: bytes, change) -> bytes:
    document = Document(io.BytesIO(data))
    change(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def problems_after(data: bytes, change) -> str:
    return "\n".join(check_docx(mutate(data, change)).problems)


def summary_heading(document):
    return next(p for p in document.paragraphs if p.text == "Do")


def heading(document, text):
    return next(p for p in document.paragraphs if p.text == text and p.style.name.startswith("Heading"))


def _no_title(d):
    d.core_properties.title = ""


def _english_us(d):
    d.core_properties.language = "en-US"


def _empty_paragraph(d):
    summary_heading(d).insert_paragraph_before("")


def _skipped_level(d):
    first_item = next(p for p in d.paragraphs if p.style.name == "List Bullet")
    first_item.insert_paragraph_before("Deep heading", style="Heading 3")


def _second_title(d):
    summary_heading(d).insert_paragraph_before("Another title", style="Title")


def _no_table_header(d):
    tr_pr = d.tables[0].rows[0]._tr.trPr
    tr_pr.remove(tr_pr.find(qn("w:tblHeader")))


def _red_text(d):
    summary_heading(d).runs[0].font.color.rgb = RGBColor(0xFF, 0, 0)


def _centred(d):
    summary_heading(d).alignment = 1


def _vague_link(d):
    link = d.paragraphs[-1]._p.makeelement(qn("w:hyperlink"), {qn("w:anchor"): "section_purpose"})
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "click here"
    run.append(text)
    link.append(run)
    d.paragraphs[-1]._p.append(link)


def _no_formats_statement(d):
    for paragraph in d.paragraphs:
        if "another language" in paragraph.text:
            paragraph._p.getparent().remove(paragraph._p)


def _no_toc(d):
    for instr in list(d.element.body.iter(qn("w:instrText"))):
        if "TOC" in (instr.text or ""):
            instr.text = " PAGE "


def _update_note(d):
    heading(d, "1. Purpose and scope").insert_paragraph_before(
        "Right-click the contents and choose Update Field before you publish this policy."
    )


def _unmarked_clause(d):
    p = heading(d, "1.1 What this policy is for")._p
    p.remove(p.find(qn("w:bookmarkStart")))


def _misnumbered_clause(d):
    heading(d, "1.2 Who this policy applies to").runs[0].text = "1.3 Who this policy applies to"


def _no_definitions(d):
    heading(d, "2. Definitions").runs[0].text = "2. Terms"


def _no_page_numbers(d):
    # The footer's one line without its PAGE and NUMPAGES fields.
    line = d.sections[0].footer.paragraphs[0]._p
    for run in list(line.iter(qn("w:r"))):
        if run.find(qn("w:fldChar")) is not None or run.find(qn("w:instrText")) is not None:
            line.remove(run)


def _no_header_marking(d):
    d.sections[0].header.paragraphs[0].runs[0].text = ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_no_title, "the document title is not set in its properties"),
        (_english_us, "the document language is en-US, not en-GB"),
        (_empty_paragraph, "1 empty paragraph(s) used for spacing"),
        (_skipped_level, "heading levels are skipped: 'Deep heading' is Heading 3 after Heading 1"),
        (_second_title, "2 paragraphs use the Title style"),
        (_red_text, "1 run(s) of text have their own colour or highlight"),
        (_centred, "text has direct formatting (jc)"),
        (_vague_link, "link text does not say where the link goes: 'click here'"),
    ],
)
def test_each_accessibility_breach_is_reported(built, change, message):
    assert message in problems_after(built["example-council"]["staff-summary"], change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_no_table_header, "table 1 has no header row marked to repeat"),
        (_no_toc, "no contents (a TOC field that Word updates)"),
        (_update_note, "the text tells the reader to update fields (Update Field, F9)"),
        (_unmarked_clause, "1 clause heading(s) have no bookmark to link to: ['1.1 What this policy is for']"),
        (_misnumbered_clause, "clauses are not numbered in order within their section"),
        (_no_definitions, "no Definitions section"),
        (_no_page_numbers, "the footer has no 'Page X of Y'"),
        (_no_header_marking, "the protective marking OFFICIAL is not in both the header and the footer"),
    ],
)
def test_each_policy_structure_breach_is_reported(built, change, message):
    assert message in problems_after(built["example-council"]["policy"], change)


def test_a_leaflet_without_the_other_formats_statement_is_reported(built):
    problems = problems_after(built["example-council"]["leaflet"], _no_formats_statement)
    assert problems == "no statement of how to get this document in another format (large print, easy read ...)"


def test_a_plain_python_docx_document_fails_the_checks():
    document = Document()
    document.add_heading("Our policy", 1)
    document.add_paragraph("")
    document.add_table(rows=2, cols=2)
    buffer = io.BytesIO()
    document.save(buffer)
    problems = "\n".join(check_docx(buffer.getvalue(), "leaflet").problems)
    for expected in (
        "the document language is not set",
        "is not in the Title style",
        "table 1 has no header row",
        "empty paragraph(s) used for spacing",
        "another format",
    ):
        assert expected in problems


def test_not_a_word_file_is_a_clear_error():
    with pytest.raises(PolicyBuilderError, match="x.docx: not a Word document"):
        check_docx(b"hello", name="x.docx")


def test_check_docx_command_reports_ok_problems_and_bad_files(built, tmp_path):
    good = tmp_path / "policy.docx"
    good.write_bytes(built["example-council"]["policy"])
    bad = tmp_path / "bad.docx"
    bad.write_bytes(mutate(built["example-council"]["leaflet"], _no_title))
    runner = CliRunner()
    result = runner.invoke(main, ["check-docx", str(good)])
    assert result.exit_code == 0
    assert result.output.endswith("policy.docx: OK (policy, 33 checks passed)\n")
    result = runner.invoke(main, ["check-docx", str(good), str(bad)])
    assert result.exit_code == 1
    assert "bad.docx: the document title is not set in its properties (File > Info)" in result.output
    result = runner.invoke(main, ["check-docx", str(good), "--kind", "leaflet"])
    assert result.exit_code == 0 and "policy.docx: OK (leaflet, " in result.output
    notes = tmp_path / "notes.docx"
    notes.write_text("not word", encoding="utf-8")
    result = runner.invoke(main, ["check-docx", str(notes)])
    assert result.exit_code == 2
    assert result.output.strip().endswith("notes.docx: not a Word document (.docx) that can be read")
    assert "Traceback" not in result.output


# --- what the text looks like: each planted defect of the issue is caught ---------------------------


def _style(d, name):
    return next(s for s in d.styles if s.name == name)


def _small_grey_body_text(d):
    # Body text in 8pt grey #999999 on white: 2.8:1.
    normal = _style(d, "Normal")
    normal.font.size = Pt(8)
    normal.font.color.rgb = RGBColor(0x99, 0x99, 0x99)


def _pale_headings(d):
    # Heading 1 (18pt bold, so large text needing 3:1) in #B0B8C8 on white: about 1.9:1.
    _style(d, "Heading 1").font.color.rgb = RGBColor(0xB0, 0xB8, 0xC8)


def _grey_footer(d):
    _style(d, "Footer").font.color.rgb = RGBColor(0xAA, 0xAA, 0xAA)


def _tiny_footer(d):
    _style(d, "Footer").font.size = Pt(7)


def _dark_page(d):
    # A dark page colour behind the template's dark text.
    background = OxmlElement("w:background")
    background.set(qn("w:color"), "1D3C6E")
    d.element.insert(0, background)


def _image_without_alt_text(d):
    d.add_paragraph().add_run().add_picture(io.BytesIO(tiny_png()))


def _logo_without_alt_text_in_header(d):
    d.sections[0].header.paragraphs[0].add_run().add_picture(io.BytesIO(tiny_png()))


def _fake_heading(d):
    paragraph = summary_heading(d).insert_paragraph_before("")
    paragraph.add_run("What to do").bold = True


def _typed_bullet(d):
    summary_heading(d).insert_paragraph_before("• Lock your phone")


def _typed_number(d):
    summary_heading(d).insert_paragraph_before("1. Lock your phone")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_small_grey_body_text, "(Normal) #999999"),
        (_small_grey_body_text, "#999999 on #FFFFFF, 2.8:1"),
        (_small_grey_body_text, "text is smaller than 11pt"),
        (_pale_headings, "'Do' (Heading1) #B0B8C8 on #FFFFFF, 2.0:1"),
        (_grey_footer, "#AAAAAA on #FFFFFF, 2.3:1"),
        (_tiny_footer, "in the footer at 7pt"),
        (_dark_page, "on #1D3C6E"),
        (_image_without_alt_text, "1 image(s) have no alternative text"),
        (_logo_without_alt_text_in_header, "1 image(s) have no alternative text"),
        (_fake_heading, "1 bold paragraph(s) look like headings but are not in a heading style: 'What to do'"),
        (_typed_bullet, "1 paragraph(s) start with a typed bullet or number"),
        (_typed_number, "'1. Lock your phone'"),
    ],
)
def test_each_look_defect_is_reported(built, change, message):
    assert message in problems_after(built["example-council"]["staff-summary"], change)


def test_an_image_with_alt_text_passes(built):
    def described(d):
        _image_without_alt_text(d)
        doc_pr = next(
            d.element.body.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
        )
        doc_pr.set("descr", "The council's logo")

    assert "alternative text" not in problems_after(built["example-council"]["staff-summary"], described)


def test_contrast_ratio_matches_wcag():
    from policy_builder.checks.docx_check import contrast_ratio

    assert round(contrast_ratio("000000", "FFFFFF"), 1) == 21.0
    assert round(contrast_ratio("767676", "FFFFFF"), 2) == 4.54  # the lightest grey that passes on white
    assert contrast_ratio("777777", "FFFFFF") < 4.5


def test_the_summary_of_changes_passes(tmp_path):
    from policy_builder.cli import main as cli

    profile = PROFILES / "example-council.yaml"
    changed = tmp_path / "changed.yaml"
    changed.write_text(profile.read_text(encoding="utf-8").replace("whatsapp: keep_in_touch", "whatsapp: permitted"))
    runner = CliRunner()
    for source, out in ((profile, "v1"), (changed, "v2")):
        result = runner.invoke(cli, ["build", str(source), "--format", "docx", "--out", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
    old, new = (next((tmp_path / out).glob("*-social-media-policy.docx")) for out in ("v1", "v2"))
    summary = tmp_path / "summary.docx"
    result = runner.invoke(cli, ["changes", str(old), str(new), "--output", str(summary)])
    assert result.exit_code == 0, result.output
    checked = check_docx(summary.read_bytes())
    assert checked.kind == "summary-of-changes"
    assert checked.problems == []
    text = "\n".join(p.text for p in Document(str(summary)).paragraphs)
    cells = " ".join(c.text for t in Document(str(summary)).tables for r in t.rows for c in r.cells)
    assert "keep_in_touch" not in text + cells and "messaging.whatsapp" not in cells
    assert "Yes, but only to keep in touch" in cells and "May staff use WhatsApp" in cells
