"""Safety on a shared machine: who may reach the app, forged forms, and headers that keep answers private.

Only requests addressed to 127.0.0.1 or localhost are answered (a web page
elsewhere cannot reach the app by DNS rebinding); with an access key, only a
browser that opened the printed address gets in (another user of the same
computer can reach 127.0.0.1 but does not know the key); every form carries a
CSRF token tied to the browser's signed cookie.
"""

from __future__ import annotations

import ctypes
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, abort, request, session

ALLOWED_HOSTS = ("127.0.0.1", "localhost")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def init_app(app: Flask, access_key: str | None) -> None:
    """Check every request before it reaches a page, and add the privacy headers to every answer."""

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
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"  # answers must not linger in a shared machine's cache
        return response


def csrf_token() -> str:
    """This browser's CSRF token, made on first use; every form on every page carries it."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


# --- a time budget for slow requests --------------------------------------------------------------------------


class TooSlow(Exception):  # noqa: N818 - said as the page says it: the work was too slow
    """Raised in a request's thread when its time budget runs out."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc  # no argtypes: None must go as NULL (clears)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop the work inside after ``seconds``: TooSlow is raised in this thread, which goes back to answering.

    A request thread must not be held for minutes by one upload or build (a
    254 KB profile with 5,000 local entries held one for 203 s). Python cannot
    kill a thread, so a timer raises TooSlow inside it at its next Python
    instruction (CPython's PyThreadState_SetAsyncExc); the builds write through
    a staging folder, so a stopped build leaves the last good files as they
    were. A long call inside C code is stopped as soon as it returns.
    """
    if not seconds or seconds <= 0:
        yield
        return
    thread = threading.get_ident()
    guard = threading.Lock()
    state = {"done": False, "fired": False}

    def stop() -> None:
        with guard:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(ctypes.c_ulong(thread), ctypes.py_object(TooSlow))

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:
            state["done"] = True
            timer.cancel()
            if state["fired"]:
                _set_async_exc(
                    ctypes.c_ulong(thread), None
                )  # not yet delivered: it must not fire later, outside this block
