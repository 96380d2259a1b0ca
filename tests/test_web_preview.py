"""The browser wizard's "What this puts in the policy" beside each question, through Flask's test client."""

from __future__ import annotations

import re
import time

from conftest import BUILD_DATE, PROFILES, base_profile, with_answers
from test_web import Visitor, page_text

from policy_builder.interview.preview import plain_text
from policy_builder.pipeline.assemble import build_policy
from policy_builder.web import create_app


def preview_block(page: str, qid: str) -> str:
    match = re.search(
        rf'(?s)<details class="details details--preview" data-preview="{re.escape(qid)}">.*?</details>', page
    )
    assert match, f"no preview for {qid}"
    return match.group()


def by_choice(block: str) -> dict[str, str]:
    """The preview's text under each choice's label."""
    parts = re.findall(
        r'(?s)<div class="preview-choice">\s*<p class="preview-label"><strong>(.*?)</strong>(.*?)</div>', block
    )
    return {page_text(label): page_text(body) for label, body in parts}


def clause_words(library, answers_for, clause_id: str, **answers) -> str:
    policy = build_policy(library, answers_for(with_answers(base_profile(), **answers)))
    return plain_text(next(c for s in policy.sections for c in s.clauses if c.id == clause_id).text)


def test_the_preview_shows_the_clause_each_choice_brings_in(library, tmp_path, answers_for):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "eastbrook.yaml").write_text((PROFILES / "example-council.yaml").read_text(), encoding="utf-8")
    app = create_app(library, profiles, build_date=BUILD_DATE, temp_root=tmp_path / "drafts")
    me = Visitor(app)
    me.get("/")
    me.submit("/start/choose", {"profile": "eastbrook.yaml"})
    start = time.perf_counter()
    me.get("/section/messaging_video")
    took = time.perf_counter() - start
    assert me.status == 200
    block = preview_block(me.page, "messaging.whatsapp")
    assert "What this puts in the policy" in block
    choices = by_choice(block)
    labels = [c.label for c in library.questionnaire.questions["messaging.whatsapp"].choices]
    assert list(choices) == labels
    assert len(set(choices.values())) == 3, "each choice shows different wording"
    never, keep, anything = (choices[label] for label in labels)
    # The wording comes from the library: the clause as the built policy words it, under the choice that brings it in.
    permitted = clause_words(library, answers_for, "messaging.permitted", messaging__whatsapp="permitted")
    assert permitted[:120] in anything and permitted[:120] not in keep and permitted[:120] not in never
    banned = clause_words(library, answers_for, "messaging.not-allowed", messaging__whatsapp="not_allowed")
    assert banned[:120] in never and banned[:120] not in anything
    assert "(your answer now)" in keep  # the example council keeps in touch only
    assert "**" not in block and "{{" not in block
    # A question answered in words shows the sentence with the answer given.
    route = page_text(preview_block(me.page, "messaging.record_system"))
    assert "Mosaic" in route
    assert took < 10  # measured in the report: a fraction of a second on an idle machine


def test_a_new_policy_shows_previews_on_every_page_with_a_placeholder_for_words(library, tmp_path):
    app = create_app(library, tmp_path / "profiles", build_date=BUILD_DATE, temp_root=tmp_path / "drafts")
    me = Visitor(app)
    me.get("/")
    me.submit("/start/new")
    for section in library.questionnaire.sections:
        me.get(f"/section/{section.id}")
        assert me.status == 200
    me.get("/section/out_of_hours")
    route = page_text(preview_block(me.page, "out_of_hours.emergency_route"))
    assert "[your answer]" in route and "until you give one" in route
    contact = by_choice(preview_block(me.page, "out_of_hours.contact"))
    assert len(contact) == 3 and len(set(contact.values())) == 3


def test_the_previews_follow_the_answers_on_the_page_before_they_are_saved(library, tmp_path):
    """wizard.js asks /applies as answers change: the previews come back worded for the page's answers."""
    from test_web import ORGANISATION, Form

    app = create_app(library, tmp_path / "profiles", build_date=BUILD_DATE, temp_root=tmp_path / "drafts")
    me = Visitor(app)
    me.get("/")
    me.submit("/start/new")
    me.section("organisation", ORGANISATION)
    me.get("/section/messaging_video")
    data: dict[str, list[str]] = {}
    for name, value in Form(me.page, "/section/messaging_video").fields:
        data.setdefault(name, []).append(value)
    data["asked"] = [*data["asked"], "messaging.apps"]
    data["messaging.whatsapp"] = ["keep_in_touch"]
    data["messaging.apps"] = ["whatsapp", "signal"]
    reply = me.client.post("/section/messaging_video/applies", data=data).get_json()
    whatsapp = by_choice(reply["previews"]["messaging.whatsapp"])
    assert "(your answer now)" in whatsapp["Yes, but only to keep in touch"]
    # The apps typed on the page name themselves in the sentence the follow-up brings in.
    apps = by_choice(reply["previews"]["messaging.apps"])
    assert "WhatsApp and Signal" in apps["Signal"] and "(your answer now)" in apps["Signal"]
    # The record system typed, not yet saved, is in its sentence.
    data["messaging.record_system"] = ["CareFirst"]
    reply = me.client.post("/section/messaging_video/applies", data=data).get_json()
    assert "CareFirst" in page_text(reply["previews"]["messaging.record_system"])
