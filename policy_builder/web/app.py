"""The browser wizard: a small Flask app served on 127.0.0.1 only.

Pages are rendered on the server and work without JavaScript; a little script
shows follow-up questions as soon as an answer brings them into play. Each
browser's answers are kept in memory here, keyed by a random id in a signed
cookie, until they are saved into the profiles folder (by slug, never outside
it). Built files go to a private temporary folder per browser and are offered
as downloads. Safety on a shared machine: only requests addressed to
127.0.0.1 or localhost are answered (a web page elsewhere cannot reach the app
by DNS rebinding), every form carries a CSRF token, uploads are size-limited
and read with the same safe loader as any profile, and errors are shown as
plain pages, never a traceback.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import webbrowser
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.utils import secure_filename

from policy_builder.content.library import Library
from policy_builder.content.models import GapWarning, Question
from policy_builder.core.errors import PolicyBuilderError, ProfileError, display_path
from policy_builder.interview.preview import PLACEHOLDER, left_out_text, passage_note, preview_section
from policy_builder.interview.session import (
    Interview,
    PolicyReader,
    SectionForm,
    count_questions,
    describe_answer,
    form_value,
    new_policy_length,
    when_saved,
    write_gap_report_docx,
)
from policy_builder.render.plain import reading_in_words

MAX_UPLOAD_BYTES = 256 * 1024  # a profile is a few KB
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024  # a Word template with logos and fonts can be a few MB
MAX_POLICY_BYTES = 20 * 1024 * 1024  # an employer's current policy, as Word or PDF: the audit reader's own limit
POLICY_SUFFIXES = (".docx", ".md", ".markdown", ".txt", ".pdf")  # what the audit reader reads
MAX_DRAFTS = 20  # browsers' answers kept in memory at once; the oldest goes first
DEFAULT_PORT = 8765
ALLOWED_HOSTS = ("127.0.0.1", "localhost")
FORMATS = ("md", "docx", "summary", "leaflet")
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

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

log = logging.getLogger("policy_builder.web")


@dataclass
class Draft:
    """One browser's answers and files."""

    interview: Interview
    folder: Path  # private temporary folder: the uploaded profile and the built files
    reached: set[str] = field(default_factory=set)  # sections whose answers have been given
    origin: str = "new"  # new, chosen (from the profiles folder) or uploaded
    target: Path | None = None  # where the profile is saved, inside the profiles folder
    based_on: Path | None = None  # the file whose comments and layout are kept when saving
    notices: list[str] = field(default_factory=list)  # shown once, on the next page
    last_section: str | None = None  # the section just finished: its gaps are marked new
    built: list[tuple[str, Path]] = field(default_factory=list)  # (output kind, file) of the last build
    downloads: dict[str, Path] = field(default_factory=dict)  # file name -> file: all a browser may download
    built_gaps: list[GapWarning] = field(default_factory=list)
    leaflet_grade: float | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))  # names it in each form: tabs stay apart
    sid: str = ""  # the browser it belongs to
    file: Path | None = None  # the draft on disk (profiles/drafts/...), saved after every section
    typed: dict[str, Any] = field(default_factory=dict)  # entries not yet valid, shown again until mended
    status: Any = None  # the built policy's DraftStatus: whether it is a draft, and why


class Drafts:
    """The answers of every browser using the app, in memory; a browser may have several, one per tab."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._drafts: OrderedDict[str, Draft] = OrderedDict()  # by token
        self._lock = threading.Lock()

    def get(self, token: str | None, sid: str | None = None) -> Draft | None:
        if not token:
            return None
        with self._lock:
            draft = self._drafts.get(token)
            if draft is None or (sid is not None and draft.sid != sid):
                return None
            self._drafts.move_to_end(token)
            return draft

    def folder(self, prefix: str) -> Path:
        """A new temporary folder, private to this user (mode 0700)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.root))

    def start(self, sid: str, interview: Interview) -> Draft:
        """A new set of answers for this browser. Others it has stay: another tab may still be on them."""
        with self._lock:
            while len(self._drafts) >= MAX_DRAFTS:
                _, dropped = self._drafts.popitem(last=False)  # its answers are on disk as a draft
                shutil.rmtree(dropped.folder, ignore_errors=True)
            draft = Draft(interview=interview, folder=self.folder("draft-"), sid=sid)
            self._drafts[draft.token] = draft
            return draft

    def with_file(self, sid: str, file: Path) -> Draft | None:
        """This browser's answers already open from the draft ``file``."""
        with self._lock:
            return next((d for d in self._drafts.values() if d.sid == sid and d.file == file), None)


class _PageCode(BytecodeCache):
    """The pages' compiled code, kept in memory for every app this process creates. Each app has its own Jinja
    environment, which would compile every page again (a test run creates dozens of apps); a page whose source
    changed fails Jinja's checksum and is compiled afresh."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self.lock:
            code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self.lock:
            self.codes[bucket.key] = code


_PAGE_CODE = _PageCode()


def create_app(
    library: Library,
    profiles_dir: str | Path = "profiles",
    *,
    build_date: dt.date | None = None,
    temp_root: str | Path | None = None,
    access_key: str | None = None,
    read_policy: PolicyReader | None = None,
) -> Flask:
    """The browser wizard as a WSGI app: answers saved into ``profiles_dir`` only.

    With ``access_key``, only a browser that has opened the address with
    ``?key=<access_key>`` (the one printed at start) gets in: another user of
    the same computer can reach 127.0.0.1 but does not know the key.
    With ``read_policy`` (the command line passes the audit's reader), the
    start page offers "Start from our current policy".
    """
    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _PAGE_CODE}
    # The preview macro runs outside a request too (the /applies reply), so these are globals.
    app.jinja_env.globals.update(placeholder=PLACEHOLDER, passage_note=passage_note, left_out_text=left_out_text)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # new each start: cookies from an earlier run no longer count
        MAX_CONTENT_LENGTH=MAX_TEMPLATE_BYTES + 64 * 1024,  # a profile upload is held to MAX_UPLOAD_BYTES below
        SESSION_COOKIE_NAME="policy_builder_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        TEMPLATES_AUTO_RELOAD=False,
    )
    if temp_root is None:
        temp_root = tempfile.mkdtemp(prefix="policy-builder-serve-")
        atexit.register(shutil.rmtree, temp_root, True)
    # Absolute: send_file would read a relative path inside the package folder, not the working folder.
    profiles = Path(profiles_dir).absolute()
    drafts = Drafts(Path(temp_root))
    sections = [s.id for s in library.questionnaire.sections]
    length = new_policy_length(library)  # said on the start page: counted once, from the questionnaire

    # --- safety: the host, the CSRF token, the headers ----------------------------------------------
    @app.before_request
    def check_request() -> None:
        host = request.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        if name.lower() not in ALLOWED_HOSTS:
            abort(403, description="host")
        if access_key and request.endpoint != "static" and not session.get("access"):
            if not secrets.compare_digest(request.args.get("key", ""), access_key):
                abort(403, description="key")
            session["access"] = True  # this browser has the key: its cookie carries that from now on
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            expected = session.get("csrf", "")
            if not expected or not secrets.compare_digest(sent, expected):
                abort(400, description="csrf")

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"  # answers must not linger in a shared machine's cache
        return response

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"csrf_token": _csrf_token, "section_url": _section_url, "field_id": field_id}

    def _draft() -> Draft | None:
        """The answers this request is about: the form's own (its tab's), else the browser's latest."""
        sid = session.get("sid")
        if not sid:
            return None
        posted = request.form.get("draft") if request.method == "POST" else None
        current = drafts.get(session.get("draft"), sid)
        if posted and current is not None and posted != current.token:
            other = drafts.get(posted, sid)
            if other is not None:
                # This tab's answers belong to another draft than the browser's latest: carry on with them,
                # and say so, so a second tab never writes into (or silently replaces) the first one's answers.
                session["draft"] = other.token
                name = current.interview.answers.get("organisation.name")
                other.notices.append(
                    "You were working on other answers"
                    + (f" (for {name})" if name else "")
                    + " in another tab or window. This page carries on with its own answers; "
                    "the other answers are kept as a draft, listed on the start page."
                )
                return other
            abort(409)  # answers no longer held here: never let them land in another draft
        return current

    def _need_draft() -> Draft:
        draft = _draft()
        if draft is None:
            abort(409)
        return draft

    def _new_draft(interview: Interview) -> Draft:
        sid = session.get("sid") or secrets.token_urlsafe(24)
        session["sid"] = sid
        draft = drafts.start(sid, interview)
        session["draft"] = draft.token
        return draft

    # --- drafts on disk: the answers survive a closed browser, a restart or a second tab -------------
    def _keep_draft(draft: Draft) -> None:
        """Save the answers so far to this draft's file in profiles/drafts (never over a finished profile)."""
        from policy_builder.core.output import slugify
        from policy_builder.pipeline.profile_edit import drafts_folder, new_draft_path, save_draft

        interview = draft.interview
        based_on = None
        if draft.file is None:
            stem = draft.target.stem if draft.target is not None else interview.slug()
            draft.file = new_draft_path(drafts_folder(profiles), slugify(stem))
            based_on = draft.based_on  # the first save keeps the profile's comments; later ones the draft's
        answers = interview.profile_answers(final=False)
        save_draft(draft.file, answers, interview.library.questionnaire, of=draft.target, based_on=based_on)

    def _try_keep_draft(draft: Draft) -> None:
        try:
            _keep_draft(draft)
        except (PolicyBuilderError, OSError) as exc:
            draft.notices.append(f"Your answers could not be saved as a draft: {_period(str(exc))}")

    def _drop_draft_file(draft: Draft) -> None:
        if draft.file is not None:
            draft.file.unlink(missing_ok=True)
            try:
                draft.file.parent.rmdir()  # only when empty
            except OSError:
                pass
            draft.file = None

    def _draft_files() -> list[Any]:
        from policy_builder.pipeline.profile_edit import drafts_folder, list_drafts

        return list_drafts(drafts_folder(profiles))

    def _build_date() -> dt.date:
        return build_date or dt.date.today()

    # --- start ---------------------------------------------------------------------------------
    @app.get("/")
    def start() -> str:
        return _start_page()

    def _start_page(errors: list[tuple[str, str]] | None = None, status: int = 200) -> Any:
        from policy_builder.pipeline.profile_edit import organisation_name

        draft = _draft()
        return (
            render_template(
                "start.html",
                draft=draft,
                draft_name=(draft.interview.answers.get("organisation.name") if draft else None),
                resume=_resume_url(draft) if draft else None,
                profiles=[(path, organisation_name(path)) for path in _profile_files(profiles)],
                waiting=[
                    {
                        "name": info.path.name,
                        "organisation": info.organisation,
                        "saved": when_saved(info.saved),
                        "of": info.of.name if info.of is not None and info.of.is_file() else None,
                    }
                    for info in _draft_files()
                ],
                profiles_dir=display_path(profiles),
                errors=errors or [],
                max_kb=MAX_UPLOAD_BYTES // 1024,
                max_policy_mb=MAX_POLICY_BYTES // (1024 * 1024),
                from_policy=read_policy is not None,
                length=length,
            ),
            status,
        )

    def _resume_url(draft: Draft) -> str:
        for section_id in sections:
            if section_id not in draft.reached or draft.interview.unanswered(section_id):
                return url_for("section", section_id=section_id)
        return url_for("review")

    @app.post("/start/new")
    def start_new() -> Any:
        draft = _new_draft(Interview(library, build_date=_build_date()))
        draft.origin = "new"
        return redirect(url_for("section", section_id=sections[0]))

    @app.post("/start/draft")
    def start_draft() -> Any:
        """Carry on with answers saved as a draft (by this server or an earlier run)."""
        name = request.form.get("draft_file", "")
        files = {info.path.name: info for info in _draft_files()}
        if name not in files:  # only a draft the start page listed
            return _start_page([("draft-choice", "Select one of the unfinished sets of answers")], 400)
        info = files[name]
        sid = session.get("sid")
        open_already = drafts.with_file(sid, info.path) if sid else None
        if open_already is not None:
            session["draft"] = open_already.token
            return redirect(_resume_url(open_already))
        try:
            interview = Interview.from_profile(library, info.path, build_date=_build_date())
        except ProfileError as exc:
            return _start_page([("draft-choice", _plain_error(exc, info.path, name))], 400)
        draft = _new_draft(interview)
        draft.file = info.path
        of = info.of
        if of is not None and of.is_file() and of.resolve().parent == profiles.resolve():
            # Changes to a saved profile: open on the review page, as the profile itself does.
            draft.origin, draft.target, draft.based_on = "chosen", of, of
            draft.reached = set(sections)
            draft.notices.append(f"Your changes to {of.name}, saved {when_saved(info.saved)}, are back.")
            return redirect(url_for("review"))
        # A new policy: sections before the first one with a question still to answer count as done.
        for section_id in sections:
            if interview.unanswered(section_id):
                break
            draft.reached.add(section_id)
        draft.notices.append(f"Your answers saved {when_saved(info.saved)} are back: carry on where you stopped.")
        return redirect(_resume_url(draft))

    @app.post("/start/choose")
    def start_choose() -> Any:
        name = request.form.get("profile", "")
        files = {p.name: p for p in _profile_files(profiles)}
        if name not in files:  # only a file the start page listed: nothing else on disk can be named
            return _start_page([("profile-choice", "Select one of the saved profiles")], 400)
        path = files[name]
        try:
            interview = Interview.from_profile(library, path, build_date=_build_date())
        except ProfileError as exc:
            return _start_page([("profile-choice", _plain_error(exc, path, name))], 400)
        draft = _new_draft(interview)
        draft.origin, draft.target, draft.based_on = "chosen", path, path
        return _after_loading(draft, path.name)

    @app.post("/start/upload")
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
        staging = drafts.folder("upload-")
        path = staging / (secure_filename(original) or "profile.yaml")
        try:
            upload.save(path)
            if path.stat().st_size > MAX_UPLOAD_BYTES:  # the request may be bigger (for Word templates)
                shutil.rmtree(staging, ignore_errors=True)
                abort(413)
            interview = Interview.from_profile(library, path, build_date=_build_date())
        except ProfileError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            return _start_page([("profile-file", _plain_error(exc, path, original))], 400)
        draft = _new_draft(interview)
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

    @app.post("/start/from-policy")
    def start_from_policy() -> Any:
        """Start a new policy from the answers the employer's current policy settles, each with its quote."""
        if read_policy is None:
            abort(404)
        upload = request.files.get("policy_file")
        if upload is None or not upload.filename:
            return _start_page([("policy-file", "Choose your current policy to upload")], 400)
        original = Path(upload.filename).name
        suffix = Path(original).suffix.lower()
        if suffix not in POLICY_SUFFIXES:
            return _start_page(
                [
                    (
                        "policy-file",
                        f"'{original}' cannot be read: choose a Word (.docx), PDF (.pdf), "
                        "Markdown (.md) or text (.txt) file",
                    )
                ],
                400,
            )
        data = upload.read(MAX_POLICY_BYTES + 1)
        if len(data) > MAX_POLICY_BYTES:
            mb = MAX_POLICY_BYTES // (1024 * 1024)
            return _start_page([("policy-file", f"'{original}' is bigger than {mb} MB: choose the policy itself")], 400)
        # Read in a folder of its own, removed at once: the policy is read, never kept.
        staging = drafts.folder("policy-")
        path = staging / ((secure_filename(Path(original).stem) or "policy") + suffix)
        try:
            path.write_bytes(data)
            starting = read_policy(path, original)
        except PolicyBuilderError as exc:
            message = str(exc).replace(str(path), original).replace(display_path(path), original)
            return _start_page([("policy-file", message)], 400)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        interview = Interview(library, build_date=_build_date())
        starting.start(interview)
        draft = _new_draft(interview)
        draft.origin = "new"  # every section in turn: each answer taken from the policy is checked
        draft.notices.extend(starting.notices)
        return redirect(url_for("section", section_id=sections[0]))

    def _after_loading(draft: Draft, name: str) -> Any:
        """A loaded profile opens on the review page: every answer at a glance, each one a click from changing."""
        interview = draft.interview
        draft.reached = set(sections)  # a profile's answers are all there: every gap can be judged
        # The same count as the start page and the terminal: count_questions says what a question is.
        draft.notices.append(f"Loaded {name}: {count_questions(interview).progress()}.")
        draft.notices.extend(_period(flag.message) for flag in interview.flags)  # they start with a file name
        return redirect(url_for("review"))

    # --- a section of the questionnaire ----------------------------------------------------------
    @app.get("/section/<section_id>")
    def section(section_id: str) -> Any:
        draft = _need_draft()
        if section_id not in sections:
            abort(404)
        with draft.lock:
            return _section_page(draft, section_id, from_review=request.args.get("from") == "review")

    @app.post("/section/<section_id>")
    def answer_section(section_id: str) -> Any:
        draft = _need_draft()
        if section_id not in sections:
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
            _try_keep_draft(draft)
            if action == "save_later":
                return redirect(url_for("saved"))
            if action == "back_to_review":
                return redirect(url_for("review"))
            if action == "previous":
                index = sections.index(section_id)
                return redirect(url_for("section", section_id=sections[index - 1]) if index else url_for("start"))
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
        staging = drafts.folder("template-")
        try:
            name = secure_filename(original) or "template" + Path(original).suffix.lower()
            (staging / name).write_bytes(data)
            try:
                check_template(str(staging / name), profile_dir=staging)
            except AnswerError as exc:
                message = str(exc).replace(str(staging / name), original).replace(name, original)
                return message[:1].upper() + message[1:]
            folder = profiles / "templates"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            number = 2
            while target.exists() and target.read_bytes() != data:  # never over another file
                target = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
                number += 1
            shutil.move(staging / name, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        given[TEMPLATE_FIELD] = f"templates/{target.name}"
        draft = _draft()
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
            form.values[TEMPLATE_QUESTION] = check_template(value, profile_dir=profiles)
        except AnswerError as exc:
            message = str(exc)
            form.errors[TEMPLATE_QUESTION] = (
                message[:1].upper()
                + message[1:]
                + f". A path is read from the profiles folder, {display_path(profiles)}"
            )

    @app.post("/section/<section_id>/applies")
    def applies(section_id: str) -> Any:
        """Progressive enhancement: which of the section's questions apply given the form as it stands."""
        draft = _need_draft()
        if section_id not in sections:
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
                _try_keep_draft(draft)
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
            return url_for("review")
        index = sections.index(section_id)
        for later in sections[index + 1 :]:
            # A new policy goes through every section; a loaded profile only where something is still to answer.
            if draft.origin == "new" or draft.interview.unanswered(later):
                return url_for("section", section_id=later)
        return url_for("review")

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
        number = sections.index(section_id) + 1
        status = 400 if errors else 200
        page = render_template(
            "section.html",
            section=interview.section(section_id),
            number=number,
            count=len(sections),
            fields=fields,
            errors=errors,
            follow_ups=[f for f in fields if f["follow_up"]],
            from_review=from_review,
            previous=sections[number - 2] if number > 1 else None,
            draft_token=draft.token,
            nav=_nav(draft, section_id),
            notices=_take_notices(draft),
            gaps=_gap_panel(draft),
        )
        return page, status

    # --- review and build ------------------------------------------------------------------------
    @app.get("/review")
    def review() -> Any:
        draft = _need_draft()
        with draft.lock:
            return _review_page(draft)

    def _review_page(draft: Draft, errors: list[tuple[str, str]] | None = None, status: int = 200) -> Any:
        interview = draft.interview
        rows = []
        for number, section_id in enumerate(sections, start=1):
            answers = []
            for question in interview.applicable(section_id):
                answers.append(
                    {"q": question, "id": field_id(question.id), "answer": _review_answer(interview, question)}
                )
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
                resume=next((url_for("section", section_id=q.section) for q in interview.unanswered()), None),
                notices=_take_notices(draft),
                gaps=_gaps_view(interview.gaps()),
                target=display_path(_target(draft)[0]),
                draft_token=draft.token,
                nav=_nav(draft, "review"),
            ),
            status,
        )

    @app.post("/build")
    def build() -> Any:
        draft = _need_draft()
        with draft.lock:
            interview = draft.interview
            missing = interview.missing_required()
            if missing:
                errors = [(f"answer-{field_id(q.id)}", f"Answer “{q.prompt}”") for q in missing]
                return _review_page(draft, errors, 400)
            try:
                saved = _write_profile(draft, final=True)
                _drop_draft_file(draft)  # finished: the draft has done its work
                _build(draft, saved)
            except PolicyBuilderError as exc:
                return _review_page(draft, [("build", _period(str(exc)))], 400)
            return redirect(url_for("finish"))

    def _build(draft: Draft, saved: Path) -> None:
        from policy_builder.build import build_profile
        from policy_builder.core.output import output_paths

        out = draft.folder / "built"
        shutil.rmtree(out, ignore_errors=True)
        result = build_profile(library, saved, out, FORMATS, build_date=build_date)
        paths = output_paths(out, result.policy.slug)
        built = {kind: paths[kind] for kind in DOWNLOADS if kind in paths and paths[kind] in result.written}
        if "gaps" in built:
            # Managers open Word, not Markdown: the gap report is offered in Word too.
            organisation = str(draft.interview.answers.get("organisation.name") or "")
            built["gaps-docx"] = write_gap_report_docx(built["gaps"], organisation)
        draft.built = [(kind, built[kind]) for kind in DOWNLOADS if kind in built]
        draft.downloads = {path.name: path for _, path in draft.built}
        draft.downloads[saved.name] = saved.absolute()
        draft.built_gaps = result.warnings
        draft.status = result.policy.draft
        draft.leaflet_grade = result.leaflet_level.grade if result.leaflet_level else None

    @app.get("/finish")
    def finish() -> Any:
        draft = _need_draft()
        if not draft.built:
            return redirect(url_for("review"))
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
            command=_program(),
            nav=_nav(draft, "finish"),
        )

    @app.get("/download/<name>")
    def download(name: str) -> Any:
        draft = _need_draft()
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

    @app.get("/saved")
    def saved() -> Any:
        draft = _need_draft()
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
        path = profiles / f"{slug}.yaml"
        number = 2
        while path.exists():
            path = profiles / f"{slug}-{number}.yaml"
            number += 1
        taken = None if number == 2 else f"{display_path(profiles / (slug + '.yaml'))} already exists"
        return path, taken

    def _write_profile(draft: Draft, *, final: bool) -> Path:
        from policy_builder.pipeline.profile_edit import save_profile

        interview = draft.interview
        path, taken = _target(draft)
        if path.resolve().parent != profiles.resolve():  # by construction; checked because answers must stay there
            raise PolicyBuilderError(f"{display_path(path)} is outside {display_path(profiles)}; nothing was saved")
        from policy_builder.interview.session import program

        name = interview.answers.get("organisation.name") or "your organisation"
        command = program()
        header = (
            f"Social media policy answers for {name}, written by the policy-builder browser wizard.\n"
            f"Change them with: {command} serve (then choose {path.name}), or {command} wizard --profile {display_path(path)}\n"
            f"Build the policy with: {command} build {display_path(path)}"
        )
        library_ = interview.library
        save_profile(
            path,
            interview.profile_answers(final=final),
            library_.questionnaire,
            library_.nations,
            complete=final,
            header=header,
            questionnaire_version=library_.questionnaire.version if final and not interview.unanswered() else None,
            based_on=draft.based_on,
        )
        draft.target = path
        if taken:
            draft.notices.append(f"{taken}, so your answers are saved as {display_path(path)}.")
        return path

    # --- pieces of pages -------------------------------------------------------------------------
    def _nav(draft: Draft, current: str) -> list[dict[str, Any]]:
        interview = draft.interview
        required = {q.section for q in interview.missing_required()}
        items = []
        for number, section_id in enumerate(sections, start=1):
            if section_id == current:
                status = "current"
            elif section_id in required and section_id in draft.reached:
                status = "needs answer"  # only a required answer stops the build
            elif section_id in draft.reached and not interview.unanswered(section_id):
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
        questions = library.questionnaire.questions
        items = []
        for warning in sorted(warnings, key=lambda w: (w.id not in fresh, SEVERITY_ORDER.get(w.severity, 3))):
            revisit = [
                {"prompt": questions[qid].prompt, "section": questions[qid].section, "qid": qid}
                for qid in warning.questions
                if qid in questions
            ]
            items.append({"w": warning, "fresh": warning.id in fresh, "revisit": revisit})
        counts = {s: sum(1 for w in warnings if w.severity == s) for s in SEVERITY_ORDER}
        # Those that stand only because a question is not answered yet: the gap report's "Still to decide".
        undecided = sum(1 for w in warnings if w.cause == "unanswered")
        return {"items": items, "counts": counts, "total": len(warnings), "undecided": undecided}

    def _take_notices(draft: Draft) -> list[str]:
        notices, draft.notices = draft.notices, []
        return notices

    # --- errors: plain pages, never a traceback (their wording is in error.html) ------------------
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        reason = exc.description if exc.description in ("host", "key", "csrf") else str(code)
        return render_template("error.html", reason=reason, max_kb=MAX_UPLOAD_BYTES // 1024), code

    @app.errorhandler(PolicyBuilderError)
    def policy_error(exc: PolicyBuilderError) -> Any:
        return render_template("error.html", reason="files", detail=_period(str(exc))), 400

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("Unexpected error while answering %s %s", request.method, request.path)
        return render_template("error.html", reason="500"), 500

    return app


# --- helpers --------------------------------------------------------------------------------------


TEMPLATE_FIELD = "document.reference_docx"


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


def _csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _section_url(section_id: str, qid: str | None = None, *, from_review: bool = False) -> str:
    # Any: "from" is a query value, which url_for's own keyword parameters (_external, ...) must not be checked against.
    query: dict[str, Any] = {"from": "review"} if from_review else {}
    url = url_for("section", section_id=section_id, **query)
    return url + (f"#{field_id(qid)}" if qid else "")


def _profile_files(profiles: Path) -> list[Path]:
    if not profiles.is_dir():
        return []
    return sorted(
        p for p in profiles.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
    )


def _plain_error(exc: ProfileError, path: Path, name: str) -> str:
    """'council.yaml, line 3: ...': the file as the person knows it, never our temporary copy's path."""
    where = name + (f", line {exc.line}" if exc.line else "")
    message = exc.message.replace(str(path), name)
    return f"{where}: {message[:1].upper()}{message[1:]}" + ("" if message.endswith(".") else ".")


def _program() -> str:
    from policy_builder.interview.session import program

    return program()


def _period(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _default_note(question: Question) -> str | None:
    if question.default_from and question.default_from != "build_date":  # the build date's help already says so
        return "Leave it blank to use your answer above."
    return None


def _review_answer(interview: Interview, question: Question) -> dict[str, Any]:
    if interview.is_answered(question.id):
        return {"text": describe_answer(question, interview.answers[question.id]), "kind": "answered"}
    offered = interview.offered(question)
    if offered is None and question.required:
        return {"text": "Not answered yet", "kind": "missing"}
    return {"text": describe_answer(question, offered), "kind": "default"}


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


# --- serving ----------------------------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    """Logs only failures: a manager's terminal should not fill with one line per page."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith("5"):
            super().log_request(code, size)


def serve(
    library: Library,
    profiles_dir: Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    echo: Callable[[str], None] = print,
    read_policy: PolicyReader | None = None,
) -> None:
    """Serve the browser wizard on 127.0.0.1 until Ctrl-C."""
    temp_root = tempfile.mkdtemp(prefix="policy-builder-serve-")
    key = secrets.token_urlsafe(18)
    app = create_app(library, profiles_dir, temp_root=temp_root, access_key=key, read_policy=read_policy)
    try:
        server = _make_server(app, port, echo)
        url = f"http://127.0.0.1:{server.port}/?key={key}"
        echo(f"policy-builder is running at {url}")
        echo(f"Profiles are saved in {display_path(profiles_dir)}/. Press Ctrl-C here to stop.")
        waiting = _waiting_drafts(profiles_dir)
        if waiting:
            echo(
                f"{waiting} unfinished set{'' if waiting == 1 else 's'} of answers in "
                f"{display_path(Path(profiles_dir) / 'drafts')}/: the start page offers "
                f"{'it' if waiting == 1 else 'them'}."
            )
        if open_browser:
            threading.Timer(0.3, _open, (url, echo)).start()
        previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
        try:
            server.serve_forever()  # werkzeug's returns on Ctrl-C
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.server_close()
        echo(
            f"\nStopped. Every section you saved is kept as a draft in {display_path(Path(profiles_dir) / 'drafts')}/: "
            f"run {_program()} serve again to carry on."
        )
    finally:
        shutil.rmtree(temp_root, ignore_errors=True)


def _waiting_drafts(profiles_dir: Path) -> int:
    from policy_builder.pipeline.profile_edit import drafts_folder, list_drafts

    return len(list_drafts(drafts_folder(profiles_dir)))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _make_server(app: Flask, port: int | None, echo: Callable[[str], None] | None = None) -> Any:
    """A threaded server on 127.0.0.1; a port in use falls back at once to any free one (and says so)."""
    wanted = DEFAULT_PORT if port is None else port
    candidates = [wanted, 0] if wanted else [0]
    for index, candidate in enumerate(candidates):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if os.name == "posix":
            # A restart can reuse the port at once instead of waiting out the last run's closed connections
            # (on POSIX this never lets two servers listen on one port; on Windows it would, so not there).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", candidate))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            if index + 1 < len(candidates):
                if port is not None and echo is not None:
                    echo(f"Port {candidate} is in use ({exc.strerror or 'busy'}), so policy-builder uses a free one.")
                continue  # the port is taken: any free one will do
            raise PolicyBuilderError(
                f"cannot listen on 127.0.0.1 ({exc.strerror or 'no free port'}); nothing was started"
            ) from None
        try:
            bound = sock.getsockname()[1]
            return make_server("127.0.0.1", bound, app, threaded=True, request_handler=QuietHandler, fd=sock.fileno())
        finally:
            sock.close()  # werkzeug works on its own duplicate of the socket
    raise AssertionError("unreachable")  # pragma: no cover


def _open(url: str, echo: Callable[[str], None]) -> None:
    opened = False
    # On Linux without a desktop, webbrowser falls back to a text browser that would take over this terminal.
    desktop = not sys.platform.startswith("linux") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if desktop:
        try:
            opened = webbrowser.open(url)
        except Exception:  # noqa: BLE001 - no browser is not an error: the address is printed
            opened = False
    if not opened:
        echo(f"Open {url} in your web browser.")


__all__ = ["create_app", "serve", "field_id", "MAX_UPLOAD_BYTES"]
