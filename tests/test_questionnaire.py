import re

import pytest
from conftest import ROOT

from policy_builder.content.questionnaire import AnswerError, cast_answer, review_date


def profile_v1_ids() -> list[str]:
    text = (ROOT / "docs" / "profile-v1.md").read_text(encoding="utf-8")
    return re.findall(r"^\| ([a-z_]+\.[a-z_]+) \|", text, flags=re.M)


def test_every_question_of_profile_v1_is_in_the_questionnaire(library):
    ids = profile_v1_ids()
    assert len(ids) == 60
    assert sorted(ids) == sorted(library.questionnaire.questions)


def test_every_question_has_help_a_section_and_known_sources(library):
    for question in library.questionnaire.questions.values():
        assert question.help and len(question.help) < 200, question.id
        assert all(source in library.items for source in question.sources), question.id


def test_choices_have_plain_english_labels(library):
    whatsapp = library.questionnaire.questions["messaging.whatsapp"]
    assert whatsapp.choice_values == ["not_allowed", "keep_in_touch", "permitted"]
    assert whatsapp.label_of("keep_in_touch") == "Yes, but only to keep in touch"


@pytest.mark.parametrize(
    ("qid", "value", "message"),
    [
        ("messaging.whatsapp", "sometimes", "'sometimes' is not one of not_allowed, keep_in_touch, permitted"),
        ("messaging.apps", "whatsapp", "expected a list such as [whatsapp], got the text 'whatsapp'"),
        ("messaging.apps", ["whatsapp", "myspace"], "'myspace' is not one of"),
        ("messaging.apps", [], "choose at least one of"),
        ("messaging.auto_delete", "yes please", "'yes please' is not true or false"),
        ("document.review_months", 48, "48 is not a whole number from 1 to 36"),
        ("document.effective_date", "1/12/2026", "'1/12/2026' is not a date written YYYY-MM-DD"),
        ("organisation.name", None, "an answer is required"),
    ],
)
def test_bad_answers_say_what_is_allowed(library, qid, value, message):
    with pytest.raises(AnswerError) as info:
        cast_answer(library.questionnaire.questions[qid], value)
    assert message in str(info.value)


def test_review_date_adds_months_and_clamps_the_day():
    import datetime as dt

    values = {"document.effective_date": dt.date(2026, 1, 31), "document.review_months": 1}
    assert review_date(values, dt.date(2026, 1, 1)) == dt.date(2026, 2, 28)
    values = {"document.effective_date": dt.date(2026, 12, 1), "document.review_months": 12}
    assert review_date(values, dt.date(2026, 1, 1)) == dt.date(2027, 12, 1)


def test_conditions_checked_in_one_context_answer_as_each_checked_alone(library):
    """Conditions (one Jinja context for many `when`s) must agree with evaluating each on its own, for every
    `when` in the library and every bundled profile, and fail the same way on a condition that cannot be worked out."""
    from jinja2 import TemplateError

    from policy_builder.content.questionnaire import build_context, evaluate
    from policy_builder.core.templating import Conditions
    from policy_builder.pipeline.profile import load_profile

    expressions = {c.when for c in library.clauses if c.when} | {s.when for s in library.sections if s.when}
    expressions |= {q.when for q in library.questionnaire.questions.values() if q.when}
    expressions |= {r.when for r in library.gap_rules if r.when}
    seen = set()
    for path in sorted((ROOT / "profiles").glob("*.yaml")):
        answers = load_profile(path, library.questionnaire, library.nations)
        context = build_context(library.questionnaire, answers.values, library.nations, answers.build_date)
        checks = Conditions(context)
        alone = {e: evaluate(e, context) for e in sorted(expressions)}
        assert {e: evaluate(e, checks) for e in sorted(expressions)} == alone, path.name
        seen |= set(alone.values())
    assert seen == {True, False}
    checks = Conditions({"organisation": {"staff": 3}})
    for broken in ("organisation.staff / 0 > 1", "organisation.missing == 1", "organisation.staff < 'a'"):
        with pytest.raises(TemplateError) as alone:
            evaluate(broken, {"organisation": {"staff": 3}})
        with pytest.raises(TemplateError) as together:
            evaluate(broken, checks)
        assert str(together.value) == str(alone.value)
