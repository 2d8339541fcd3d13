"""The current request's principal. The sign-in layer (app.auth.signin) sets ``flask.g.principal``
before any page or callback runs; nothing runs unauthenticated."""
from __future__ import annotations

import flask

from app.auth.policy import Forbidden, Principal


def current_principal() -> Principal:
    p = getattr(flask.g, "principal", None)
    if p is None:
        raise Forbidden("Not signed in")
    return p
