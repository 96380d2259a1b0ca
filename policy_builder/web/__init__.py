"""`policy-builder serve`: the questionnaire as web pages on this machine, for people who never open a terminal.

The questionnaire logic (what applies, reading answers, gaps, saving) is
``interview.session.Interview``'s, shared with the terminal wizard. Here:
``app.py`` the app factory, ``pages.py`` the wizard's pages (a blueprint),
``security.py`` the checks on every request, ``drafts.py`` each browser's
answers in progress, ``serve.py`` the local server.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazily: the submodules import this package first, and the CLI imports Flask only when `serve` runs.
    if name == "create_app":
        from policy_builder.web.app import create_app

        return create_app
    raise AttributeError(name)


# `serve` (the command's function) is policy_builder.web.serve.serve: the module of that name is an attribute here.
__all__ = ["create_app"]
