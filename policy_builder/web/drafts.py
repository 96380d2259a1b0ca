"""Each browser's answers while it works, kept on disk so no browser ever loses them to another.

A draft is one tab's answers and built files. It lives in a private folder
(mode 0700) under the server's temporary folder, named by its random token,
and its state is written there as JSON after every request that used it: the
few kept in memory are only a cache, so a draft is never dropped while a
browser still holds its cookie, however many other browsers start. The
answers also go to ``profiles/drafts`` as a YAML draft after every section
(they survive a stopped server); the state here is what the pages need beyond
the answers (sections reached, notices, built files).

The server's temporary folder holds a lock while the server runs: a server
that was killed leaves its folder unlocked, and the next one removes it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import abort, current_app, g, request, session

from policy_builder.content.library import Library
from policy_builder.content.models import DraftStatus, GapWarning, OpenQuestion
from policy_builder.core.errors import PolicyBuilderError
from policy_builder.interview.session import Flag, Interview

log = logging.getLogger("policy_builder.web")

LIVE_DRAFTS = 64  # drafts kept in memory as well as on disk; the rest are read back when their browser returns
TEMP_PREFIX = "policy-builder-serve-"
LOCK_NAME = ".running"  # held (flock) by the server using the folder
STATE_NAME = "state.json"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16}$")  # secrets.token_urlsafe(12): only such names reach the disk


@dataclass
class Draft:
    """One browser tab's answers and files."""

    interview: Interview
    folder: Path  # private folder: the uploaded profile, the built files and this state
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
    status: DraftStatus | None = None  # the built policy's draft status: whether it is a draft, and why
    users: int = 0  # requests using it now: it stays in memory until they are done (never two copies)

    # --- kept as JSON: plain values only, never code (pickle would run whatever a changed file says) ---
    def state(self) -> dict[str, Any]:
        interview = self.interview
        return _plain(
            {
                "answers": interview.answers,
                "build_date": interview.build_date,
                "invalid": interview.invalid,
                "flags": [[f.question, f.key, f.message] for f in interview.flags],
                "profile_version": interview.profile_version,
                "reached": sorted(self.reached),
                "origin": self.origin,
                "target": self.target,
                "based_on": self.based_on,
                "notices": self.notices,
                "last_section": self.last_section,
                "built": self.built,
                "downloads": self.downloads,
                "built_gaps": [w.__dict__ for w in self.built_gaps],
                "leaflet_grade": self.leaflet_grade,
                "token": self.token,
                "sid": self.sid,
                "file": self.file,
                "typed": self.typed,
                "status": None
                if self.status is None
                else {"unapproved": self.status.unapproved, "open": [q.__dict__ for q in self.status.open_questions]},
            }
        )

    @classmethod
    def from_state(cls, library: Library, folder: Path, state: dict[str, Any]) -> Draft:
        interview = Interview(
            library,
            answers=state["answers"],
            build_date=state["build_date"],
            invalid=state["invalid"],
            flags=[Flag(*f) for f in state["flags"]],
            profile_version=state["profile_version"],
        )
        path = _path
        status = state["status"]
        return cls(
            interview=interview,
            folder=folder,
            reached=set(state["reached"]),
            origin=state["origin"],
            target=path(state["target"]),
            based_on=path(state["based_on"]),
            notices=state["notices"],
            last_section=state["last_section"],
            built=[(kind, Path(p)) for kind, p in state["built"]],
            downloads={name: Path(p) for name, p in state["downloads"].items()},
            built_gaps=[GapWarning(**_gap_fields(w)) for w in state["built_gaps"]],
            leaflet_grade=state["leaflet_grade"],
            token=state["token"],
            sid=state["sid"],
            file=path(state["file"]),
            typed=state["typed"],
            status=None
            if status is None
            else DraftStatus(status["unapproved"], tuple(OpenQuestion(**q) for q in status["open"])),
        )


def _write_state(draft: Draft) -> None:
    """The state as JSON, swapped in whole (a reader never sees half); not synced to disk: it is only needed
    while this server runs, and its folder goes when the server stops."""
    temporary = draft.folder / f".{STATE_NAME}.{threading.get_ident()}"
    temporary.write_text(json.dumps(draft.state(), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, draft.folder / STATE_NAME)


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def _plain(value: Any) -> Any:
    """JSON-ready: dates tagged, paths as text, tuples and sets as lists, every key text."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def _dated(value: dict[str, Any]) -> Any:
    if len(value) == 1 and "$date" in value:
        return dt.date.fromisoformat(value["$date"])
    if len(value) == 1 and "$datetime" in value:
        return dt.datetime.fromisoformat(value["$datetime"])
    return value


class Drafts:
    """Every browser's drafts: on disk under ``root``, the most recently used also in memory."""

    def __init__(self, root: Path, library: Library) -> None:
        self.root = root
        self.library = library
        self._live: OrderedDict[str, Draft] = OrderedDict()  # by token, least recently used first
        self._owners: dict[str, tuple[str, Path | None]] = {}  # token -> (browser, draft file): every draft
        self._lock = threading.Lock()

    def folder(self, prefix: str) -> Path:
        """A new temporary folder, private to this user (mode 0700)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.root))

    def get(self, token: str | None, sid: str | None = None, *, use: bool = False) -> Draft | None:
        """The draft ``token`` of browser ``sid``, from memory or disk; ``use``: counted as in use until
        ``done`` (in the same step, so it cannot leave memory in between)."""
        if not token or not _TOKEN.match(token):
            return None
        with self._lock:
            owner = self._owners.get(token)
            if owner is None or (sid is not None and owner[0] != sid):
                return None
            draft = self._live.get(token)
            if draft is None:
                draft = self._read(token)
                if draft is None:
                    return None
                self._live[token] = draft
                self._trim()
            self._live.move_to_end(token)
            if use:
                draft.users += 1
            return draft

    def start(self, sid: str, interview: Interview) -> Draft:
        """A new set of answers for this browser. Others it has stay: another tab may still be on them."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = secrets.token_urlsafe(12)
        folder = self.root / f"draft-{token}"
        folder.mkdir(mode=0o700)
        draft = Draft(interview=interview, folder=folder, sid=sid, token=token, users=1)  # its request uses it
        self.save(draft)
        with self._lock:
            self._owners[token] = (sid, None)
            self._live[token] = draft
            self._trim()
        return draft

    def save(self, draft: Draft) -> None:
        """Write the draft's state beside its files, so it can be read back after it leaves memory."""
        with draft.lock:
            _write_state(draft)
        with self._lock:
            if draft.token in self._owners:
                self._owners[draft.token] = (draft.sid, draft.file)

    def done(self, draft: Draft, *, save: bool = True) -> None:
        """A request has finished with ``draft``: its state is written, and it may leave memory."""
        try:
            if save:
                self.save(draft)
        finally:
            with self._lock:
                draft.users -= 1

    def with_file(self, sid: str, file: Path) -> Draft | None:
        """This browser's answers already open from the draft ``file``."""
        with self._lock:
            token = next((t for t, (s, f) in self._owners.items() if s == sid and f == file), None)
        return self.get(token, sid) if token else None

    def _trim(self) -> None:
        """Leave memory, least recently used first, any draft no request is using (its state is on disk)."""
        for token in list(self._live):
            if len(self._live) <= LIVE_DRAFTS:
                return
            draft = self._live[token]
            if draft.users == 0 and draft.lock.acquire(blocking=False):  # in use by a request: stays
                try:
                    _write_state(draft)
                    del self._live[token]
                except OSError:
                    continue  # not written: it stays in memory rather than be lost
                finally:
                    draft.lock.release()

    def _read(self, token: str) -> Draft | None:
        folder = self.root / f"draft-{token}"
        try:
            state = json.loads((folder / STATE_NAME).read_text(encoding="utf-8"), object_hook=_dated)
        except (OSError, ValueError):
            return None  # its folder was removed: the answers are in profiles/drafts
        return Draft.from_state(self.library, folder, state)


# --- the draft a request is about -------------------------------------------------------------------------


def store() -> Drafts:
    drafts: Drafts = current_app.extensions["policy_builder.drafts"]
    return drafts


def current() -> Draft | None:
    """The answers this request is about: the form's own (its tab's), else the browser's latest."""
    sid = session.get("sid")
    if not sid:
        return None
    posted = request.form.get("draft") if request.method == "POST" else None
    draft = _fetch(session.get("draft"), sid)
    if posted and draft is not None and posted != draft.token:
        other = _fetch(posted, sid)
        if other is None:
            abort(409)  # answers no longer held here: never let them land in another draft
        # This tab's answers belong to another draft than the browser's latest: carry on with them,
        # and say so, so a second tab never writes into (or silently replaces) the first one's answers.
        session["draft"] = other.token
        name = draft.interview.answers.get("organisation.name")
        other.notices.append(
            "You were working on other answers"
            + (f" (for {name})" if name else "")
            + " in another tab or window. This page carries on with its own answers; "
            "the other answers are kept as a draft, listed on the start page."
        )
        draft = other
    return draft


def need() -> Draft:
    draft = current()
    if draft is None:
        abort(409)
    return draft


def new(interview: Interview) -> Draft:
    sid = session.get("sid") or secrets.token_urlsafe(24)
    session["sid"] = sid
    draft = store().start(sid, interview)
    session["draft"] = draft.token
    _used()[draft.token] = draft
    return draft


def _fetch(token: str | None, sid: str) -> Draft | None:
    """A draft for this request, counted in use until the request ends (once, however often it is fetched)."""
    draft = store().get(token, sid, use=True)
    if draft is not None:
        used = _used()
        if draft.token in used:
            store().done(draft, save=False)  # already counted for this request
        else:
            used[draft.token] = draft
    return draft


def _used() -> dict[str, Draft]:
    if "drafts_used" not in g:
        g.drafts_used = {}
    used: dict[str, Draft] = g.drafts_used
    return used


def save_used() -> None:
    """After a request: the state of every draft it used, written to disk (called by the app's teardown)."""
    for draft in g.pop("drafts_used", {}).values():
        try:
            store().done(draft)
        except OSError as exc:  # a full disk: the draft stays in memory, and its answers are in profiles/drafts
            log.warning("Could not keep the state of a draft on disk: %s", exc)


# --- drafts in profiles/drafts: the answers survive a closed browser, a restart or a second tab ------------


def keep(draft: Draft, profiles: Path) -> None:
    """Save the answers so far to this draft's file in profiles/drafts (never over a finished profile)."""
    interview = draft.interview
    based_on = None
    if draft.file is None:
        draft.file = interview.new_draft_file(profiles, draft.target.stem if draft.target is not None else None)
        based_on = draft.based_on  # the first save keeps the profile's comments; later ones the draft's
    interview.keep_draft(draft.file, of=draft.target, based_on=based_on)


def try_keep(draft: Draft, profiles: Path) -> None:
    try:
        keep(draft, profiles)
    except (PolicyBuilderError, OSError) as exc:
        text = str(exc).strip()
        draft.notices.append(
            f"Your answers could not be saved as a draft: {text if text.endswith(('.', '?', '!')) else text + '.'}"
        )


def drop_file(draft: Draft) -> None:
    if draft.file is not None:
        draft.file.unlink(missing_ok=True)
        try:
            draft.file.parent.rmdir()  # only when empty
        except OSError:
            pass
        draft.file = None


# --- the server's private temporary folder -----------------------------------------------------------------


def private_temp(parent: str | Path | None = None) -> tuple[Path, Any]:
    """A new private folder for this server's drafts, locked while the process lives; (folder, lock handle).

    The handle must stay open for as long as the server runs: closing it (or the
    process dying, however it dies) releases the lock, which tells the next
    server that the folder is left over.
    """
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent))
    handle = open(folder / LOCK_NAME, "w")  # noqa: SIM115 - held open for the server's life
    try:
        import fcntl
    except ImportError:  # Windows: no flock; left-over folders are then only removed at a clean exit
        return folder, handle
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    return folder, handle


def clean_left_over(parent: str | Path | None = None) -> list[Path]:
    """Remove the temporary folders of servers that died without cleaning up (killed, or the power cut)."""
    try:
        import fcntl
    except ImportError:
        return []
    removed = []
    parent = Path(parent or tempfile.gettempdir())
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(TEMP_PREFIX)]
    except OSError:
        return []
    for folder in candidates:
        try:
            info = folder.lstat()
            if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
                continue  # only our own folders, never through a link
            lock = folder / LOCK_NAME
            if not lock.is_file():
                continue  # being created this moment, or not one of ours
            with open(lock, "a") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a running server holds it
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:
            continue
    return removed


def _gap_fields(saved: dict[str, Any]) -> dict[str, Any]:
    """A gap warning's fields as saved in JSON: lists were tuples."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in saved.items()}
