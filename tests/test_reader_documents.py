"""What readers receive: nothing internal, drafts and overdue dates flagged, the leaflet's contact details and
fit on one page, typographer's quotes and dashes (issue 16, deliverables 3, 4, 5 and 7)."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from click.testing import CliRunner
from conftest import PROFILES, base_profile
from docx import Document
from docx.shared import Cm

from policy_builder.cli import main
from policy_builder.render.typography import smarten, smarten_pieces

EXAMPLES = sorted(p.stem for p in PROFILES.glob("*.yaml"))
READER_KINDS = ("policy", "practice-guide", "staff-summary", "leaflet")


def all_text(data: bytes) -> str:
    """Every paragraph of the body (tables too), header and footer."""
    document = Document(io.BytesIO(data))
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.header._element, section.footer._element]
    paragraphs = []
    for part in parts:
        for p in part.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"):
            paragraphs.append("".join(t.text or "" for t in p.iter() if t.tag.endswith("}t")))
    return "\n".join(paragraphs)


@pytest.mark.parametrize("profile", EXAMPLES)
def test_nothing_internal_reaches_readers(library, example_documents, profile):
    """No question id, raw answer value or tool name in the policy, guide, staff card or leaflet."""
    question_ids = set(library.questionnaire.questions)
    raw_values = {
        choice.value
        for question in library.questionnaire.questions.values()
        for choice in question.choices
        if "_" in choice.value
    }
    for kind in READER_KINDS:
        text = all_text(example_documents[profile][kind])
        words = set(re.findall(r"[a-z_]+\.[a-z_]+|[a-z]+_[a-z_]+", text))
        assert not words & question_ids, (profile, kind, words & question_ids)
        assert not words & raw_values, (profile, kind, words & raw_values)
        assert "policy-builder" not in text.lower(), (profile, kind)
        assert "\\" not in text, (profile, kind)  # no Markdown escapes


def test_a_reissue_lists_changed_answers_in_words(library, tmp_path):
    runner = CliRunner()
    first = tmp_path / "v1.yaml"
    first.write_text(yaml.safe_dump(base_profile(), sort_keys=False), encoding="utf-8")
    changed = base_profile()
    changed["messaging"]["whatsapp"] = "permitted"
    changed["document"]["version"] = "1.1"
    second = tmp_path / "v2.yaml"
    second.write_text(yaml.safe_dump(changed, sort_keys=False), encoding="utf-8")
    result = runner.invoke(main, ["build", str(first), "--format", "md,docx", "--out", str(tmp_path / "v1")])
    assert result.exit_code == 0, result.output
    old = next((tmp_path / "v1").glob("*-social-media-policy.docx"))
    result = runner.invoke(
        main, ["build", str(second), "--format", "md,docx", "--out", str(tmp_path / "v2"), "--previous", str(old)]
    )
    assert result.exit_code == 0, result.output
    text = all_text(next((tmp_path / "v2").glob("*-social-media-policy.docx")).read_bytes())
    assert (
        "Changed the answer to \u201cMay staff use WhatsApp or similar messaging apps with people who use services?\u201d"
        " from \u201cYes, but only to keep in touch\u201d to \u201cYes, for any work conversation, including assessments, plans and concerns\u201d."
    ) in text
    assert "messaging.whatsapp" not in text and "keep_in_touch" not in text
    assert "1 December 2026" in text and not re.search(r"\b20\d\d-\d\d-\d\d\b", text)  # dates in words


# --- drafts and dates past ----------------------------------------------------------------------------


def build(tmp_path, profile: dict, *options: str):
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path / "out"), *options])


def test_build_warns_on_stderr_when_the_next_review_is_past(tmp_path):
    profile = base_profile()
    profile["document"]["effective_date"] = "2024-01-15"
    profile["document"]["review_months"] = 12
    result = build(tmp_path, profile, "--format", "md")
    assert result.exit_code == 0  # a warning, not an error
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1
    assert "its next review, 15 January 2025, is already past" in warnings[0]
    assert "effective date" not in warnings[0].split(";")[0]  # an approved policy may be reprinted after it took effect
    assert "Warning" not in result.stdout


def test_build_warns_when_a_draft_s_effective_date_is_past(tmp_path):
    profile = base_profile()
    profile["document"].pop("approved_by", None)
    profile["document"]["effective_date"] = "2026-01-05"
    result = build(tmp_path, profile, "--format", "docx")
    assert result.exit_code == 0
    assert "Warning: this draft's effective date, 5 January 2026, is already past" in result.stderr
    document = Document(str(next((tmp_path / "out").glob("*-social-media-policy.docx"))))
    assert document.sections[0].header.paragraphs[0].text == "DRAFT \u2013 OFFICIAL"
    assert "DRAFT: not for issue." in [p.text for p in document.paragraphs[:6]]


def test_an_approved_policy_with_future_dates_builds_without_warning(tmp_path):
    profile = base_profile()
    profile["document"]["effective_date"] = "2027-04-01"
    result = build(tmp_path, profile, "--format", "md")
    assert result.exit_code == 0 and "Warning" not in result.stderr


# --- the leaflet ------------------------------------------------------------------------------------


def test_leaflet_gives_the_service_s_number_version_and_date(example_documents):
    text = all_text(example_documents["example-council"]["leaflet"])
    assert "To talk to us, call 020\u00a07946\u00a00123, Monday to Friday, 9am to 5pm." in text
    assert "Leaflet version 1.0, 1 December 2026." in text
    assert "How we keep in touch with you, version 1.0" in text  # the footer


def test_leaflet_on_a_wide_margined_template_warns_it_may_not_fit_one_page(tmp_path):
    template = Document()
    section = template.sections[0]
    section.top_margin = section.bottom_margin = Cm(6)
    template.save(str(tmp_path / "wide.docx"))
    profile = base_profile()
    result = build(tmp_path, profile, "--format", "leaflet", "--reference-docx", str(tmp_path / "wide.docx"))
    assert result.exit_code == 0
    assert "Warning: the Word leaflet may not fit on one page on this template (about 1." in result.stderr
    result = build(tmp_path, profile, "--format", "leaflet")
    assert "may not fit on one page" not in result.stderr  # the bundled template: one page


def test_footer_stays_one_line_on_a_template_with_wider_margins(tmp_path):
    """The bundled template's footer names the document, version, marking and page; where that cannot fit
    one line (wider margins), the title goes and the version, marking and page stay."""
    template = Document()
    section = template.sections[0]
    section.left_margin = section.right_margin = Cm(3.2)
    template.save(str(tmp_path / "narrow.docx"))
    profile = base_profile()
    footers = {}
    for name in ("bundled", "narrow"):
        extra = ("--reference-docx", str(tmp_path / "narrow.docx")) if name == "narrow" else ()
        folder = tmp_path / name
        folder.mkdir()
        assert build(folder, profile, "--format", "docx", *extra).exit_code == 0
        policy = next((folder / "out").glob("*-social-media-policy.docx"))
        footers[name] = [p.text for p in Document(str(policy)).sections[0].footer.paragraphs if p.text]
    assert footers["bundled"] == [
        "Social Media and Digital Contact Policy, version 1.0 \u2013 OFFICIAL \u2013 Page 1 of 1"
    ]
    assert footers["narrow"] == ["Version 1.0 \u2013 OFFICIAL \u2013 Page 1 of 1"]


# --- typography ---------------------------------------------------------------------------------------


def test_smarten_curls_quotes_and_makes_spaced_hyphens_en_dashes():
    assert smarten('Don\'t use "last seen" - ever.') == "Don\u2019t use \u201clast seen\u201d \u2013 ever."
    assert smarten("the workers' code, 'keep in touch'") == "the workers\u2019 code, \u2018keep in touch\u2019"
    assert smarten("9am-5pm, 020 7946 0000") == "9am-5pm, 020 7946 0000"  # ranges and numbers untouched
    assert smarten_pieces(['He said "', "this", '" then']) == ["He said \u201c", "this", "\u201d then"]


def test_word_files_use_curly_quotes(example_documents):
    text = all_text(example_documents["example-council"]["policy"])
    assert "\u2019" in text and "'" not in text and '"' not in text


def test_leaflet_never_says_both_we_do_not_look_and_we_only_look(example_documents):
    # The Welsh charity allows viewing with authorisation but has no authorisation process: nobody may look.
    for profile in EXAMPLES:
        text = all_text(example_documents[profile]["leaflet"])
        assert not ("We do not look at your social media." in text and "We only look at your social media" in text)
    assert "We do not look at your social media." in all_text(example_documents["small-charity-wales"]["leaflet"])
