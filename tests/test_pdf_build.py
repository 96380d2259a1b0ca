"""`--format pdf`, the contents' page numbers and a LibreOffice round trip (issue 16).

The tests that lay documents out need LibreOffice (`soffice`, Debian package
libreoffice-writer-nogui) and poppler (`pdfinfo`, `pdftotext`, package
poppler-utils): skipped without them on a developer's machine, failed in CI
(the CI environment variable is set), where they must run.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUILD_DATE, PROFILES
from docx import Document
from docx.oxml.ns import qn

from policy_builder.build import build_profile
from policy_builder.cli import main
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.docx import render_docx
from policy_builder.render.docx.ooxml import contents_anchors, fill_contents
from policy_builder.render.pdf import bookmark_pages, libreoffice_profile, pdf_destinations

TOOLS = ("soffice", "pdfinfo", "pdftotext")


def needs_libreoffice() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the LibreOffice tests, but {reason}; .ci/run installs them")
        pytest.skip(f"{reason}; CI runs this test")


def pdfinfo(pdf: Path, *options: str) -> str:
    return subprocess.run(["pdfinfo", *options, str(pdf)], capture_output=True, text=True, check=True).stdout


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def contents_numbers(docx: bytes) -> dict[str, str]:
    """Each contents entry's text and the page number its PAGEREF field shows."""
    document = Document(io.BytesIO(docx))
    numbers = {}
    for paragraph in document.paragraphs:
        link = paragraph._p.find(qn("w:hyperlink"))
        if paragraph.style.name != "toc 1" or link is None:
            continue
        texts = [t.text for t in link.iter(qn("w:t"))]
        codes = " ".join(t.text for t in link.iter(qn("w:instrText")))
        assert codes.split()[:2] == ["PAGEREF", link.get(qn("w:anchor"))], codes
        numbers[texts[0]] = texts[-1]
    return numbers


@pytest.fixture(scope="module")
def built(library, tmp_path_factory) -> tuple[Path, list[Path]]:
    """The example council built as `build --format md,docx,pdf,summary,leaflet` builds it."""
    needs_libreoffice()
    out = tmp_path_factory.mktemp("pdf-build")
    result = build_profile(
        library,
        PROFILES / "example-council.yaml",
        out,
        ["md", "docx", "pdf", "summary", "leaflet"],
        build_date=BUILD_DATE,
    )
    return out, result.written


def test_build_writes_a_tagged_pdf_of_every_word_document(built):
    out, written = built
    pdfs = sorted(p.name for p in written if p.suffix == ".pdf")
    assert pdfs == [
        "eastbrook-council-leaflet.pdf",
        "eastbrook-council-practice-guide.pdf",
        "eastbrook-council-social-media-policy.pdf",
        "eastbrook-council-sources-annex.pdf",
        "eastbrook-council-staff-summary.pdf",
    ]
    for name in pdfs:
        info = pdfinfo(out / name)
        assert re.search(r"^Tagged:\s+yes$", info, re.M), name
        assert re.search(r"^Title:\s+\S", info, re.M), name  # the document title, not the file name
    assert "Title:           Social Media and Digital Contact Policy" in pdfinfo(
        out / "eastbrook-council-social-media-policy.pdf"
    )
    assert b"/Lang(en-GB)" in (out / "eastbrook-council-social-media-policy.pdf").read_bytes()
    assert not list(out.glob("*.docx.pdf")) and not list(out.glob(".*"))  # nothing half-written left behind


def test_the_title_and_contents_are_tagged_as_headings(built):
    out, _ = built
    structure = pdfinfo(out / "eastbrook-council-social-media-policy.pdf", "-struct-text")
    texts, heading = [], False
    for line in structure.splitlines():
        line = line.strip()
        if re.fullmatch(r"H\d \(block\):", line):
            heading = True
        elif heading and line.startswith('"'):
            texts.append(line.strip('"').strip())
            heading = False
    assert texts[0].startswith("Social Media and Digital Contact")  # the title
    assert "Contents" in texts and "Document control" in texts and "1. Purpose and scope" in texts


def test_the_contents_show_the_page_each_section_starts_on(built):
    out, _ = built
    pdf = out / "eastbrook-council-social-media-policy.pdf"
    docx = (out / "eastbrook-council-social-media-policy.docx").read_bytes()
    numbers = contents_numbers(docx)
    assert list(numbers)[:2] == ["1. Purpose and scope", "2. Definitions"]
    pages = int(re.search(r"^Pages:\s+(\d+)", pdfinfo(pdf), re.M).group(1))
    contents = page_text(pdf, 1) + page_text(pdf, 2)
    for title, number in numbers.items():
        assert number.isdigit() and 1 <= int(number) <= pages, (title, number)
        # The PDF's contents line shows the same number, after the dot leader.
        assert re.search(rf"{re.escape(title)}\.*\s*{number}\n", contents), title
    assert numbers["1. Purpose and scope"] in ("1", "2")
    # The Word file no longer asks to be updated: the numbers are filled in.
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        assert b"w:dirty" not in package.read("word/document.xml")
        assert b"updateFields" not in package.read("word/settings.xml")
    # The practice guide's contents too.
    guide = contents_numbers((out / "eastbrook-council-practice-guide.docx").read_bytes())
    assert guide and all(n.isdigit() for n in guide.values())


def test_every_section_heading_is_on_the_page_the_contents_give(built):
    """Checked against the laid-out text: a heading line on the page its contents entry names."""
    out, _ = built
    pdf = out / "eastbrook-council-social-media-policy.pdf"
    numbers = contents_numbers((out / "eastbrook-council-social-media-policy.docx").read_bytes())
    for title, number in numbers.items():
        # A line of its own, not a contents entry (those end in a dot leader and the number).
        lines = [line.strip() for line in page_text(pdf, int(number)).splitlines() if "..." not in line]
        assert title in lines, (title, number)


def test_word_documents_get_page_numbers_without_a_pdf(library, tmp_path):
    needs_libreoffice()
    result = build_profile(
        library, PROFILES / "strict-trust.yaml", tmp_path, ["docx"], build_date=BUILD_DATE, page_numbers=True
    )
    assert not [p for p in result.written if p.suffix == ".pdf"]
    policy = next(p for p in result.written if p.name.endswith("-social-media-policy.docx"))
    numbers = contents_numbers(policy.read_bytes())
    assert numbers and all(n.isdigit() for n in numbers.values())


@pytest.fixture(scope="module")
def house_pdfs(library, tmp_path_factory) -> tuple[Path, list[Path]]:
    """The strict trust built as `build --format pdf --reference-docx house.docx` builds it, on python-docx's
    own template (US Letter, 1 inch margins, no 'toc 1' of its own): one LibreOffice run for the tests
    that read it."""
    needs_libreoffice()
    folder = tmp_path_factory.mktemp("house-pdf")
    Document().save(str(folder / "house.docx"))
    result = build_profile(
        library,
        PROFILES / "strict-trust.yaml",
        folder / "out",
        ["pdf"],
        build_date=BUILD_DATE,
        reference_docx=folder / "house.docx",
    )
    return folder / "house.docx", result.written


def test_pdf_without_docx_writes_the_pdfs_only(house_pdfs):
    _house, written = house_pdfs
    suffixes = sorted(p.suffix for p in written)
    assert suffixes == [".json", ".md", ".pdf", ".pdf", ".pdf"]  # manifest, gap report, three documents


def test_without_page_numbers_word_is_asked_to_update_the_contents(library, tmp_path):
    result = build_profile(
        library, PROFILES / "strict-trust.yaml", tmp_path, ["docx"], build_date=BUILD_DATE, page_numbers=False
    )
    policy = next(p for p in result.written if p.name.endswith("-social-media-policy.docx"))
    with zipfile.ZipFile(policy) as package:
        assert b'w:dirty="true"' in package.read("word/document.xml")
        assert b'<w:updateFields w:val="true"/>' in package.read("word/settings.xml")
        assert b"PAGEREF" not in package.read("word/document.xml")


def test_fill_contents_writes_numbers_word_can_update_and_can_be_refilled(library):
    answers = load_profile(
        PROFILES / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    docx = render_docx(build_policy(library, answers))
    anchors = contents_anchors(docx)
    assert anchors[:2] == ["section_purpose", "section_definitions"] and len(anchors) == len(set(anchors))
    once = fill_contents(docx, dict.fromkeys(anchors, 99))
    twice = fill_contents(once, {anchor: index + 1 for index, anchor in enumerate(anchors)})
    numbers = contents_numbers(twice)
    assert list(numbers.values()) == [str(i + 1) for i in range(len(anchors))]  # refilled, not appended
    partly = fill_contents(docx, {anchors[0]: 2})  # an entry whose page is unknown keeps Word's update
    with zipfile.ZipFile(io.BytesIO(partly)) as package:
        assert b'w:dirty="true"' in package.read("word/document.xml")
        assert b"updateFields" in package.read("word/settings.xml")
    assert contents_anchors(fill_contents(docx, {})) == anchors


def test_pdf_destinations_read_libreoffice_names_and_page_order():
    pdf = (
        b"%PDF-1.6\n1 0 obj<</Type/Page>>endobj\n7 0 obj<</Type/Page>>endobj\n"
        b"3 0 obj<</Type/Pages\n/Resources 9 0 R\n/Kids[ 1 0 R 7 0 R ]\n/Count 2>>endobj\n"
        b"8 0 obj<</section5Fpurpose[1 0 R/XYZ 56.7 592.2 0]/section5Fdefinitions[7 0 R/XYZ 56.7 100 0]>>endobj\n"
    )
    assert pdf_destinations(pdf) == {"section5Fpurpose": 1, "section5Fdefinitions": 2}
    assert bookmark_pages(pdf, ["section_definitions", "section_missing"]) == {"section_definitions": 2}
    assert pdf_destinations(b"not a pdf") == {}


def test_pdf_without_libreoffice_is_one_line_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no soffice, no libreoffice
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(PROFILES / "example-council.yaml"), "--out", str(out), "--format", "docx,pdf"]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "libreoffice-writer-nogui" in lines[0] and "--format" in lines[0]
    assert not out.exists()  # nothing built, nothing half-written


def test_check_and_changes_still_read_the_manifest_after_a_libreoffice_round_trip(example_issue, tmp_path):
    needs_libreoffice()
    # The example council's issue as `build` writes it (built once a run; no page numbers, as in the tests).
    policy = example_issue(tmp_path / "v1") / "eastbrook-council-social-media-policy.docx"
    saved = tmp_path / "saved"
    with libreoffice_profile() as profile:  # the one this process's builds use: filled once, not per run
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "docx",
                "--outdir",
                str(saved),
                str(policy),
            ],
            capture_output=True,
            timeout=300,
            check=True,
        )
    resaved = saved / policy.name
    with zipfile.ZipFile(resaved) as package:
        assert "customXml/policy-builder-manifest.xml" not in package.namelist()  # LibreOffice renamed the part
    runner = CliRunner()
    check = runner.invoke(main, ["check", str(resaved)])
    assert check.exit_code in (0, 1), check.output  # read (due for review or not), not exit 2 "no manifest"
    assert "no policy-builder manifest" not in check.output
    changes = runner.invoke(main, ["changes", str(policy), str(resaved), "--json"])
    assert changes.exit_code == 0, changes.output
    report = json.loads(changes.output)
    assert report["old"] == report["new"]  # the same issue, read from both files
    assert not report["clauses_added"] and not report["clauses_removed"] and not report["clauses_reworded"]


def test_on_a_narrower_house_template_the_page_numbers_sit_at_its_margin(library, tmp_path, request):
    """python-docx's own template: US Letter, 1 inch margins, no 'toc 1' of its own."""
    house = tmp_path / "house.docx"
    Document().save(str(house))
    answers = load_profile(
        PROFILES / "strict-trust.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    document = Document(io.BytesIO(render_docx(build_policy(library, answers), house)))
    section = document.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    tabs = list(document.styles["toc 1"].paragraph_format.tab_stops)
    assert [(tab.position, tab.alignment.name, tab.leader.name) for tab in tabs] == [(width, "RIGHT", "DOTS")]
    _house, written = request.getfixturevalue("house_pdfs")  # needs LibreOffice: the tab stops above do not
    pdf = next(p for p in written if p.name.endswith("-social-media-policy.pdf"))
    entries = [line for line in page_text(pdf, 1).splitlines() if "..." in line]
    assert entries and all(re.search(r"\.{3,}\s*\d+$", line) for line in entries), entries
    assert "Tagged:          yes" in pdfinfo(pdf)


def test_a_libreoffice_that_fails_leaves_the_numbers_to_word_and_stops_a_pdf_build(library, tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "soffice"
    fake.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    result = build_profile(
        library, PROFILES / "strict-trust.yaml", tmp_path / "docx", ["docx"], build_date=BUILD_DATE, page_numbers=True
    )
    policy = next(p for p in result.written if p.name.endswith("-social-media-policy.docx"))
    with zipfile.ZipFile(policy) as package:
        assert b'<w:updateFields w:val="true"/>' in package.read("word/settings.xml")
    out = tmp_path / "pdf"
    run = CliRunner().invoke(
        main, ["build", str(PROFILES / "strict-trust.yaml"), "--out", str(out), "--format", "docx,pdf"]
    )
    assert run.exit_code == 2
    assert "could not lay out a Word file to make its PDF: Error: source file could not be loaded" in run.output
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_a_process_keeps_one_libreoffice_profile_for_its_runs_and_removes_it_at_exit(tmp_path):
    """Filling a new profile is paid once a process (a batch, `serve`), not once a run; a run while the kept
    one is in use (another thread's build) gets a temporary one rather than sharing it; a failed run's is
    not used again."""
    code = (
        "from policy_builder.render.pdf import libreoffice_profile\n"
        "with libreoffice_profile() as first:\n"
        "    assert first.is_dir()\n"
        "    with libreoffice_profile() as busy:\n"
        "        assert busy != first and busy.is_dir()\n"
        "    assert not busy.exists()\n"
        "with libreoffice_profile() as again:\n"
        "    assert again == first\n"
        "try:\n"
        "    with libreoffice_profile() as failed:\n"
        "        raise RuntimeError('LibreOffice stopped')\n"
        "except RuntimeError:\n"
        "    assert failed == first and not first.exists()  # perhaps half written: not used again\n"
        "with libreoffice_profile() as fresh:\n"
        "    assert fresh != first and fresh.is_dir()\n"
        "print(fresh)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    kept = Path(done.stdout.strip())
    assert kept.parent == tmp_path and not kept.exists()  # removed at exit
    assert list(tmp_path.iterdir()) == []
