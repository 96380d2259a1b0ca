"""The browser wizard (policy_builder/web) through Flask's test client: every page and every error path.

Forms are filled the way a browser fills them: the page's own fields with
their shown values (disabled ones left out), changed where a test says so.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from conftest import BUILD_DATE, PROFILES, ROOT, shared_page_templates, start_serve
from docx import Document

from policy_builder.pipeline.profile import load_profile
from policy_builder.web import create_app
from policy_builder.web.app import MAX_UPLOAD_BYTES

# --- a browser, as far as the tests need one ----------------------------------------------------------


class Form(HTMLParser):
    """The fields a browser would send for one form on the page: disabled fields and unticked boxes left out."""

    def __init__(self, page: str, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[tuple[str, str]] = []
        self.radios: dict[str, list[str]] = {}  # every radio group on the form: name -> values
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "radio":
                self.radios.setdefault(a["name"], []).append(a.get("value") or "")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind != "file":
                self.fields.append((a["name"], a.get("value") or ""))
        if tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


class Visitor:
    """A person with a browser: follows redirects, sends forms as shown, reads the text of pages."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.page = ""
        self.status = 0
        self.url = "/"

    def get(self, url: str, **kwargs: Any):
        response = self.client.get(url, follow_redirects=True, **kwargs)
        self._seen(response)
        return response

    def _seen(self, response) -> None:
        self.status = response.status_code
        self.url = response.request.path
        self.page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""

    def csrf(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.page)
        assert match, "the page has a form with a CSRF token"
        return match.group(1)

    def submit(
        self,
        action: str,
        changes: dict[str, Any] | None = None,
        button: str | None = None,
        *,
        undecided: str | None = None,
        **kwargs: Any,
    ):
        """Send the form whose action is ``action`` as the page shows it, with ``changes`` (None removes a field).

        ``undecided``: the option to tick in a yes/no group the page leaves unticked (a question with no
        suggested answer must be answered; a choice group gets its first option), unless ``changes`` says otherwise.
        """
        form = Form(self.page, action)
        data: dict[str, list[str]] = {}
        for name, value in form.fields:
            data.setdefault(name, []).append(value)
        if undecided is not None:
            for name, values in form.radios.items():
                if name not in data and values:
                    data[name] = [undecided if undecided in values else values[0]]  # a choice: its first option
        for name, value in (changes or {}).items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value if isinstance(value, list) else [value]
        if button:
            data["action"] = [button]
        response = self.client.post(action, data=data, follow_redirects=True, **kwargs)
        self._seen(response)
        return response

    def text(self) -> str:
        return page_text(self.page)

    def section(
        self,
        section_id: str,
        changes: dict[str, Any] | None = None,
        button: str = "continue",
        undecided: str | None = "no",
    ):
        """A section's form sent as shown, a yes/no question with no suggested answer answered ``undecided``."""
        return self.submit(f"/section/{section_id}", changes, button, undecided=undecided)


def date_fields(day: str, month: str, year: str, qid: str = "document.effective_date") -> dict[str, str]:
    """GOV.UK's day / month / year fields for a date question, as the browser sends them."""
    return {f"{qid}-day": day, f"{qid}-month": month, f"{qid}-year": year}


def page_text(page: str) -> str:
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def h1(page: str) -> str:
    match = re.search(r"(?s)<h1[^>]*>(.*?)</h1>", page)
    return page_text(match.group(1)) if match else ""


def error_summary(page: str) -> list[tuple[str, str]]:
    match = re.search(r'(?s)<div class="error-summary".*?</ul>', page)
    if not match:
        return []
    return [(anchor, page_text(text)) for anchor, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', match.group())]


ORGANISATION = {
    "organisation.name": "Testshire County Council",
    "organisation.short_name": "Testshire",
    "organisation.nation": "england",
    "organisation.type": "local_authority",
    "organisation.services": ["children", "adults"],
}


@pytest.fixture
def me(app) -> Visitor:
    visitor = Visitor(app)
    visitor.get("/")
    return visitor


def start_new(me: Visitor) -> None:
    me.submit("/start/new")
    assert me.url == "/section/organisation"


def answer_everything(me: Visitor, messaging: dict[str, Any] | None = None) -> None:
    """A new policy: the organisation and owner typed in, every other answer as suggested."""
    start_new(me)
    me.section("organisation", ORGANISATION)
    me.section("document", {"document.owner": "Principal Social Worker"})
    while me.url.startswith("/section/"):
        section_id = me.url.rsplit("/", 1)[1]
        me.section(section_id, messaging if section_id == "messaging_video" else None)
        assert me.status == 200, me.text()[:500]
    assert me.url == "/review"


def answer_everything_before(me: Visitor, stop: str) -> None:
    """A new policy answered as suggested up to the section ``stop``, which is left open."""
    start_new(me)
    me.section("organisation", ORGANISATION)
    me.section("document", {"document.owner": "Principal Social Worker"})
    while me.url != f"/section/{stop}":
        me.section(me.url.rsplit("/", 1)[1])
        assert me.status == 200, me.text()[:500]


# --- the start page -------------------------------------------------------------------------------------


def test_start_page_offers_new_saved_and_upload(me, profiles, app):
    assert me.status == 200
    assert h1(me.page) == "Write your social media policy"
    text = me.text()
    assert "Start a new policy" in text and "There are no saved profiles in the folder" in text
    (profiles / "eastbrook.yaml").write_text((PROFILES / "example-council.yaml").read_text(), encoding="utf-8")
    (profiles / "notes.txt").write_text("not a profile", encoding="utf-8")
    me.get("/")
    assert 'value="eastbrook.yaml"' in me.page and "notes.txt" not in me.page
    assert "London Borough of Eastbrook eastbrook.yaml" in me.text(), "profiles are named by their organisation"
    assert 'enctype="multipart/form-data"' in me.page


def test_every_field_has_a_label_and_choice_groups_a_legend(me, library):
    start_new(me)
    for section in library.questionnaire.sections:
        page = me.get(f"/section/{section.id}").get_data(as_text=True)
        labels = set(re.findall(r'<label[^>]* for="([^"]+)"', page))
        for tag in re.findall(r"<input[^>]*>", page):
            kind = re.search(r'type="([^"]+)"', tag).group(1)
            if kind == "hidden":
                continue
            field = re.search(r'id="([^"]+)"', tag).group(1)
            assert field in labels, f"{section.id}: {field} has no label"
        for fieldset in re.findall(r"(?s)<fieldset.*?</fieldset>", page):
            assert "<legend" in fieldset
        assert "Section" in page and f"of {len(library.questionnaire.sections)}" in page


# --- answering a section -------------------------------------------------------------------------------


def test_missing_answers_are_listed_at_the_top_and_beside_each_field(me):
    start_new(me)
    me.section("organisation", {"organisation.name": "", "organisation.short_name": "Keep me"}, undecided=None)
    assert me.status == 400
    assert me.page.count('class="error-message"') == 4
    summary = error_summary(me.page)
    assert summary[0] == ("organisation-name", "Enter an answer: “What is the full legal name of your organisation?”")
    assert [anchor for anchor, _ in summary] == [
        "organisation-name",
        "organisation-nation",
        "organisation-type",
        "organisation-services",
    ]
    for anchor, _ in summary:
        assert f'id="{anchor}"' in me.page, "each error links to its field"
    assert "<title>Error: " in me.page
    assert 'value="Keep me"' in me.page, "what was typed stays on the page"
    assert 'aria-describedby="organisation-name-hint organisation-name-error"' in me.page


def test_wrong_dates_numbers_and_options_say_what_to_enter(me):
    start_new(me)
    me.section("organisation", ORGANISATION)
    me.section(
        "document",
        {"document.owner": "PSW", **date_fields("31", "11", "2026"), "document.review_months": "forty"},
    )
    assert me.status == 400
    messages = dict(error_summary(me.page))
    assert messages["document-effective-date"].startswith("31 November 2026 is not a date")
    assert messages["document-review-months"].startswith("Enter a whole number from 1 to 36 (you entered 'forty')")
    me.section("document", {**date_fields("1", "", "2026"), "document.review_months": "forty"})
    assert dict(error_summary(me.page))["document-effective-date"].startswith("The date must include a month")
    me.section("document", {**date_fields("1", "12", "2026"), "document.review_months": "99"})
    assert "Enter a whole number from 1 to 36 (you entered '99')" in me.text()
    me.section("document", {"document.review_months": "24", "document.protective_marking": "SECRET"})
    assert "'SECRET' is not one of the options. Choose one of: " in me.text()
    me.section("document", {"document.protective_marking": "OFFICIAL"})
    assert me.url == "/section/accounts_devices"


def test_unticking_every_box_is_an_error_not_a_silent_default(me):
    start_new(me)
    me.section("organisation", {**ORGANISATION, "organisation.services": None})
    assert ("organisation-services", "Select at least one option: “Which services does this policy cover?”") in (
        error_summary(me.page)
    )


def test_follow_up_questions_appear_without_javascript(me):
    start_new(me)
    me.section("organisation", ORGANISATION)
    me.section("document", {"document.owner": "PSW"})
    me.section("accounts_devices")
    assert me.url == "/section/messaging_video"
    # The follow-ups are on the page but hidden and disabled: a browser without script sends none of them.
    assert re.search(r'data-question="messaging.apps"\s+hidden', me.page)
    me.section("messaging_video", {"messaging.whatsapp": "keep_in_touch"})
    assert me.url == "/section/messaging_video", "the same section again, with the new questions"
    assert me.status == 200
    assert "6 more questions now apply" in me.text()
    assert "Follow-up question" in me.text()
    assert not re.search(r'data-question="messaging.apps"\s+hidden', me.page)
    assert re.search(r'value="keep_in_touch"\s+checked', me.page), "the answer just given is kept"
    me.section("messaging_video", {"messaging.apps": ["sms", "whatsapp"]})
    assert me.url == "/section/out_of_hours"


def test_the_applies_endpoint_says_which_questions_apply_as_answers_change(me):
    start_new(me)
    me.get("/section/messaging_video")
    token = me.csrf()
    asked = ["messaging.whatsapp", "messaging.record_system", "video.one_time_links", "video.platforms"]
    data = {"csrf_token": token, "asked": asked, "messaging.whatsapp": "permitted"}
    applies = me.client.post("/section/messaging_video/applies", data=data).get_json()["applies"]
    assert "messaging.apps" in applies and "messaging.number_hidden" in applies
    data["messaging.whatsapp"] = "not_allowed"
    applies = me.client.post("/section/messaging_video/applies", data=data).get_json()["applies"]
    assert "messaging.apps" not in applies and "messaging.whatsapp" in applies


def test_a_page_shown_again_reuses_its_preview_and_follows_a_changed_answer(me, library):
    """The previews are kept per library (interview/preview.py): shown again with the same answers, not made again;
    with an answer changed on the page, made for the new answer."""
    from policy_builder.interview.preview import SectionPreviews

    kept = SectionPreviews.of(library)
    start_new(me)
    me.get("/section/messaging_video")
    made = kept.made
    page = me.page
    me.get("/section/messaging_video")
    assert kept.made == made and me.page.count("preview-passage") == page.count("preview-passage") > 0
    token = me.csrf()
    asked = ["messaging.whatsapp", "messaging.record_system", "video.one_time_links", "video.platforms"]
    data = {"csrf_token": token, "asked": asked, "messaging.whatsapp": "permitted"}
    permitted = me.client.post("/section/messaging_video/applies", data=data).get_json()["previews"]
    data["messaging.whatsapp"] = "not_allowed"
    not_allowed = me.client.post("/section/messaging_video/applies", data=data).get_json()["previews"]
    # The answer given is the one marked in its preview.
    assert permitted["messaging.whatsapp"] != not_allowed["messaging.whatsapp"]
    made = kept.made
    data["messaging.whatsapp"] = "permitted"
    assert me.client.post("/section/messaging_video/applies", data=data).get_json()["previews"] == permitted
    assert kept.made == made


def test_an_answer_changed_on_the_page_is_in_the_draft_before_the_page_is_sent(me, profiles):
    """Issue 17: "Nothing is lost" holds for an answer given but not yet sent with Save and continue."""
    start_new(me)
    me.section("organisation", ORGANISATION)
    draft = profiles / "drafts" / "testshire.yaml"
    token = me.csrf()
    data = {"csrf_token": token, "asked": ["document.owner"], "document.owner": "Head of Practice"}
    assert me.client.post("/section/document/applies", data=data).status_code == 200
    assert yaml.safe_load(draft.read_text(encoding="utf-8"))["document"]["owner"] == "Head of Practice"
    # Answers left as offered are not answered for the person: only what they changed.
    assert "review_months" not in (yaml.safe_load(draft.read_text(encoding="utf-8"))["document"] or {})
    me.get("/")
    assert "they are saved as a draft on this computer as you answer" in me.text()
    assert "are lost" not in me.text()


def test_the_gap_panel_follows_each_section(me):
    start_new(me)
    assert "Gaps appear here after each section" in me.text()
    me.section("organisation", ORGANISATION)
    me.section(
        "document",
        {
            "document.owner": "PSW",
            "document.approved_by": "",
            # The 2.0.0 approval questions answered, so the approver is the one gap this section leaves.
            "document.equality_assessment": "yes",
            "document.staff_consulted": "yes",
        },
    )
    panel = me.text()[me.text().index("Gaps so far") :]
    assert "Your answers to “The policy document” leave 1 gap open, marked New." in panel
    assert "No approver is recorded" in panel
    me.get("/section/document")
    me.section("document", {"document.approved_by": "The Board"})
    panel = me.text()[me.text().index("Gaps so far") :]
    assert "leave no new gaps" in panel and "who approved it" not in panel


def test_answers_carry_across_pages_and_back(me):
    start_new(me)
    me.section("organisation", ORGANISATION)
    me.get("/section/organisation")
    assert 'value="Testshire County Council"' in me.page
    assert re.search(r'value="adults"\s+checked', me.page)
    assert "Previous section" not in me.page and "Start page" in me.page
    me.get("/section/document")
    assert 'form="section-form" name="action" value="previous">Previous section</button>' in me.page


def test_review_lists_every_answer_with_change_links_and_refuses_to_build_while_one_is_missing(me):
    start_new(me)
    me.get("/review")
    assert h1(me.page) == "Check your answers"
    assert "Not answered yet" in me.text()
    assert "questions still need an answer" in me.text()
    assert 'href="/section/organisation?from=review#organisation-name"' in me.page
    me.submit("/build")
    assert me.status == 400
    summary = error_summary(me.page)
    assert ("answer-organisation-name", "Answer “What is the full legal name of your organisation?”") in summary
    assert all(f'id="{anchor}"' in me.page for anchor, _ in summary)


def test_changing_an_answer_from_review_goes_back_to_review(me):
    answer_everything(me)
    me.get("/section/out_of_hours?from=review")
    assert "Back to your answers" in me.text()
    # "Back to your answers" takes what was typed on the page with it.
    me.section(
        "out_of_hours", {"out_of_hours.emergency_route": "the Duty Team on 0300 000 0001"}, button="back_to_review"
    )
    assert me.url == "/review" and "the Duty Team on 0300 000 0001" in me.text()
    me.get("/section/out_of_hours?from=review")
    me.section("out_of_hours", {"out_of_hours.emergency_route": "the Emergency Duty Team on 0300 123 4567"})
    assert me.url == "/review"
    assert "the Emergency Duty Team on 0300 123 4567" in me.text()


# --- building and downloading ---------------------------------------------------------------------------


def test_a_new_policy_is_saved_by_slug_built_and_downloaded(me, profiles, library):
    answer_everything(me, {"messaging.whatsapp": "permitted"})
    assert "Yes, for any work conversation, including assessments, plans and concerns" in me.text()
    me.submit("/build")
    assert me.url == "/finish" and me.status == 200
    assert h1(me.page) == "Your draft policy is ready"  # nobody has approved it yet
    # Nobody approved it yet: it is a draft and says why, never "ready to send for approval" (issue 17).
    assert "Ready to send for approval" not in me.text()
    assert "Draft: not yet approved." in me.text() or "Draft: " in me.text()
    saved = profiles / "testshire.yaml"
    assert sorted(p.name for p in profiles.iterdir()) == ["testshire.yaml"], "only the profile, only here"
    answers = load_profile(saved, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert answers.values["messaging.whatsapp"] == "permitted"
    assert "written by the policy-builder browser wizard" in saved.read_text(encoding="utf-8")
    for title in (
        "The policy, in Word",
        "The practice guide, in Word",
        "The sources annex, in Word",
        "The gap report, in Word",
        "The staff summary, in Word",
        "Your answers (the profile)",
    ):
        assert title in me.text()
    # The leaflet's reading level in words, not a formula's name.
    assert re.search(r"The leaflet for people who use services is [a-z ]+ \(a reading age of about \d+\)", me.text())
    assert "Flesch" not in me.text() and "grade" not in me.text()
    assert "Update Field" not in me.text()  # the Word contents need no reader to update them
    links = re.findall(r'href="(/download/[^"]+)"', me.page)
    names = [link.rsplit("/", 1)[1] for link in links]
    assert names == [
        "testshire-social-media-policy.docx",
        "testshire-social-media-policy.md",
        "testshire-practice-guide.docx",
        "testshire-practice-guide.md",
        "testshire-sources-annex.docx",
        "testshire-sources-annex.md",
        "testshire-gap-report.docx",
        "testshire-gap-report.md",
        "testshire-staff-summary.docx",
        "testshire-staff-summary.md",
        "testshire-leaflet.docx",
        "testshire-leaflet.md",
        "testshire.yaml",
    ]
    response = me.client.get("/download/testshire-social-media-policy.docx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Testshire County Council" in text
    report = me.client.get("/download/testshire-gap-report.md").get_data(as_text=True)
    assert "Testshire" in report
    gap_word = Document(io.BytesIO(me.client.get("/download/testshire-gap-report.docx").data))
    first_heading = report.splitlines()[0].lstrip("# ").strip()
    assert first_heading in "\n".join(p.text for p in gap_word.paragraphs), "the same report, in Word"
    profile = me.client.get("/download/testshire.yaml").get_data(as_text=True)
    assert yaml.safe_load(profile)["organisation"]["name"] == "Testshire County Council"
    leaflet = Document(io.BytesIO(me.client.get("/download/testshire-leaflet.docx").data))
    assert leaflet.paragraphs, "the leaflet is a real Word file"


def test_downloads_are_only_this_browsers_built_files(me, app):
    assert me.client.get("/download/testshire.yaml").status_code == 409
    start_new(me)
    for name in ("testshire.yaml", "..%2F..%2Fetc%2Fpasswd", "../README.md"):
        response = me.client.get(f"/download/{name}")
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)
    me.get("/finish")
    assert me.url == "/review", "nothing built yet: back to the answers"


def test_a_name_already_taken_is_never_overwritten(me, profiles):
    taken = profiles / "testshire.yaml"
    taken.write_text("# someone else's\nschema: 1\n", encoding="utf-8")
    answer_everything(me)
    assert "profiles/testshire-2.yaml" in me.text().replace(os.sep, "/")
    me.submit("/build")
    assert me.url == "/finish"
    assert taken.read_text(encoding="utf-8") == "# someone else's\nschema: 1\n"
    assert (profiles / "testshire-2.yaml").is_file()
    assert "testshire.yaml already exists, so your answers are saved as" in me.text()
    assert "Answers saved as" in me.text() and "testshire-2.yaml" in me.text()


def test_the_word_template_is_checked_as_soon_as_it_is_given(me, profiles):
    answer_everything(me)
    (profiles / "notes.txt").write_text("not Word", encoding="utf-8")
    (profiles / "broken.docx").write_bytes(b"not a zip file")
    shutil.copy(ROOT / "templates" / "reference.docx", profiles / "house-style.docx")
    for typed, message in (
        ("house-style.dotx", "There is no file at 'house-style.dotx'"),
        ("notes.txt", "'notes.txt' is not a Word file"),
        ("broken.docx", "'broken.docx' cannot be used as the Word template"),
    ):
        me.get("/section/document?from=review")
        me.section("document", {"document.reference_docx": typed})
        assert me.status == 400 and me.url == "/section/document", typed
        summary = dict(error_summary(me.page))
        assert summary["document-reference-docx"].startswith(message), summary
        assert "profiles folder" in summary["document-reference-docx"]
        assert f'value="{typed}"' in me.page, "what was typed stays, to correct"
        assert "Traceback" not in me.page
    me.section("document", {"document.reference_docx": "house-style.docx"})
    assert me.url == "/review"
    me.submit("/build")
    assert me.url == "/finish", me.text()[:300]
    assert (
        yaml.safe_load((profiles / "testshire.yaml").read_text(encoding="utf-8"))["document"]["reference_docx"]
        == "house-style.docx"
    )


def send_with_file(me: Visitor, action: str, field: str, content: bytes, name: str) -> None:
    """Send the form as shown, with a file chosen in its file field (as a browser sends it: multipart)."""
    form = Form(me.page, action)
    data: dict[str, Any] = {}
    for key, value in form.fields:
        data.setdefault(key, []).append(value)
    data[field] = (io.BytesIO(content), name)
    data["action"] = "continue"
    response = me.client.post(action, data=data, content_type="multipart/form-data", follow_redirects=True)
    me._seen(response)


def test_the_word_template_can_be_chosen_from_the_computer(me, profiles):
    answer_everything(me)
    me.get("/section/document?from=review")
    assert 'enctype="multipart/form-data"' in me.page and 'name="template_file"' in me.page
    send_with_file(me, "/section/document", "template_file", b"not a zip", "Our Letterhead.dotx")
    assert me.status == 400
    summary = dict(error_summary(me.page))
    assert summary["document-reference-docx"].startswith("'Our Letterhead.dotx' cannot be used as the Word template")
    assert "template-" not in summary["document-reference-docx"], "the person's file name, not our copy"
    assert not (profiles / "templates").exists(), "a file that fails the check is not kept"
    send_with_file(me, "/section/document", "template_file", b"%PDF-1.4", "letterhead.pdf")
    assert "'letterhead.pdf' is not a Word file" in dict(error_summary(me.page))["document-reference-docx"]
    template = (ROOT / "templates" / "reference.docx").read_bytes()
    send_with_file(me, "/section/document", "template_file", template, "Our Letterhead.docx")
    assert me.url == "/review", error_summary(me.page)
    assert (profiles / "templates" / "Our_Letterhead.docx").read_bytes() == template
    assert "Your Word template Our Letterhead.docx is kept as" in me.text()
    me.submit("/build")
    assert me.url == "/finish"
    saved = yaml.safe_load((profiles / "testshire.yaml").read_text(encoding="utf-8"))
    assert saved["document"]["reference_docx"] == "templates/Our_Letterhead.docx"


def finish_downloads(me: Visitor) -> dict[str, bytes]:
    """Every file the finish page offers, fetched by its link: name -> content."""
    assert me.url == "/finish"
    links = re.findall(r'href="(/download/[^"]+)"', me.page)
    assert len(links) == 13 and "Your answers (the profile)" in me.text()
    files = {}
    for link in links:
        response = me.client.get(link)
        assert response.status_code == 200, (link, response.status_code)
        assert "attachment" in response.headers["Content-Disposition"]
        files[link.rsplit("/", 1)[1]] = response.data
        assert response.data, link
    return files


@pytest.mark.parametrize("folder", [None, "answers", "absolute"])
def test_every_download_on_the_finish_page_works_with_default_and_custom_profiles(
    library, tmp_path, monkeypatch, folder
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the folder a manager starts policy-builder in; the package is elsewhere
    if folder is None:
        app = create_app(library, build_date=BUILD_DATE, temp_root=tmp_path / "drafts")  # serve's default
        saved = work / "profiles"
    elif folder == "answers":
        app = create_app(library, "answers", build_date=BUILD_DATE, temp_root=tmp_path / "drafts")
        saved = work / "answers"
    else:
        saved = tmp_path / "elsewhere"
        app = create_app(library, saved, build_date=BUILD_DATE, temp_root=tmp_path / "drafts")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    shared_page_templates(app)
    me = Visitor(app)
    me.get("/")
    answer_everything(me)
    me.submit("/build")
    files = finish_downloads(me)
    assert yaml.safe_load(files["testshire.yaml"])["organisation"]["name"] == "Testshire County Council"
    assert files["testshire.yaml"] == (saved / "testshire.yaml").read_bytes()
    for name, content in files.items():
        if name.endswith(".docx"):
            assert Document(io.BytesIO(content)).paragraphs, name
    assert sorted(p.name for p in saved.iterdir()) == ["testshire.yaml"], "no draft is left once the policy is built"


# --- nothing typed is lost ---------------------------------------------------------------------------------


def test_a_bad_date_keeps_everything_else_typed_on_the_page_going_back_or_forward(me):
    start_new(me)
    me.section("organisation", ORGANISATION)
    typed = {
        "document.owner": "Head of Quality",
        "document.approved_by": "Corporate Policy Board",
        "document.version": "3.1",
        **date_fields("31", "2", "2027"),
    }
    me.section("document", typed)
    assert me.status == 400
    # "Previous section" sends the page too: nothing typed is lost by going back.
    me.section("document", button="previous")
    assert me.url == "/section/organisation"
    me.get("/section/document")
    for qid in ("document.owner", "document.approved_by", "document.version"):
        assert f'value="{typed[qid]}"' in me.page, qid
    for part, value in (("day", "31"), ("month", "2"), ("year", "2027")):
        assert re.search(rf'name="document.effective_date-{part}" value="{value}"', me.page), "the date as typed"
    assert "Check this answer" in me.text()
    # Going back before any error: the page's answers go back too.
    me.section("document", {"document.owner": "Head of Service", **date_fields("", "", "")}, button="previous")
    assert me.url == "/section/organisation"
    me.get("/section/document")
    assert 'value="Head of Service"' in me.page and 'value="Corporate Policy Board"' in me.page
    me.section("document", date_fields("1", "4", "2027"))
    assert me.url == "/section/accounts_devices"
    assert "Check this answer" not in me.text()


# --- drafts --------------------------------------------------------------------------------------------------


def test_every_section_is_saved_as_a_draft_that_survives_a_restart(library, me, profiles, tmp_path):
    start_new(me)
    me.section("organisation", ORGANISATION)
    draft = profiles / "drafts" / "testshire.yaml"
    assert draft.is_file(), "saved as soon as the section is answered"
    text = draft.read_text(encoding="utf-8")
    assert text.startswith("# policy-builder draft: unfinished answers, saved ")
    assert yaml.safe_load(text)["organisation"]["name"] == "Testshire County Council"
    me.section("document", {"document.owner": "Principal Social Worker"})
    assert yaml.safe_load(draft.read_text(encoding="utf-8"))["document"]["owner"] == "Principal Social Worker"
    assert not list(profiles.glob("*.yaml")), "no finished profile yet"

    # policy-builder is restarted: a new app, a browser with no answers in memory.
    again = shared_page_templates(create_app(library, profiles, build_date=BUILD_DATE, temp_root=tmp_path / "drafts-2"))
    later = Visitor(again)
    later.get("/")
    assert "Carry on with unfinished answers" in later.text()
    # When, in words a manager uses (issue 17), never "2026-12-02 03:21".
    assert "Testshire County Council Saved today at " in later.text()
    later.submit("/start/draft")
    assert later.url == "/section/accounts_devices", "opens where the answers stopped"
    assert "Your answers saved today at " in later.text()
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", later.text())
    while later.url.startswith("/section/"):
        later.section(later.url.rsplit("/", 1)[1])
    later.submit("/build")
    assert later.url == "/finish"
    saved = load_profile(profiles / "testshire.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert saved.values["document.owner"] == "Principal Social Worker"
    assert sorted(p.name for p in profiles.iterdir()) == ["testshire.yaml"], "the draft went once the policy was built"
    assert "policy-builder draft" not in (profiles / "testshire.yaml").read_text(encoding="utf-8")


def test_a_draft_of_a_saved_profile_never_touches_the_profile_until_it_is_built(me, profiles, library):
    path = profiles / "eastbrook.yaml"
    original = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    me.get("/")
    me.submit("/start/choose", {"profile": "eastbrook.yaml"})
    me.get("/section/messaging_video?from=review")
    me.section("messaging_video", {"messaging.whatsapp": "permitted", "messaging.apps": ["whatsapp"]})
    assert path.read_text(encoding="utf-8") == original
    draft = profiles / "drafts" / "eastbrook.yaml"
    assert "# policy-builder draft of: eastbrook.yaml" in draft.read_text(encoding="utf-8")
    assert "# Example profile: an English London borough" in draft.read_text(encoding="utf-8")
    other = Visitor(me.client.application)  # another browser, later
    other.get("/")
    assert "Changes to eastbrook.yaml, saved" in other.text()
    other.submit("/start/draft")
    assert other.url == "/review", "changes to a profile open on the review page, as the profile does"
    assert "Permitted" in other.text() or "any work purpose" in other.text()
    other.submit("/build")
    assert other.url == "/finish", error_summary(other.page) or other.text()[:400]
    assert "whatsapp: permitted" in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith("# Example profile: an English London borough")
    assert not draft.exists()


def test_a_second_tab_never_overwrites_the_first_tabs_answers(me, profiles):
    start_new(me)
    me.section("organisation", ORGANISATION)
    assert me.url == "/section/document"
    first_tab = me.page
    second = Visitor(me.client.application)
    second.client = me.client  # the same browser: the same cookie
    second.get("/")
    second.submit("/start/new")
    second.section(
        "organisation",
        {**ORGANISATION, "organisation.name": "Otherford Council", "organisation.short_name": "Otherford"},
    )
    second.section("document", {"document.owner": "Otherford PSW"})
    # Back in the first tab, its page still open: its answers go to its own draft, and it says so.
    me.page = first_tab
    me.section("document", {"document.owner": "Testshire PSW"})
    assert me.url == "/section/accounts_devices"
    assert "You were working on other answers (for Otherford Council) in another tab" in me.text()
    testshire = yaml.safe_load((profiles / "drafts" / "testshire.yaml").read_text(encoding="utf-8"))
    otherford = yaml.safe_load((profiles / "drafts" / "otherford.yaml").read_text(encoding="utf-8"))
    assert testshire["organisation"]["name"] == "Testshire County Council"
    assert testshire["document"]["owner"] == "Testshire PSW"
    assert otherford["organisation"]["name"] == "Otherford Council"
    assert otherford["document"]["owner"] == "Otherford PSW"


def test_save_and_finish_later_then_carry_on(me, profiles, app):
    start_new(me)
    me.section("organisation", ORGANISATION)
    me.section("document", {"document.owner": ""}, button="save_later")
    assert me.url == "/saved"
    assert h1(me.page) == "Your answers are saved"
    assert not list(profiles.glob("*.yaml")), "a draft, never an unfinished profile among the finished ones"
    draft = profiles / "drafts" / "testshire.yaml"
    assert draft.is_file()
    assert "question" in me.text() and "still to answer" in me.text()
    assert "Carry on with unfinished answers" in me.text()
    # Later, in another browser: the start page offers the draft; it opens where the answers stop.
    later = Visitor(app)
    later.get("/")
    later.submit("/start/draft", {"draft_file": "testshire.yaml"})
    assert later.url == "/section/document", "carry on where the answers stop"
    later.section("document", {"document.owner": "PSW"})
    assert later.url == "/section/accounts_devices"


# --- saved and uploaded profiles ------------------------------------------------------------------------


def test_choosing_a_saved_profile_edits_it_in_place_keeping_its_comments(me, profiles, library):
    path = profiles / "eastbrook.yaml"
    path.write_text((PROFILES / "example-council.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    me.get("/")
    me.submit("/start/choose", {"profile": "eastbrook.yaml"})
    assert me.url == "/review"
    assert "Loaded eastbrook.yaml: " in me.text()
    me.get("/section/messaging_video?from=review")
    me.section("messaging_video", {"messaging.whatsapp": "permitted"})
    assert me.url == "/review"
    me.submit("/build")
    assert me.url == "/finish"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Example profile: an English London borough")
    assert "whatsapp: permitted" in text
    assert sorted(p.name for p in profiles.iterdir()) == ["eastbrook.yaml"]


def test_only_a_listed_profile_can_be_chosen(me, profiles, tmp_path):
    (tmp_path / "secret.yaml").write_text("schema: 1\n", encoding="utf-8")
    (profiles / "mine.yaml").write_text((PROFILES / "example-council.yaml").read_text(), encoding="utf-8")
    me.get("/")
    for name in ("../secret.yaml", str(tmp_path / "secret.yaml"), "", "mine"):
        me.submit("/start/choose", {"profile": name})
        assert me.status == 400
        assert error_summary(me.page) == [("profile-choice", "Select one of the saved profiles")]


def test_a_broken_saved_profile_is_explained_on_the_start_page(me, profiles):
    (profiles / "broken.yaml").write_text("schema: 1\norganisation: [oops\n", encoding="utf-8")
    me.get("/")
    me.submit("/start/choose", {"profile": "broken.yaml"})
    assert me.status == 400
    message = error_summary(me.page)[0][1]
    assert message.startswith("broken.yaml, line ") and "YAML syntax error" in message
    assert "Traceback" not in me.page


def upload(me: Visitor, name: str, content: bytes):
    me.get("/")
    data = {"csrf_token": me.csrf(), "profile_file": (io.BytesIO(content), name)}
    response = me.client.post("/start/upload", data=data, content_type="multipart/form-data", follow_redirects=True)
    me._seen(response)
    return response


def test_an_uploaded_profile_opens_and_is_saved_into_the_profiles_folder(me, profiles, tmp_path):
    content = (PROFILES / "example-council.yaml").read_bytes()
    upload(me, "from-a-colleague.yaml", content)
    assert me.url == "/review"
    assert "Loaded from-a-colleague.yaml: " in me.text()
    me.submit("/build")
    assert me.url == "/finish"
    assert sorted(p.name for p in profiles.iterdir()) == ["eastbrook-council.yaml"]
    saved = (profiles / "eastbrook-council.yaml").read_text(encoding="utf-8")
    assert saved.startswith("# Example profile"), "the upload's comments are kept"


def test_an_uploaded_profile_with_old_keys_says_what_will_be_left_out(me):
    text = (PROFILES / "example-council.yaml").read_text(encoding="utf-8") + "\nmessaging_extra:\n  colour: blue\n"
    upload(me, "old.yaml", text.encode("utf-8"))
    assert me.url == "/review"
    assert "old.yaml:" in me.text() and "'messaging_extra' is not a question in the questionnaire" in me.text()
    assert "Old.yaml" not in me.text(), "the file name as written"
    assert "uploaded-" not in me.text(), "the person's file name, not our temporary copy"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("council.yaml", b"schema: 1\norganisation:\n  name: [unclosed\n", "council.yaml, line 4: YAML syntax error"),
        ("council.yaml", b"", "council.yaml: The profile is empty"),
        ("council.yaml", b"\x00\x01\x02binary", "council.yaml: Is a binary file, not YAML text"),
        ("council.yaml", b"schema: 7\n", "council.yaml, line 1: Schema: 7 is not supported"),
        (
            "policy.docx",
            b"PK\x03\x04",
            "'policy.docx' is not a profile: choose a file whose name ends in .yaml or .yml",
        ),
        ("", b"", "Choose a profile file to upload"),
    ],
)
def test_a_bad_upload_is_explained_in_plain_english(me, profiles, name, content, message):
    upload(me, name, content)
    assert me.status == 400
    summary = error_summary(me.page)
    assert summary[0][0] == "profile-file"
    assert summary[0][1].lower().startswith(message.lower()), summary
    assert "Traceback" not in me.page
    assert list(profiles.iterdir()) == []


def test_a_bad_upload_keeps_the_answers_in_progress(me, tmp_path):
    start_new(me)
    me.section("organisation", ORGANISATION)
    upload(me, "council.yaml", b"schema: [")
    assert me.status == 400
    assert "Testshire County Council" in me.text(), "the start page still offers the answers in progress"
    me.get("/section/organisation")
    assert 'value="Testshire County Council"' in me.page
    assert len(list((tmp_path / "drafts").iterdir())) == 1, "the upload's temporary copy is gone"


def test_an_upload_over_the_size_limit_is_refused(me, profiles):
    response = upload(me, "big.yaml", b"# " + b"x" * MAX_UPLOAD_BYTES + b"\nschema: 1\n")
    assert response.status_code == 413
    assert "The file is too big" in me.text() and "256 KB" in me.text()
    assert list(profiles.iterdir()) == []


# --- safety on a shared machine ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "192.168.1.5:8765", "127.0.0.1.evil.example"])
def test_requests_for_another_host_are_refused(app, host):
    response = app.test_client().get("/", headers={"Host": host})
    assert response.status_code == 403
    assert "This address is not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "localhost", "LOCALHOST:1"])
def test_requests_for_this_machine_are_answered(app, host):
    assert app.test_client().get("/", headers={"Host": host}).status_code == 200


def test_with_an_access_key_only_a_browser_that_was_given_it_gets_in(library, profiles, tmp_path):
    app = create_app(library, profiles, build_date=BUILD_DATE, temp_root=tmp_path / "drafts", access_key="s3cret-key")
    stranger = app.test_client()
    for url in ("/", "/?key=wrong", "/section/organisation", "/review"):
        response = stranger.get(url)
        assert response.status_code == 403
        assert "Open the address policy-builder printed" in response.get_data(as_text=True)
    assert stranger.get("/static/style.css").status_code == 200, "the refusal page keeps its style"
    assert 'href="/"' not in stranger.get("/").get_data(as_text=True), "no start link that is refused again"
    owner = Visitor(app)
    owner.get("/?key=s3cret-key")
    assert owner.status == 200 and h1(owner.page) == "Write your social media policy"
    owner.get("/")
    assert owner.status == 200, "the browser keeps its access for the rest of the run"
    start_new(owner)
    assert owner.url == "/section/organisation"


def test_a_form_without_the_csrf_token_changes_nothing(me, profiles):
    start_new(me)
    token = me.csrf()
    response = me.client.post("/start/new", data={}, follow_redirects=True)
    assert response.status_code == 400
    assert "This page was out of date" in response.get_data(as_text=True)
    me.section("organisation", {**ORGANISATION, "csrf_token": "forged"}, button="save_later")
    assert me.status == 400
    assert list(profiles.iterdir()) == []
    other = Visitor(me.client.application)
    other.get("/")
    response = other.client.post("/section/organisation", data={"csrf_token": token})
    assert response.status_code == 400, "another browser's token does not work here"


def test_pages_carry_headers_that_keep_answers_private(me):
    response = me.client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers.get("Set-Cookie", "") or me.client.get_cookie("policy_builder_session")
    assert cookie
    assert me.client.get("/static/style.css").headers.get("Cache-Control") != "no-store"


def test_pages_without_answers_in_progress_say_so(app):
    client = app.test_client()
    for url in ("/section/organisation", "/review", "/finish", "/saved"):
        response = client.get(url)
        assert response.status_code == 409
        assert "There are no answers in progress" in response.get_data(as_text=True)


def test_unknown_pages_and_sections_are_plain_404_pages(me):
    start_new(me)
    for url in ("/nowhere", "/section/no_such_section"):
        response = me.client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)
    assert me.client.get("/build").status_code == 405


def test_an_unexpected_failure_is_a_friendly_page_not_a_traceback(me, monkeypatch, caplog):
    from policy_builder.interview.session import Interview

    start_new(me)

    def broken(self, reached):
        raise RuntimeError("boom")

    monkeypatch.setattr(Interview, "gaps_so_far", broken)
    response = me.client.get("/section/organisation")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "Your answers so far are kept" in page
    assert "boom" not in page and "Traceback" not in page
    assert "boom" in caplog.text, "the details go to the terminal"


def test_drafts_live_in_private_temporary_folders(me, tmp_path):
    start_new(me)
    folders = list((tmp_path / "drafts").iterdir())
    assert len(folders) == 1
    assert folders[0].stat().st_mode & 0o077 == 0


# --- the command ----------------------------------------------------------------------------------------------


def test_serve_prints_its_address_answers_and_stops_cleanly_on_ctrl_c(tmp_path):
    process = start_serve(tmp_path)
    try:
        first = process.stdout.readline()
        match = re.match(r"policy-builder is running at (http://127\.0\.0\.1:(\d+)/)\?key=([\w-]{20,})$", first.strip())
        assert match, first
        assert process.stdout.readline().strip() == "Profiles are saved in answers/. Press Ctrl-C here to stop."
        with urllib.request.urlopen(first.split(" at ")[1].strip(), timeout=10) as response:
            assert "Write your social media policy" in response.read().decode("utf-8")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(match.group(1), timeout=10)  # without the key: another user of this computer
        assert refused.value.code == 403
        assert "Open the address policy-builder printed" in refused.value.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()  # Ctrl-C did not stop it: the assertions below say so, and no server is left running
            out, err = process.communicate()
    assert process.returncode == 0, err
    assert "Stopped." in out
    assert "Traceback" not in err and err == ""
    assert not (tmp_path / "answers").exists(), "nothing is written before answers are saved"


def test_serve_on_a_port_in_use_falls_back_to_a_free_one_at_once(app):
    import socket

    from policy_builder.web.serve import make_server as _make_server

    said: list[str] = []
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        server = _make_server(app, port, said.append)
        try:
            assert server.port != port and server.port > 0
        finally:
            server.server_close()
    assert said == [f"Port {port} is in use (Address already in use), so policy-builder uses a free one."]


def test_a_restart_gets_the_same_port_back_straight_away(app):
    import socket
    import threading

    from policy_builder.web.serve import make_server as _make_server

    first = _make_server(app, 0)
    port = first.port
    thread = threading.Thread(target=first.serve_forever, daemon=True)
    thread.start()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET /static/style.css HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        reply = b""
        while chunk := client.recv(65536):  # read to the end: the server closes first, so its side lingers
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
    first.shutdown()
    thread.join(5)
    first.server_close()
    second = _make_server(app, port, lambda line: pytest.fail(f"fell back: {line}"))
    try:
        assert second.port == port
    finally:
        second.server_close()


def test_serve_help_lists_its_options():
    from click.testing import CliRunner

    from policy_builder.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--no-browser", "--profiles"):
        assert option in result.output


def test_the_cli_does_not_import_flask_until_serve_runs():
    code = "import sys, policy_builder.cli; assert 'flask' not in sys.modules, 'flask imported at start'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_reading_level_in_words():
    from policy_builder.web.pages import reading_in_words

    assert reading_in_words(4.2) == "easy to read for most adults (a reading age of about 9)"
    assert reading_in_words(7.4) == "fairly easy to read for most adults (a reading age of about 12)"
    assert reading_in_words(10.0) == "needs a confident reader (a reading age of about 15)"
    assert reading_in_words(14.0) == "hard to read for many adults (a reading age of about 19)"


def test_managers_never_see_a_question_id(me, library):
    """Every page a manager reads, from the first section to the finish page, names questions in words."""
    ids = set(library.questionnaire.questions)
    seen: list[tuple[str, str]] = []

    def look() -> None:
        text = me.text()
        seen.extend((me.url, qid) for qid in ids if re.search(rf"(?<![\w.]){re.escape(qid)}(?![\w.])", text))

    answer_everything(me)
    look()
    me.get("/review")
    look()
    for section in library.questionnaire.sections:
        me.get(f"/section/{section.id}")
        look()
    me.get("/review")
    me.submit("/build")
    assert me.url == "/finish"
    look()
    assert seen == []


def test_an_uploaded_answer_that_will_not_do_is_explained_with_the_options_labels(me, library):
    content = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")
    bad = re.sub(r"(?m)^(\s+whatsapp:) \S+$", r"\1 sometimes", content, count=1)
    assert bad != content
    upload(me, "from-a-colleague.yaml", bad.encode())
    text = me.text()
    labels = library.questionnaire.questions["messaging.whatsapp"].choices
    assert (
        "from-a-colleague.yaml:40: the answer 'sometimes' to “May staff use WhatsApp or similar messaging apps "
        "with people who use services?” is not one of the options. Choose one of: "
    ) in text
    assert all(choice.label in text for choice in labels)
    assert "messaging.whatsapp" not in text and "not_allowed" not in text


def test_the_start_page_says_how_long_and_what_to_have_to_hand(me, library):
    from policy_builder.interview.session import new_policy_length

    length = new_policy_length(library)
    me.get("/")
    text = me.text()
    low, high = length.minutes
    # Counted as the terminal and the review count (count_questions): what applies now, up to what can.
    assert f"There are {length.questions} questions in {length.sections} sections, up to {length.most} " in text
    assert f"about {low} to {high} minutes (about a minute for every 3 or 4 questions)" in text
    assert "It helps to have these to hand before you start:" in text
    for qid in ("messaging.record_system", "out_of_hours.emergency_route", "contacts.information_governance"):
        assert library.questionnaire.questions[qid].prompt in text
    assert "11 short sections" not in text


def test_no_question_rule_or_guidance_id_on_any_page_a_manager_reads(me, profiles, library):
    """Issue 17: each page of the wizard, its gap panels, the finish page and the gap report speak in words."""
    (profiles / "cwm.yaml").write_text((PROFILES / "small-charity-wales.yaml").read_text(), encoding="utf-8")
    me.get("/")
    me.submit("/start/choose", {"profile": "cwm.yaml"})
    ids = [*library.questionnaire.questions, *(rule.id for rule in library.gap_rules), *library.items]
    pages = {}
    for section in library.questionnaire.sections:
        me.get(f"/section/{section.id}?from=review")
        pages[section.id] = me.text()
    me.get("/review")
    pages["review"] = me.text()
    me.submit("/build")
    assert me.url == "/finish", error_summary(me.page) or me.text()[:400]
    pages["finish"] = me.text()
    assert "Questions to revisit: How do messages reach the case record?" in pages["review"]
    # The finish page's count agrees with the gap report's: findings, and points still to decide.
    still = re.search(
        r"(\d+) gaps? open.*?(\d+) of them stand only because a question is not answered yet", pages["finish"]
    )
    assert still, pages["finish"][:600]
    report = re.search(r'href="(/download/[^"]+-gap-report)\.md"', me.page)
    assert report, "the finish page offers the gap report"
    pages["gap report"] = me.client.get(report.group(1) + ".md").get_data(as_text=True)
    gap_word = Document(io.BytesIO(me.client.get(report.group(1) + ".docx").data))
    pages["gap report in Word"] = "\n".join(p.text for p in gap_word.paragraphs)
    assert "15 gaps found in the answers given" in pages["gap report"]
    # The finish page's counts agree with the report: findings plus points still to decide.
    still_section = pages["gap report"].split("## Still to decide", 1)[1].split("\n## ", 1)[0]
    open_points = len(re.findall(r"^### ", still_section, flags=re.M))
    assert (int(still.group(1)), int(still.group(2))) == (15 + open_points, open_points), still.group(0)
    assert "### 4.5 How do messages reach the case record?" in pages["gap report"]
    for page, text in pages.items():
        shown = [identifier for identifier in ids if identifier in text.replace("\\", "")]
        assert shown == [], (page, shown)


def test_a_yes_or_no_question_left_unticked_must_be_answered(me):
    """Issue 17: "Do you host social work students on placement?" left blank went "Done", shown as (blank)."""
    answer_everything_before(me, "training_students")
    me.section("training_students", {"training.induction": "yes"}, undecided=None)
    assert me.status == 400
    summary = dict(error_summary(me.page))
    assert summary["students-placements"] == "Choose Yes or No: “Do you host social work students on placement?”"
    assert re.search(
        r'name="training.induction"[^>]*value="yes"[^>]*checked|value="yes"[^>]*name="training.induction"[^>]*checked',
        me.page,
    ), "the page's other answers are kept"
    me.section("training_students", {"students.placements": "no"})
    assert me.status == 200 and me.url != "/section/training_students"


def test_the_finish_page_says_why_a_draft_is_a_draft(me):
    from policy_builder.content.models import DraftStatus, OpenQuestion
    from policy_builder.web.pages import draft_note

    assert draft_note(DraftStatus()) is None, "approved and complete: no draft note"
    note = draft_note(
        DraftStatus(
            unapproved=True,
            open_questions=(
                OpenQuestion(id="students.placements", prompt="Do you host social work students on placement?"),
            ),
        )
    )
    assert (
        note["summary"]
        == "Draft: 1 question still to decide, listed in the gap report and below, and not yet approved."
    )
    assert note["questions"] == ["Do you host social work students on placement?"]
    assert "students.placements" not in note["summary"] + note["advice"]
    only = draft_note(DraftStatus(unapproved=True))
    assert only["summary"] == "Draft: not yet approved." and "approved" in only["advice"]


def test_a_list_in_a_preview_is_shown_as_lines(me):
    """Issue 17: bullet lists ran together on one line ("• religious belief • political opinion • …")."""
    start_new(me)
    previews = re.findall(r'(?s)<p class="preview-passage">(.*?)</p>', me.page)
    assert any("<br>• " in p for p in previews)
    assert not any(re.search(r"[^>\s] ?• ", p) for p in previews), "a list item never follows text on its line"


def test_a_template_whose_name_is_taken_by_a_folder_is_kept_beside_it_not_a_500(me, profiles):
    """Fresh-eyes F18: a folder (or link) of the same name in profiles/templates is passed over."""
    answer_everything(me)
    me.get("/section/document?from=review")
    (profiles / "templates" / "Our_Letterhead.docx").mkdir(parents=True)
    template = (ROOT / "templates" / "reference.docx").read_bytes()
    send_with_file(me, "/section/document", "template_file", template, "Our Letterhead.docx")
    assert me.url == "/review", error_summary(me.page)
    assert (profiles / "templates" / "Our_Letterhead-2.docx").read_bytes() == template


def test_a_dangling_link_where_the_profile_would_go_is_passed_over_like_a_taken_name(me, profiles, tmp_path):
    """Fresh-eyes F19: a link to nowhere named like the profile is another file's name, not 'outside profiles'."""
    (profiles / "testshire.yaml").symlink_to(tmp_path / "nowhere.yaml")
    answer_everything(me)
    me.submit("/build")
    assert me.url == "/finish", me.text()
    assert (profiles / "testshire-2.yaml").is_file()
    assert not (tmp_path / "nowhere.yaml").exists(), "nothing written through the link"


def test_the_server_warms_up_so_its_first_build_checks_the_template_and_reads_the_wording_no_more(
    me, library, monkeypatch
):
    """serve starts warm_up as it starts listening: the first build then finds the Word template checked and the
    staff card's and leaflet's wording read, as every later build does (issue 20)."""
    from policy_builder.render import summary
    from policy_builder.render.docx import template
    from policy_builder.web.serve import warm_up

    for cached in (template._prepared, summary._load_summary, summary._load_leaflet):
        cached.cache_clear()
    warm_up(library)
    checked = []
    real = template.sanitise
    monkeypatch.setattr(template, "sanitise", lambda data, name: checked.append(name) or real(data, name))
    read = []
    monkeypatch.setattr(summary, "load_checked", lambda *args, **kwargs: read.append(args) or None)
    answer_everything(me)
    me.submit("/build")
    assert me.url == "/finish", me.text()[:300]
    assert "The leaflet for people who use services is" in me.text()
    assert checked == [] and read == [], "done once, at start"
