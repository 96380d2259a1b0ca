"""`policy-builder serve`: the browser wizard on this machine, for people who never open a terminal.

The local server (127.0.0.1 only, threaded), its port (a port in use falls
back at once to a free one), opening the browser, and the server's private
temporary folder: made locked at start, removed at exit, and the folders of
servers that died without removing theirs are removed at the next start.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server as werkzeug_server

from policy_builder.content.library import Library
from policy_builder.core.errors import PolicyBuilderError, display_path
from policy_builder.interview.session import PolicyReader, program
from policy_builder.web.app import create_app
from policy_builder.web.drafts import clean_left_over, private_temp

DEFAULT_PORT = 8765


def warm_up(library: Library) -> None:
    """Do now what the first build would do first, while the person answers the questions (issue 20): import
    the build's modules, read the staff card's and leaflet's wording, open and check the Word template, and
    load the syllables kept for reading levels. Best effort: a problem here is the build's to report."""
    try:
        from policy_builder.build import build_profile  # noqa: F401  # imported for the build to find ready
        from policy_builder.render import reading
        from policy_builder.render.docx import render_docx  # noqa: F401
        from policy_builder.render.docx.template import open_template
        from policy_builder.render.summary import load_leaflet, load_summary

        load_summary(library.root)
        load_leaflet(library.root)
        open_template()
        reading.count_syllables("policy")  # loads the syllables kept (the dictionary only if they are gone)
    except Exception:  # noqa: BLE001 - warming up must never stop the server; the build reports any problem
        pass


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
    clean_left_over()  # the folders of servers that were killed (a SIGKILL runs no exit handler)
    temp_root, lock = private_temp()
    key = secrets.token_urlsafe(18)
    app = create_app(library, profiles_dir, temp_root=temp_root, access_key=key, read_policy=read_policy)
    try:
        server = make_server(app, port, echo)
        threading.Thread(target=warm_up, args=(library,), name="warm-up", daemon=True).start()
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
            f"run {program()} serve again to carry on."
        )
    finally:
        shutil.rmtree(temp_root, ignore_errors=True)
        lock.close()


def _waiting_drafts(profiles_dir: Path) -> int:
    from policy_builder.pipeline.profile_edit import drafts_folder, list_drafts

    return len(list_drafts(drafts_folder(profiles_dir)))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def make_server(app: Flask, port: int | None, echo: Callable[[str], None] | None = None) -> Any:
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
            return werkzeug_server(
                "127.0.0.1", bound, app, threaded=True, request_handler=QuietHandler, fd=sock.fileno()
            )
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


__all__ = ["serve", "make_server", "QuietHandler", "DEFAULT_PORT"]
