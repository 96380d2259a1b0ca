"""check-docx asserts the accessibility and structure points on the generated Word files, and catches each breach."""

import io

import pytest
from click.testing import CliRunner
from conftest import PROFILES
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import RGBColor

from policy_builder.cli import main
from policy_builder.errors import PolicyBuilderError
from policy_builder.render.docx_check import check_docx

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


def _no_update_note(d):
    for paragraph in d.paragraphs:
        if "Update Field" in paragraph.text:
            paragraph._p.getparent().remove(paragraph._p)


def _unmarked_clause(d):
    p = heading(d, "1.1 What this policy is for")._p
    p.remove(p.find(qn("w:bookmarkStart")))


def _misnumbered_clause(d):
    heading(d, "1.2 Who this policy applies to").runs[0].text = "1.3 Who this policy applies to"


def _no_definitions(d):
    heading(d, "2. Definitions").runs[0].text = "2. Terms"


def _no_page_numbers(d):
    footer = d.sections[0].footer
    footer.paragraphs[1]._p.getparent().remove(footer.paragraphs[1]._p)


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
        (_no_update_note, "no note telling the reader to update fields"),
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
    assert result.output.endswith("policy.docx: OK (policy, 26 checks passed)\n")
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
