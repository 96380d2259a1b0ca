"""The browser wizard's app factory: a small Flask app served on 127.0.0.1 only.

``create_app`` puts together the wizard's pages (``web/pages.py``, a
blueprint), the checks on every request (``web/security.py``), each browser's
drafts (``web/drafts.py``) and plain error pages; ``web/serve.py`` runs it.
Uploads are size-limited and read with the same safe loader as any profile,
and errors are shown as plain pages, never a traceback.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import secrets
import shutil
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from policy_builder.content.library import Library
from policy_builder.core.errors import PolicyBuilderError
from policy_builder.interview.preview import PLACEHOLDER, left_out_text, passage_note
from policy_builder.interview.session import PolicyReader
from policy_builder.web import drafts, security
from policy_builder.web.pages import (
    BUILD_SECONDS,
    MAX_TEMPLATE_BYTES,
    MAX_UPLOAD_BYTES,
    UPLOAD_SECONDS,
    Wizard,
    bp,
    field_id,
    section_url,
)
from policy_builder.web.security import TooSlow

log = logging.getLogger("policy_builder.web")


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
    ``?key=<access_key>`` (the one printed at start) gets in. Without
    ``temp_root``, drafts go to a new private temporary folder removed at exit.
    """
    app = Flask(__name__)
    # The preview macro runs outside a request too (the /applies reply), so these are globals.
    app.jinja_env.globals.update(placeholder=PLACEHOLDER, passage_note=passage_note, left_out_text=left_out_text)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # new each start: cookies from an earlier run no longer count
        MAX_CONTENT_LENGTH=MAX_TEMPLATE_BYTES + 64 * 1024,  # a profile upload is held to MAX_UPLOAD_BYTES in pages
        SESSION_COOKIE_NAME="policy_builder_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        TEMPLATES_AUTO_RELOAD=False,
        UPLOAD_SECONDS=UPLOAD_SECONDS,
        BUILD_SECONDS=BUILD_SECONDS,
    )
    if temp_root is None:
        temp_root, lock = drafts.private_temp()
        atexit.register(shutil.rmtree, temp_root, True)
        app.extensions["policy_builder.temp_lock"] = lock  # held while the app lives: the folder is in use
    # Absolute: send_file would read a relative path inside the package folder, not the working folder.
    # With read_policy (the command line passes the audit's reader), the start page offers "Start from our current policy".
    app.extensions["policy_builder"] = Wizard(
        library, Path(profiles_dir).absolute(), build_date, read_policy=read_policy
    )
    app.extensions["policy_builder.drafts"] = drafts.Drafts(Path(temp_root), library)

    security.init_app(app, access_key)
    app.register_blueprint(bp)

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"csrf_token": security.csrf_token, "section_url": section_url, "field_id": field_id}

    @app.teardown_request
    def keep_drafts(exc: BaseException | None) -> None:
        drafts.save_used()  # whatever happened, the state of the drafts this request used is on disk

    # --- errors: plain pages, never a traceback (their wording is in error.html) ------------------
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        reason = exc.description if exc.description in ("host", "key", "csrf") else str(code)
        return render_template("error.html", reason=reason, max_kb=MAX_UPLOAD_BYTES // 1024), code

    @app.errorhandler(PolicyBuilderError)
    def policy_error(exc: PolicyBuilderError) -> Any:
        detail = str(exc).strip()
        return render_template(
            "error.html", reason="files", detail=detail if detail.endswith(".") else detail + "."
        ), 400

    @app.errorhandler(TooSlow)
    def too_slow(exc: TooSlow) -> Any:
        # The pages that expect it (uploading, building) say more; any other slow step is stopped the same way.
        detail = "policy-builder stopped it, so that other pages stay quick. Your answers so far are kept: try again."
        return render_template("error.html", reason="slow", detail=detail), 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("Unexpected error while answering %s %s", request.method, request.path)
        return render_template("error.html", reason="500"), 500

    return app


__all__ = ["create_app", "MAX_UPLOAD_BYTES"]
