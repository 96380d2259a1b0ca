"""Answers read from an employer's current policy (issue 19, deliver 2 and 6): the inference rules,
`audit FILE --profile-out`, `wizard --from-policy` and the browser's "Start from our current policy"."""

from __future__ import annotations

import html
import importlib.util
import io
import re
import sys
import textwrap
from dataclasses import dataclass

import pytest
import yaml
from click.testing import CliRunner
from conftest import BUILD_DATE, ROOT, copy_library, one_error, run

from policy_builder.audit.draft import starting_answers
from policy_builder.audit.infer import infer, infer_answers, load_answer_rules
from policy_builder.audit.read import read_passages
from policy_builder.cli import CliContext, main
from policy_builder.core.errors import LibraryError
from policy_builder.pipeline.profile import load_profile
from policy_builder.pipeline.profile_edit import read_draft
from policy_builder.web import create_app

CORPUS = ROOT / "tests" / "audit"
WALTHAM_FOREST = CORPUS / "documents" / "waltham-forest.txt"


@dataclass(frozen=True)
class Passage:
    text: str
    heading: str = ""
    where: str = "paragraph 1"
    index: int = 0


def answers_of(library, *texts: str, heading: str = "") -> dict[str, object]:
    passages = [Passage(text, heading, f"paragraph {n}", n) for n, text in enumerate(texts, start=1)]
    return {a.question_id: a.value for a in infer_answers(passages, library.questionnaire)}


# --- what the text settles ----------------------------------------------------------------------------


def test_waltham_forest_protocol_infers_its_stance_each_with_its_passage(library):
    inferred = {a.question_id: a for a in infer_answers(read_passages(WALTHAM_FOREST), library.questionnaire)}
    expected = {
        "messaging.whatsapp": "keep_in_touch",
        "accounts.dedicated": "with_manager_approval",
        "surveillance.authorisation_process": True,
        "surveillance.viewing": "with_authorisation",
        "messaging.record_system": "Mosaic",
        "messaging.record_method": "screenshot",
        "organisation.type": "local_authority",
    }
    assert {qid: inferred[qid].value for qid in expected if qid in inferred} == expected
    whatsapp = inferred["messaging.whatsapp"]
    assert "'keep in touch' conversations and not assessment style conversations" in whatsapp.quote
    assert whatsapp.where.startswith("'The use of social media & information governance procedures'")
    assert "in agreement with your manager" in inferred["accounts.dedicated"].quote
    assert "non- RIPA authorisation" in inferred["surveillance.authorisation_process"].quote
    assert "RIPA" in inferred["surveillance.process_name"].value
    assert "stored in Mosaic" in inferred["messaging.record_system"].quote, "a long sentence is quoted around the match"
    assert all(0 < a.confidence <= 1 for a in inferred.values())
    # What the protocol does not say is left for the manager, not guessed from the defaults.
    assert not {"out_of_hours.contact", "organisation.nation", "devices.work_phones"} & set(inferred)


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("Staff must not use WhatsApp to contact people who use our services.", "not_allowed"),
        ("Do not use WhatsApp or other messaging apps with families.", "not_allowed"),
        ("WhatsApp may be used only to arrange visits and appointments.", "keep_in_touch"),
        ("Staff may use WhatsApp for any work conversation, including assessments.", "permitted"),
        # "not" that limits the use does not forbid the app.
        ("WhatsApp can only be used for keeping in touch and not for assessments.", "keep_in_touch"),
        # A rule about personal phones is not a rule about the app.
        ("Staff must not use WhatsApp on their personal phones.", None),
    ],
)
def test_negation_and_modality_decide_the_messaging_answer(library, sentence, value):
    assert answers_of(library, sentence).get("messaging.whatsapp") == value


def test_a_dont_list_forbids_without_the_word_not(library):
    inferred = answers_of(library, "Use WhatsApp to message children and families.", heading="Inappropriate")
    assert inferred.get("messaging.whatsapp") == "not_allowed"


def test_conflicting_sentences_leave_the_question_unanswered_and_say_so(library):
    passages = [
        Passage("Staff may use WhatsApp for any work conversation, including assessments.", where="section 3.1"),
        Passage("Staff must not use WhatsApp with people who use services.", where="section 7.4"),
    ]
    result = infer(passages, library.questionnaire)
    assert "messaging.whatsapp" not in {a.question_id for a in result.answers}
    (conflict,) = [c for c in result.conflicts if c.question_id == "messaging.whatsapp"]
    assert {value for value, _, _ in conflict.quotes} == {"permitted", "not_allowed"}
    assert {where for _, _, where in conflict.quotes} == {"section 3.1", "section 7.4"}


def test_a_wish_list_settles_nothing(library):
    texts = ["What should be in place?", "The policy is part of the induction process for new staff."]
    assert "training.induction" not in answers_of(library, *texts)
    assert answers_of(library, texts[1]).get("training.induction") is True


def test_names_are_read_from_the_text(library):
    inferred = answers_of(
        library,
        "Northmoor Borough Council recognises that social media is part of everyday life.",
        "Messages must be saved to the case record on Liquidlogic the same day.",
        "Out of hours, people should call the Emergency Duty Team on 0300 123 4567.",
        "A breach of this policy may be dealt with under the Council's Disciplinary Procedure.",
    )
    assert inferred["organisation.name"] == "Northmoor Borough Council"
    assert inferred["messaging.record_system"] == "Liquidlogic"
    assert inferred["out_of_hours.emergency_route"] == "the Emergency Duty Team on 0300 123 4567"
    assert inferred["staff.code_of_conduct"] == "the Council's Disciplinary Procedure"


# --- the rules file people maintain ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  messaging.whatsapp:\n",
            "  messaging.whatsap:\n",
            "'messaging.whatsap' is not a question in the questionnaire",
        ),
        ("      - value: keep_in_touch\n", "      - value: keep_in_tuch\n", "'keep_in_tuch' is not one of"),
        ("        sense: forbids\n", "        sense: forbid\n", "sense: 'forbid' is not one of allows, forbids, any"),
        ("    about: '\\bwhats", "    about: '(\\bwhats", "about: not a valid regular expression"),
    ],
)
def test_a_mistake_in_the_rules_names_the_file_line_and_question(library, tmp_path, old, new, message):
    folder = copy_library(tmp_path / "clauses", "05-boundaries.yaml")
    rules = folder / "audit-answers.yaml"
    text = rules.read_text(encoding="utf-8")
    assert old in text
    rules.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        load_answer_rules(library.questionnaire, rules)
    said = str(caught.value)
    assert re.match(rf"{re.escape(str(rules))}:\d+: ", said), said
    assert message in said


def test_every_rule_in_the_bundled_file_loads(library):
    rules = load_answer_rules(library.questionnaire)
    assert len(rules.questions) >= 20, "the questions a policy text can settle"


# --- audit FILE --profile-out --------------------------------------------------------------------------


def test_profile_out_writes_a_profile_with_each_answer_s_quote_above_it(library, tmp_path):
    out = tmp_path / "draft.yaml"
    result = run("audit", WALTHAM_FOREST, "--profile-out", out, library=library)
    assert result.exit_code == 0, result.output
    assert re.search(r"^\d+ answers taken from waltham-forest\.txt\.$", result.output, re.M)
    assert "Still to answer before it builds:\n" in result.output
    assert "  - In which UK nation do your social workers practise?\n" in result.output
    assert f"wizard --profile {out}" in " ".join(result.output.split())
    text = out.read_text(encoding="utf-8")
    # The comment just above the answer: where, how sure, and the passage.
    block = text.split("  whatsapp: keep_in_touch")[0].rsplit("messaging:\n", 1)[1]
    assert block.startswith("  # From your policy, 'The use of social media & information governance procedures'")
    assert "(confidence 0." in block and "keep in" in block and "assessment style conversations" in block
    assert all(line.startswith("  #") for line in block.splitlines())
    data = yaml.safe_load(text)
    assert data["messaging"]["whatsapp"] == "keep_in_touch"
    assert data["accounts"]["dedicated"] == "with_manager_approval"
    assert data["surveillance"]["authorisation_process"] is True
    assert "nation" not in data["organisation"], "left unanswered: the text does not say"
    # The wizard opens it as it opens any unfinished profile.
    draft = read_draft(out, library.questionnaire)
    assert draft.given["messaging.whatsapp"] == "keep_in_touch"


def test_a_draft_from_a_policy_that_settles_the_required_answers_loads_for_a_build(library, tmp_path):
    policy = tmp_path / "policy.md"
    policy.write_text(
        textwrap.dedent(
            """\
            # Northmoor Borough Council: Social Media Policy

            Document owner: Principal Social Worker

            This policy applies to all staff working in children's social care.

            Registered social workers must meet the Social Work England professional standards online.

            WhatsApp may be used only to arrange visits and appointments, never for assessments.
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "northmoor.yaml"
    result = run("audit", policy, "--profile-out", out, library=library)
    assert result.exit_code == 0, result.output
    assert "Still to answer" not in result.output
    answers = load_profile(out, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert answers.values["organisation.name"] == "Northmoor Borough Council"
    assert answers.values["organisation.nation"] == "england"
    assert answers.values["organisation.services"] == ["children"]
    assert answers.values["document.owner"] == "Principal Social Worker"
    assert answers.values["messaging.whatsapp"] == "keep_in_touch"


def test_profile_out_refuses_to_overwrite_without_force(library, tmp_path):
    out = tmp_path / "draft.yaml"
    out.write_text("schema: 1\n# checked by hand\n", encoding="utf-8")
    error = one_error(run("audit", WALTHAM_FOREST, "--profile-out", out, library=library))
    assert error == f"Error: {out} already exists; add --force to replace it, or choose another name"
    assert out.read_text(encoding="utf-8") == "schema: 1\n# checked by hand\n", "nothing written"
    result = run("audit", WALTHAM_FOREST, "--profile-out", out, "--force", library=library)
    assert result.exit_code == 0, result.output
    assert "checked by hand" not in out.read_text(encoding="utf-8"), "replaced, not merged"
    assert not list(tmp_path.glob(".draft.yaml.*")), "written atomically: no temporary file left"


def test_a_policy_that_cannot_be_read_is_one_line(library, tmp_path):
    scan = tmp_path / "policy.rtf"
    scan.write_text("{\\rtf1 ...}", encoding="utf-8")
    error = one_error(run("audit", scan, "--profile-out", tmp_path / "d.yaml", library=library))
    assert "policy.rtf" in error and ".docx" in error
    assert not (tmp_path / "d.yaml").exists()


# --- wizard --from-policy ------------------------------------------------------------------------------------


def test_wizard_from_policy_offers_each_answer_with_its_quote(library, tmp_path):
    save = tmp_path / "wf.yaml"
    typed = {
        "organisation.name": "London Borough of Waltham Forest",
        "organisation.nation": "1",
        "organisation.services": "1,2",
        "document.owner": "Principal Social Worker",
    }
    lines = [typed.get(qid, "") for qid in library.questionnaire.questions] + [""] * 40
    result = CliRunner().invoke(
        main,
        ["wizard", "--from-policy", str(WALTHAM_FOREST), "--save", str(save), "--profiles", str(tmp_path)],
        input="\n".join(lines) + "\n",
        obj=CliContext(loaded=library),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output[-2000:]
    flat = " ".join(result.output.split())
    assert re.search(r"\d+ answers taken from your current policy \(waltham-forest\.txt\); check each", flat)
    # The quote under the messaging question, as its reason, and the answer offered as the default.
    question = flat.split(library.questionnaire.questions["messaging.whatsapp"].prompt, 1)[1]
    assert question.startswith(
        " Keeping in touch means arranging visits and checking someone is safe; it never includes assessment "
        "conversations. From your current policy, 'The use of social media & information governance procedures', "
        'paragraph 1: "Social media (for example: WhatsApp) can only be used'
    )
    assert "Yes, but only to keep in touch (your answer)" in question.split("Number")[0]
    saved = yaml.safe_load(save.read_text(encoding="utf-8"))
    assert saved["messaging"]["whatsapp"] == "keep_in_touch"
    assert saved["messaging"]["record_system"] == "Mosaic"
    assert saved["organisation"]["type"] == "local_authority"


def test_wizard_from_policy_with_an_unreadable_file_is_one_line(library, tmp_path):
    error = one_error(run("wizard", "--from-policy", tmp_path / "missing.docx", library=library))
    assert "missing.docx" in error


def test_wizard_from_policy_and_profile_together_is_a_usage_error(library, tmp_path):
    result = run("wizard", "--from-policy", WALTHAM_FOREST, "--profile", tmp_path / "p.yaml", library=library)
    assert result.exit_code == 2
    assert "--from-policy starts a new profile" in result.output


# --- the browser ----------------------------------------------------------------------------------------------


@pytest.fixture
def browser(library, tmp_path):
    app = create_app(
        library,
        tmp_path / "profiles",
        build_date=BUILD_DATE,
        temp_root=tmp_path / "temp",
        read_policy=lambda path, name: starting_answers(library, path, source=name),  # as `serve` passes it
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, token


def upload_policy(client, token, name: str, content: bytes):
    data = {"csrf_token": token, "policy_file": (io.BytesIO(content), name)}
    return client.post("/start/from-policy", data=data, content_type="multipart/form-data", follow_redirects=True)


def text_of(response) -> str:

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_start_page_offers_start_from_our_current_policy(browser, library, tmp_path):
    client, _ = browser
    page = text_of(client.get("/"))
    assert "Start from our current policy" in page and "Upload your current social media policy" in page
    # Without a reader (an app made without the audit), the page does not offer what it cannot do.
    bare = create_app(library, tmp_path / "p2", build_date=BUILD_DATE, temp_root=tmp_path / "t2").test_client()
    assert "Start from our current policy" not in text_of(bare.get("/"))


def test_uploading_the_current_policy_fills_the_answers_and_shows_each_quote(browser, tmp_path):
    client, token = browser
    response = upload_policy(client, token, "Our protocol.txt", WALTHAM_FOREST.read_bytes())
    assert response.status_code == 200 and response.request.path == "/section/organisation"
    page = text_of(response)
    assert re.search(r"\d+ answers taken from your current policy \(Our protocol\.txt\); check each", page)
    messaging = client.get("/section/messaging_video")
    html_page = messaging.get_data(as_text=True)
    assert 'id="messaging-whatsapp-reason"' in html_page or "-reason" in html_page
    text = text_of(messaging)
    assert "Taken from your current policy , 'The use of social media" in text or (
        "Taken from your current policy" in text and "'keep in touch' conversations" in text
    )
    checked = re.search(r'<input[^>]*value="keep_in_touch"[^>]*>', html_page).group()
    assert "checked" in checked, "the answer read from the policy is the one chosen"
    assert not list((tmp_path / "temp").glob("policy-*")), "the uploaded policy is not kept"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("policy.rtf", b"{\\rtf1}", "'policy.rtf' cannot be read: choose a Word (.docx), PDF (.pdf), Markdown"),
        ("policy.docx", b"not a zip", "policy.docx"),
        ("policy.txt", b"", "policy.txt"),
    ],
)
def test_a_policy_upload_that_cannot_be_read_is_explained_on_the_start_page(browser, name, content, message):
    client, token = browser
    response = upload_policy(client, token, name, content)
    assert response.status_code == 400
    summary = re.search(r'(?s)<div class="error-summary".*?</ul>', response.get_data(as_text=True)).group()
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", summary)).split())
    assert said.startswith("There is a problem " + message), said
    assert "Traceback" not in said and "/" not in said.replace("(.docx)", ""), "no temporary path, no traceback"


def test_a_policy_upload_without_the_csrf_token_is_refused(browser):
    client, _ = browser
    response = upload_policy(client, "forged", "policy.txt", WALTHAM_FOREST.read_bytes())
    assert response.status_code == 400
    assert "This page was out of date" in text_of(response)


# --- measured against the labelled set ---------------------------------------------------------------------


def _benchmark():
    spec = importlib.util.spec_from_file_location("audit_answers", ROOT / "benchmarks" / "audit_answers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_inferred_answers_are_rarely_wrong_against_the_labelled_set(capsys):
    benchmark = _benchmark()
    scores = benchmark.score_all()
    assert len(scores) >= 2, "the labelled set has documents with answers: labels"
    correct = sum(len(s.correct) for s in scores)
    wrong = sum(len(s.wrong) for s in scores)
    missed = sum(len(s.missed) for s in scores)
    with capsys.disabled():
        print(f"\ninferred answers: {correct} correct, {wrong} wrong, {missed} missed over {len(scores)} documents")
    assert correct / (correct + wrong) >= 0.9, [(s.name, s.wrong) for s in scores]
    assert correct / (correct + missed) >= 0.6, [(s.name, s.missed) for s in scores]


def test_the_prefilter_never_passes_over_a_sentence_the_pattern_matches(library):
    from policy_builder.audit.infer import literal_prefixes, sentences

    rules = load_answer_rules(library.questionnaire)
    texts = [
        s for path in sorted((CORPUS / "documents").iterdir()) for p in read_passages(path) for s in sentences(p.text)
    ]
    checked = 0
    for question_rules in rules.questions:
        if question_rules.prefixes is None:
            continue
        for sentence in texts:
            if question_rules.about.search(sentence):
                checked += 1
                assert question_rules.prefixes.search(sentence.casefold()), (question_rules.question.id, sentence)
    assert checked > 100
    assert literal_prefixes(re.compile(r"\b(whats\s?app|signal)\b", re.I)).pattern == "signal|whats", "longest first"
    assert literal_prefixes(re.compile(r"[a-z]+ing")) is None, "a character class first: no prefilter"


def test_profile_out_with_json_keeps_the_json_alone_on_stdout(library, tmp_path):
    import json

    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(
        main, ["audit", str(WALTHAM_FOREST), "--json", "--profile-out", str(out)], obj=CliContext(loaded=library)
    )
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # the findings, nothing else
    assert "answers taken from waltham-forest.txt" in result.stderr
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["messaging"]["whatsapp"] == "keep_in_touch"
