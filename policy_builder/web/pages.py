"""The wizard's pages: a Flask blueprint, one route per step (start, sections, review, build, finish).

Pages are rendered on the server and work without JavaScript; a little script
shows follow-up questions as soon as an answer brings them into play. The
questionnaire logic (what applies, reading answers, gaps, saving) is
``interview.session.Interview``'s, shared with the terminal wizard; this module
only turns it into pages. Each browser's answers are in ``web/drafts.py``; the
checks every request passes first are in ``web/security.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from werkzeug.utils import secure_filename

from policy_builder.build import FORMATS  # every format: the staff summary and the leaflet too
from policy_builder.content.library import Library
from policy_builder.content.models import GapWarning, Question
from policy_builder.core.errors import PolicyBuilderError, ProfileError, display_path
from policy_builder.interview.preview import preview_section
from policy_builder.interview.session import (
    SEVERITIES,
    Interview,
    Length,
    PolicyReader,
    SectionForm,
    count_gaps,
    count_questions,
    form_value,
    new_policy_length,
    program,
    when_saved,
)
from policy_builder.render.plain import reading_in_words
from policy_builder.web import drafts
from policy_builder.web.drafts import Draft
from policy_builder.web.security import TooSlow, time_limit

MAX_UPLOAD_BYTES = 256 * 1024  # a profile is a few KB
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024  # a Word template with logos and fonts can be a few MB
MAX_POLICY_BYTES = 20 * 1024 * 1024  # an employer's current policy, as Word or PDF: the audit reader's own limit
POLICY_SUFFIXES = (".docx", ".md", ".markdown", ".txt", ".pdf")  # what the audit reader reads
UPLOAD_SECONDS = 20  # reading an uploaded profile takes well under a second; past this it is stopped
BUILD_SECONDS = 180  # a build takes a few seconds (a minute on a slow, busy machine); past this it is stopped
TEMPLATE_FIELD = "document.reference_docx"

# The files offered on the finish page, in this order (what each is, in a manager's words, is in finish.html).
DOWNLOADS = (
    "docx",
    "md",
    "guide-docx",
    "guide-md",
    "annex-docx",
    "annex-md",
    "gaps-docx",
    "gaps",
    "summary-docx",
    "summary-md",
    "leaflet-docx",
    "leaflet-md",
)

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

bp = Blueprint("wizard", __name__)


@dataclass
class Wizard:
    """What every page needs: the library, where profiles are saved, and what is counted once at start."""

    library: Library
    profiles: Path  # absolute: send_file would read a relative path inside the package folder
    build_date: dt.date | None = None
    sections: list[str] = field(default_factory=list)
    length: Length | None = None  # said on the start page: counted once, from the questionnaire
    profile_names: ProfileNames = field(default_factory=lambda: ProfileNames())
    # The audit's reader, from the command line: with it the start page offers "Start from our current policy".
    read_policy: PolicyReader | None = None

    def __post_init__(self) -> None:
        self.sections = [s.id for s in self.library.questionnaire.sections]
        self.length = new_policy_length(self.library)


class ProfileNames:
    """The organisation each saved profile is for, read again only when the file changes (path, mtime, size).

    The start page lists every profile in the folder: parsing them all on each
    load took 1.6 s at 100 profiles (issue 18).
    """

    def __init__(self) -> None:
        self._known: dict[Path, tuple[tuple[int, int], str | None]] = {}
        self._lock = threading.Lock()

    def listing(self, folder: Path) -> list[tuple[Path, str | None]]:
        """(profile, organisation or None) for each profile in ``folder``, by file name."""
        from policy_builder.pipeline import profile_edit

        listed = []
        with self._lock:
            known = dict(self._known)
        for path in _profile_files(folder):
            try:
                info = path.stat()
            except OSError:
                continue  # removed while listing
            stamp = (info.st_mtime_ns, info.st_size)
            if path not in known or known[path][0] != stamp:
                known[path] = (stamp, profile_edit.organisation_name(path))
            listed.append((path, known[path][1]))
        with self._lock:
            self._known = {path: known[path] for path, _ in listed}  # files gone from the folder are forgotten
        return listed


def wizard() -> Wizard:
    state: Wizard = current_app.extensions["policy_builder"]
    return state


def _build_date() -> dt.date:
    return wizard().build_date or dt.date.today()


def _draft_files() -> list[Any]:
    from policy_builder.pipeline.profile_edit import drafts_folder, list_drafts

    return list_drafts(drafts_folder(wizard().profiles))


# --- start ---------------------------------------------------------------------------------
@bp.get("/")
def start() -> str:
    return _start_page()


def _start_page(errors: list[tuple[str, str]] | None = None, status: int = 200) -> Any:

    draft = drafts.current()
    return (
        render_template(
            "start.html",
            draft=draft,
            draft_name=(draft.interview.answers.get("organisation.name") if draft else None),
            resume=_resume_url(draft) if draft else None,
            profiles=wizard().profile_names.listing(wizard().profiles),
            waiting=[
                {
                    "name": info.path.name,
                    "organisation": info.organisation,
                    "saved": when_saved(info.saved),
                    "of": info.of.name if info.of is not None and info.of.is_file() else None,
                }
                for info in _draft_files()
            ],
            profiles_dir=display_path(wizard().profiles),
            errors=errors or [],
            max_kb=MAX_UPLOAD_BYTES // 1024,
            max_policy_mb=MAX_POLICY_BYTES // (1024 * 1024),
            from_policy=wizard().read_policy is not None,
            length=wizard().length,
        ),
        status,
    )


def _resume_url(draft: Draft) -> str:
    for section_id in wizard().sections:
        if section_id not in draft.reached or draft.interview.unanswered(section_id):
            return url_for("wizard.section", section_id=section_id)
    return url_for("wizard.review")


@bp.post("/start/new")
def start_new() -> Any:
    draft = drafts.new(Interview(wizard().library, build_date=_build_date()))
    draft.origin = "new"
    return redirect(url_for("wizard.section", section_id=wizard().sections[0]))


@bp.post("/start/draft")
def start_draft() -> Any:
    """Carry on with answers saved as a draft (by this server or an earlier run)."""
    name = request.form.get("draft_file", "")
    files = {info.path.name: info for info in _draft_files()}
    if name not in files:  # only a draft the start page listed
        return _start_page([("draft-choice", "Select one of the unfinished sets of answers")], 400)
    info = files[name]
    sid = session.get("sid")
    open_already = drafts.store().with_file(sid, info.path) if sid else None
    if open_already is not None:
        session["draft"] = open_already.token
        return redirect(_resume_url(open_already))
    try:
        with time_limit(current_app.config["UPLOAD_SECONDS"]):  # a huge profile must not hold the thread
            interview = Interview.from_profile(wizard().library, info.path, build_date=_build_date())
    except ProfileError as exc:
        return _start_page([("draft-choice", _plain_error(exc, info.path, name))], 400)
    draft = drafts.new(interview)
    draft.file = info.path
    of = info.of
    if of is not None and of.is_file() and of.resolve().parent == wizard().profiles.resolve():
        # Changes to a saved profile: open on the review page, as the profile itself does.
        draft.origin, draft.target, draft.based_on = "chosen", of, of
        draft.reached = set(wizard().sections)
        draft.notices.append(f"Your changes to {of.name}, saved {when_saved(info.saved)}, are back.")
        return redirect(url_for("wizard.review"))
    # A new policy: sections before the first one with a question still to answer count as done.
    for section_id in wizard().sections:
        if interview.unanswered(section_id):
            break
        draft.reached.add(section_id)
    draft.notices.append(f"Your answers saved {when_saved(info.saved)} are back: carry on where you stopped.")
    return redirect(_resume_url(draft))


@bp.post("/start/choose")
def start_choose() -> Any:
    name = request.form.get("profile", "")
    files = {p.name: p for p in _profile_files(wizard().profiles)}
    if name not in files:  # only a file the start page listed: nothing else on disk can be named
        return _start_page([("profile-choice", "Select one of the saved profiles")], 400)
    path = files[name]
    try:
        with time_limit(current_app.config["UPLOAD_SECONDS"]):  # a huge profile must not hold the thread
            interview = Interview.from_profile(wizard().library, path, build_date=_build_date())
    except ProfileError as exc:
        return _start_page([("profile-choice", _plain_error(exc, path, name))], 400)
    draft = drafts.new(interview)
    draft.origin, draft.target, draft.based_on = "chosen", path, path
    return _after_loading(draft, path.name)


@bp.post("/start/upload")
def start_upload() -> Any:
    upload = request.files.get("profile_file")
    if upload is None or not upload.filename:
        return _start_page([("profile-file", "Choose a profile file to upload")], 400)
    original = Path(upload.filename).name
    if not original.lower().endswith((".yaml", ".yml")):
        return _start_page(
            [("profile-file", f"'{original}' is not a profile: choose a file whose name ends in .yaml or .yml")],
            400,
        )
    # Read in a folder of its own first: a bad upload must not wipe the answers this browser has in progress.
    staging = drafts.store().folder("upload-")
    path = staging / (secure_filename(original) or "profile.yaml")
    try:
        upload.save(path)
        if path.stat().st_size > MAX_UPLOAD_BYTES:  # the request may be bigger (for Word templates)
            shutil.rmtree(staging, ignore_errors=True)
            abort(413)
        with time_limit(current_app.config["UPLOAD_SECONDS"]):
            interview = Interview.from_profile(wizard().library, path, build_date=_build_date())
    except ProfileError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return _start_page([("profile-file", _plain_error(exc, path, original))], 400)
    except TooSlow:
        shutil.rmtree(staging, ignore_errors=True)
        seconds = current_app.config["UPLOAD_SECONDS"]
        message = (
            f"Reading {original} took longer than {_seconds(seconds)}, so it was stopped. A profile of answers "
            "is a few KB: check that this is the right file"
        )
        return _start_page([("profile-file", message)], 503)
    draft = drafts.new(interview)
    kept = draft.folder / path.name  # kept for its comments and layout when the profile is saved
    shutil.move(path, kept)
    shutil.rmtree(staging, ignore_errors=True)
    # Messages name the file as the person knows it, not our temporary copy.
    interview.flags = [
        dataclasses.replace(flag, message=flag.message.replace(display_path(path), original))
        for flag in interview.flags
    ]
    draft.origin, draft.based_on = "uploaded", kept
    return _after_loading(draft, original)


@bp.post("/start/from-policy")
def start_from_policy() -> Any:
    """Start a new policy from the answers the employer's current policy settles, each with its quote."""
    read_policy = wizard().read_policy
    if read_policy is None:
        abort(404)
    upload = request.files.get("policy_file")
    if upload is None or not upload.filename:
        return _start_page([("policy-file", "Choose your current policy to upload")], 400)
    original = Path(upload.filename).name
    suffix = Path(original).suffix.lower()
    if suffix not in POLICY_SUFFIXES:
        message = f"'{original}' cannot be read: choose a Word (.docx), PDF (.pdf), Markdown (.md) or text (.txt) file"
        return _start_page([("policy-file", message)], 400)
    data = upload.read(MAX_POLICY_BYTES + 1)
    if len(data) > MAX_POLICY_BYTES:
        mb = MAX_POLICY_BYTES // (1024 * 1024)
        return _start_page([("policy-file", f"'{original}' is bigger than {mb} MB: choose the policy itself")], 400)
    # Read in a folder of its own, removed at once: the policy is read, never kept.
    staging = drafts.store().folder("policy-")
    path = staging / ((secure_filename(Path(original).stem) or "policy") + suffix)
    try:
        path.write_bytes(data)
        with time_limit(current_app.config["UPLOAD_SECONDS"]):
            starting = read_policy(path, original)
    except PolicyBuilderError as exc:
        message = str(exc).replace(str(path), original).replace(display_path(path), original)
        return _start_page([("policy-file", message)], 400)
    except TooSlow:
        seconds = current_app.config["UPLOAD_SECONDS"]
        message = f"Reading {original} took longer than {_seconds(seconds)}, so it was stopped"
        return _start_page([("policy-file", message)], 503)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    interview = Interview(wizard().library, build_date=_build_date())
    starting.start(interview)
    draft = drafts.new(interview)
    draft.origin = "new"  # every section in turn: each answer taken from the policy is checked
    draft.notices.extend(starting.notices)
    return redirect(url_for("wizard.section", section_id=wizard().sections[0]))


def _after_loading(draft: Draft, name: str) -> Any:
    """A loaded profile opens on the review page: every answer at a glance, each one a click from changing."""
    interview = draft.interview
    draft.reached = set(wizard().sections)  # a profile's answers are all there: every gap can be judged
    # The same count as the start page and the terminal: count_questions says what a question is.
    draft.notices.append(f"Loaded {name}: {count_questions(interview).progress()}.")
    draft.notices.extend(_period(flag.message) for flag in interview.flags)  # they start with a file name
    return redirect(url_for("wizard.review"))


# --- a section of the questionnaire ----------------------------------------------------------
@bp.get("/section/<section_id>")
def section(section_id: str) -> Any:
    draft = drafts.need()
    if section_id not in wizard().sections:
        abort(404)
    with draft.lock:
        return _section_page(draft, section_id, from_review=request.args.get("from") == "review")


@bp.post("/section/<section_id>")
def answer_section(section_id: str) -> Any:
    draft = drafts.need()
    if section_id not in wizard().sections:
        abort(404)
    from_review = request.form.get("return_to") == "review"
    with draft.lock:
        interview = draft.interview
        given = _given(interview, section_id)
        action = request.form.get("action")
        uploaded = _take_template_upload(given)
        form = interview.read_section(section_id, given)
        if uploaded:
            form.errors[TEMPLATE_FIELD] = uploaded
        _check_template(form)
        # Keep every valid answer at once, and what was typed for the rest, whatever happens next:
        # a mistake in one field, or going back a section, never loses what was typed in the others.
        for qid, value in form.values.items():
            if qid not in form.errors:
                interview.answer(qid, value)
                draft.typed.pop(qid, None)
        for qid in form.errors:
            draft.typed[qid] = given[qid]
        draft.built = []  # the answers may have changed: the files built before no longer match them
        drafts.try_keep(draft, wizard().profiles)
        if action == "save_later":
            return redirect(url_for("wizard.saved"))
        if action == "back_to_review":
            return redirect(url_for("wizard.review"))
        if action == "previous":
            index = wizard().sections.index(section_id)
            return redirect(
                url_for("wizard.section", section_id=wizard().sections[index - 1]) if index else url_for("wizard.start")
            )
        if form.errors or form.follow_ups:
            return _section_page(draft, section_id, form=form, given=given, from_review=from_review)
        draft.reached.add(section_id)
        draft.last_section = section_id
        return redirect(_next_page(draft, section_id, from_review))


def _take_template_upload(given: dict[str, Any]) -> str | None:
    """A Word template uploaded on the page: checked, kept in profiles/templates, and given as the answer.

    Returns what is wrong with it, in a sentence, or None. A file that fails
    the check is never written into the profiles folder.
    """
    from policy_builder.content.questionnaire import AnswerError
    from policy_builder.interview.session import TEMPLATE_SUFFIXES, check_template

    upload = request.files.get("template_file")
    if upload is None or not upload.filename or TEMPLATE_FIELD not in given:
        return None
    original = Path(upload.filename).name
    if not original.lower().endswith(TEMPLATE_SUFFIXES):
        return f"'{original}' is not a Word file: choose a Word document (.docx) or template (.dotx)"
    data = upload.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        return f"'{original}' is bigger than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MB: choose the template itself"
    staging = drafts.store().folder("template-")
    try:
        name = secure_filename(original) or "template" + Path(original).suffix.lower()
        (staging / name).write_bytes(data)
        try:
            check_template(str(staging / name), profile_dir=staging)
        except AnswerError as exc:
            message = str(exc).replace(str(staging / name), original).replace(name, original)
            return message[:1].upper() + message[1:]
        folder = wizard().profiles / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        number = 2
        # Never over another file; a folder or link of the same name is passed over, not read (F18).
        while target.is_symlink() or target.exists() and (not target.is_file() or target.read_bytes() != data):
            target = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
            number += 1
        shutil.move(staging / name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    given[TEMPLATE_FIELD] = f"templates/{target.name}"
    draft = drafts.current()
    if draft is not None:
        draft.notices.append(f"Your Word template {original} is kept as {display_path(target)}.")
    return None


def _check_template(form: SectionForm) -> None:
    """The Word template is checked as soon as it is given, not after the last question."""
    from policy_builder.content.questionnaire import AnswerError
    from policy_builder.interview.session import TEMPLATE_QUESTION, check_template

    value = form.values.get(TEMPLATE_QUESTION)
    if not value or TEMPLATE_QUESTION in form.errors:
        return
    try:
        form.values[TEMPLATE_QUESTION] = check_template(value, profile_dir=wizard().profiles)
    except AnswerError as exc:
        message = str(exc)
        form.errors[TEMPLATE_QUESTION] = (
            message[:1].upper()
            + message[1:]
            + f". A path is read from the profiles folder, {display_path(wizard().profiles)}"
        )


@bp.post("/section/<section_id>/applies")
def applies(section_id: str) -> Any:
    """Progressive enhancement: which of the section's questions apply given the form as it stands."""
    draft = drafts.need()
    if section_id not in wizard().sections:
        abort(404)
    with draft.lock:
        interview = draft.interview
        form = interview.read_section(section_id, _given(interview, section_id))
        # Each answer changed on the page is kept in the draft at once, so an answer given but not yet
        # "saved and continued" survives a closed tab or a stop (issue 17). Answers left as offered stay
        # unanswered until the page is sent, as they would without script.
        changed = {
            qid: value
            for qid, value in form.values.items()
            if qid not in form.errors and value != interview.offered(interview.question(qid))
        }
        # Only once the draft has a file (the first section sent): it is named by the short name, which
        # the first page is still being typed into.
        if changed and draft.file is not None:
            for qid, value in changed.items():
                interview.answer(qid, value)
                draft.typed.pop(qid, None)
            draft.built = []  # the files built before no longer match the answers
            drafts.try_keep(draft, wizard().profiles)
        trial = interview.trying(form.values)
        # The previews follow the answers on the page as they stand, so each says what it would bring in now.
        macro = get_template_attribute("_macros.html", "preview")
        previews = {
            qid: str(macro({"q": trial.question(qid), "preview": p}))
            for qid, p in preview_section(trial, section_id).items()
        }
        return jsonify(applies=[q.id for q in trial.applicable(section_id)], previews=previews)


def _given(interview: Interview, section_id: str) -> dict[str, Any]:
    asked = set(request.form.getlist("asked"))
    given: dict[str, Any] = {}
    for question in interview.library.questionnaire.in_section(section_id):
        if question.id in asked:
            if question.type == "multi":
                given[question.id] = request.form.getlist(question.id)
            elif question.type == "date" and f"{question.id}-day" in request.form:
                # GOV.UK's day / month / year fields, kept as typed so a mistake is shown to correct.
                given[question.id] = {
                    part: request.form.get(f"{question.id}-{part}", "") for part in ("day", "month", "year")
                }
            else:
                given[question.id] = request.form.get(question.id, "")
    return given


def _next_page(draft: Draft, section_id: str, from_review: bool) -> str:
    if from_review:
        return url_for("wizard.review")
    index = wizard().sections.index(section_id)
    for later in wizard().sections[index + 1 :]:
        # A new policy goes through every section; a loaded profile only where something is still to answer.
        if draft.origin == "new" or draft.interview.unanswered(later):
            return url_for("wizard.section", section_id=later)
    return url_for("wizard.review")


def _section_page(
    draft: Draft,
    section_id: str,
    *,
    form: SectionForm | None = None,
    given: dict[str, Any] | None = None,
    from_review: bool = False,
) -> Any:
    interview = draft.interview
    shown = interview.trying(form.values) if form is not None else interview
    applicable = {q.id for q in shown.applicable(section_id)}
    follow_ups = {q.id for q in form.follow_ups} if form else set()
    previews = preview_section(shown, section_id)  # what each answer puts in the policy, from the library
    fields = []
    for question in interview.library.questionnaire.in_section(section_id):
        error = form.errors.get(question.id) if form else None
        if given is not None and question.id in given and question.id not in follow_ups:
            value = given[question.id]  # what the person entered, mistakes included, to correct
        elif question.id in draft.typed:
            value = draft.typed[question.id]  # typed earlier, not yet valid: kept to correct
            error = error or "Check this answer: it was not accepted last time"
        else:
            value = form_value(question, shown.offered(question))
        fields.append(
            {
                "q": question,
                "id": field_id(question.id),
                "value": value,
                "error": error,
                "applies": question.id in applicable,
                "follow_up": question.id in follow_ups,
                "new": interview.is_new(question),
                "invalid": interview.invalid.get(question.id),
                "guidance": interview.guidance(question),
                "default_note": _default_note(question),
                "preview": previews.get(question.id),
                "reason": interview.reasons.get(question.id),
            }
        )
    # The summary names the question too: "Enter an answer" alone would not say which.
    errors = [(f["id"], f"{f['error']}: “{f['q'].prompt}”") for f in fields if f["error"] and f["applies"]]
    number = wizard().sections.index(section_id) + 1
    status = 400 if errors else 200
    page = render_template(
        "section.html",
        section=interview.section(section_id),
        number=number,
        count=len(wizard().sections),
        fields=fields,
        errors=errors,
        follow_ups=[f for f in fields if f["follow_up"]],
        from_review=from_review,
        previous=wizard().sections[number - 2] if number > 1 else None,
        draft_token=draft.token,
        nav=_nav(draft, section_id),
        notices=_take_notices(draft),
        gaps=_gap_panel(draft),
    )
    return page, status


# --- review and build ------------------------------------------------------------------------
@bp.get("/review")
def review() -> Any:
    draft = drafts.need()
    with draft.lock:
        return _review_page(draft)


def _review_page(draft: Draft, errors: list[tuple[str, str]] | None = None, status: int = 200) -> Any:
    interview = draft.interview
    rows = []
    for number, section_id in enumerate(wizard().sections, start=1):
        answers = []
        for question in interview.applicable(section_id):
            answers.append({"q": question, "id": field_id(question.id), "answer": interview.review_answer(question)})
        rows.append({"section": interview.section(section_id), "number": number, "answers": answers})
    left_out = [interview.question(qid) for qid in interview.not_applicable()]
    return (
        render_template(
            "review.html",
            rows=rows,
            left_out=left_out,
            errors=errors or [],
            missing=interview.missing_required(),
            unanswered=len(interview.unanswered()),
            resume=next((url_for("wizard.section", section_id=q.section) for q in interview.unanswered()), None),
            notices=_take_notices(draft),
            gaps=_gaps_view(interview.gaps()),
            target=display_path(_target(draft)[0]),
            draft_token=draft.token,
            nav=_nav(draft, "review"),
        ),
        status,
    )


@bp.post("/build")
def build() -> Any:
    draft = drafts.need()
    with draft.lock:
        interview = draft.interview
        missing = interview.missing_required()
        if missing:
            errors = [(f"answer-{field_id(q.id)}", f"Answer “{q.prompt}”") for q in missing]
            return _review_page(draft, errors, 400)
        try:
            saved = _write_profile(draft, final=True)
            drafts.drop_file(draft)  # finished: the draft has done its work
            with time_limit(current_app.config["BUILD_SECONDS"]):
                _build(draft, saved)
        except PolicyBuilderError as exc:
            return _review_page(draft, [("build", _period(str(exc)))], 400)
        except TooSlow:
            seconds = current_app.config["BUILD_SECONDS"]
            message = (
                f"Building the policy took longer than {_seconds(seconds)}, so it was stopped. Your answers are "
                f"saved as {display_path(saved)}: build again, or build it with the command "
                f"{program()} build {display_path(saved)}"
            )
            return _review_page(draft, [("build", _period(message))], 503)
        return redirect(url_for("wizard.finish"))


def _build(draft: Draft, saved: Path) -> None:
    from policy_builder.core.output import output_paths

    out = draft.folder / "built"
    shutil.rmtree(out, ignore_errors=True)
    done = draft.interview.build(saved, out, FORMATS, build_date=wizard().build_date)
    result = done.result
    paths = output_paths(out, result.policy.slug)
    built = {kind: paths[kind] for kind in DOWNLOADS if kind in paths and paths[kind] in result.written}
    if done.gap_report_docx is not None:
        built["gaps-docx"] = done.gap_report_docx
    draft.built = [(kind, built[kind]) for kind in DOWNLOADS if kind in built]
    draft.downloads = {path.name: path for _, path in draft.built}
    draft.downloads[saved.name] = saved.absolute()
    draft.built_gaps = result.warnings
    draft.status = result.policy.draft
    draft.leaflet_grade = result.leaflet_level.grade if result.leaflet_level else None


@bp.get("/finish")
def finish() -> Any:
    draft = drafts.need()
    if not draft.built:
        return redirect(url_for("wizard.review"))
    files = [{"kind": kind, "name": path.name, "size": _size(path)} for kind, path in draft.built]
    profile = draft.target or next(p for p in draft.downloads.values() if p.suffix == ".yaml")
    return render_template(
        "finish.html",
        files=files,
        profile={"name": profile.name, "size": _size(profile)},
        saved=display_path(profile),
        gaps=_gaps_view(draft.built_gaps),
        draft_note=draft_note(draft.status),
        leaflet_reading=reading_in_words(draft.leaflet_grade) if draft.leaflet_grade is not None else None,
        organisation=draft.interview.answers.get("organisation.name", ""),
        notices=_take_notices(draft),
        command=program(),
        nav=_nav(draft, "finish"),
    )


@bp.get("/download/<name>")
def download(name: str) -> Any:
    draft = drafts.need()
    path = draft.downloads.get(name)  # only files this browser built: nothing else can be named
    if path is None or not path.is_file():
        abort(404)
    mimetypes = {
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".md": "text/markdown; charset=utf-8",
        ".yaml": "application/yaml; charset=utf-8",
    }
    return send_file(
        path,
        as_attachment=True,
        download_name=name,
        mimetype=mimetypes.get(path.suffix, "application/octet-stream"),
    )


@bp.get("/saved")
def saved() -> Any:
    draft = drafts.need()
    from policy_builder.interview.session import program

    return render_template(
        "saved.html",
        saved=display_path(draft.file) if draft.file else "",
        command=program(),
        left=len(draft.interview.unanswered()),
        notices=_take_notices(draft),
        next_section=next((q.section for q in draft.interview.unanswered()), None),
        nav=_nav(draft, ""),
    )


# --- saving ------------------------------------------------------------------------------------
def _target(draft: Draft) -> tuple[Path, str | None]:
    """Where the profile goes, and a note when its natural name was taken by another file."""
    if draft.target is not None:
        return draft.target, None
    slug = draft.interview.slug()
    path = wizard().profiles / f"{slug}.yaml"
    number = 2
    while path.exists() or path.is_symlink():  # a link (even one to nowhere) is another file's name: pass it over
        path = wizard().profiles / f"{slug}-{number}.yaml"
        number += 1
    taken = None if number == 2 else f"{display_path(wizard().profiles / (slug + '.yaml'))} already exists"
    return path, taken


def _write_profile(draft: Draft, *, final: bool) -> Path:
    path, taken = _target(draft)
    if path.resolve().parent != wizard().profiles.resolve():  # by construction; checked because answers must stay there
        raise PolicyBuilderError(
            f"{display_path(path)} is outside {display_path(wizard().profiles)}; nothing was saved"
        )
    draft.interview.save(path, final=final, by="browser", based_on=draft.based_on)
    draft.target = path
    if taken:
        draft.notices.append(f"{taken}, so your answers are saved as {display_path(path)}.")
    return path


# --- pieces of pages -------------------------------------------------------------------------
def _nav(draft: Draft, current: str) -> list[dict[str, Any]]:
    interview = draft.interview
    unanswered = interview.unanswered()  # every section's at once: what applies is worked out once a page
    required = {q.section for q in unanswered if q.required}
    open_sections = {q.section for q in unanswered}
    items = []
    for number, section_id in enumerate(wizard().sections, start=1):
        if section_id == current:
            status = "current"
        elif section_id in required and section_id in draft.reached:
            status = "needs answer"  # only a required answer stops the build
        elif section_id in draft.reached and section_id not in open_sections:
            status = "done"
        else:
            status = ""  # not reached, or answers left at their suggested defaults
        items.append(
            {
                "id": section_id,
                "number": number,
                "title": interview.section(section_id).title,
                "status": status,
                "link": section_id in draft.reached or section_id == current,
            }
        )
    return items


def _gap_panel(draft: Draft) -> dict[str, Any]:
    interview = draft.interview
    warnings = interview.gaps_so_far(draft.reached)
    fresh: set[str] = set()
    last = None
    if draft.last_section:
        fresh = {w.id for w in interview.section_gaps(draft.last_section, draft.reached)}
        last = interview.section(draft.last_section).title
        draft.last_section = None
    view = _gaps_view(warnings, fresh)
    view["last"] = last
    view["fresh_count"] = len(fresh)
    view["reached"] = len(draft.reached)
    return view


def _gaps_view(warnings: list[GapWarning], fresh: set[str] | None = None) -> dict[str, Any]:
    fresh = fresh or set()
    questions = wizard().library.questionnaire.questions
    items = []
    for warning in sorted(warnings, key=lambda w: (w.id not in fresh, SEVERITY_RANK.get(w.severity, 3))):
        revisit = [
            {"prompt": questions[qid].prompt, "section": questions[qid].section, "qid": qid}
            for qid in warning.questions
            if qid in questions
        ]
        items.append({"w": warning, "fresh": warning.id in fresh, "revisit": revisit})
    counts = count_gaps(warnings)
    # Those that stand only because a question is not answered yet: the gap report's "Still to decide".
    return {"items": items, "counts": counts, "total": counts.total, "undecided": counts.undecided}


def _take_notices(draft: Draft) -> list[str]:
    notices, draft.notices = draft.notices, []
    return notices


# --- helpers --------------------------------------------------------------------------------------


def field_id(qid: str) -> str:
    """organisation.name -> organisation-name: an HTML id that needs no escaping in a selector."""
    return qid.replace(".", "-").replace("_", "-")


def draft_note(status: Any) -> dict[str, Any] | None:
    """Why the built policy is still a draft, in words (never "ready for approval" for a draft), or None."""
    if status is None or not status.is_draft:
        return None
    count = len(status.open_questions)
    if count:
        summary = (
            f"Draft: {count} question{'' if count == 1 else 's'} still to decide, listed in the gap report"
            + " and below"
            + (", and not yet approved." if status.unapproved else ".")
        )
        advice = "Decide " + ("it" if count == 1 else "them") + " and build again before sending it for approval."
    else:
        summary = "Draft: not yet approved."
        advice = (
            "Send it for approval; once it is approved, add who approved it to your answers "
            "(“Which body or role approved this policy?”) and build again to remove the draft marking."
        )
    return {"summary": summary, "advice": advice, "questions": [q.prompt for q in status.open_questions]}


def section_url(section_id: str, qid: str | None = None, *, from_review: bool = False) -> str:
    values: dict[str, Any] = {"section_id": section_id}
    if from_review:
        values["from"] = "review"
    url = url_for("wizard.section", **values)
    return url + (f"#{field_id(qid)}" if qid else "")


def _profile_files(profiles: Path) -> list[Path]:
    if not profiles.is_dir():
        return []
    return sorted(
        p
        for p in profiles.iterdir()
        if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".") and _text_name(p)
    )


def _seconds(count: float) -> str:
    return f"{count:g} second{'' if count == 1 else 's'}"


def _text_name(path: Path) -> bool:
    """False for a file name that is not text (bytes that are not UTF-8): no page or form could name it."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain_error(exc: ProfileError, path: Path, name: str) -> str:
    """'council.yaml, line 3: ...': the file as the person knows it, never our temporary copy's path."""
    where = name + (f", line {exc.line}" if exc.line else "")
    message = exc.message.replace(str(path), name)
    return f"{where}: {message[:1].upper()}{message[1:]}" + ("" if message.endswith(".") else ".")


def _period(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _default_note(question: Question) -> str | None:
    if question.default_from and question.default_from != "build_date":  # the build date's help already says so
        return "Leave it blank to use your answer above."
    return None


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"
