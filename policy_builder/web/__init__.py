"""`policy-builder serve`: the questionnaire as web pages on this machine, for people who never open a terminal.

The questionnaire logic (what applies, reading answers, gaps) is interview.py's,
shared with the terminal wizard; this package only shows pages and keeps each
browser's answers until they are saved into the profiles folder.
"""

from policy_builder.web.app import create_app, serve

__all__ = ["create_app", "serve"]
