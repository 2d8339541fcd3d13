"""Security headers on every response, and a log filter that keeps references out of server logs.

The Content-Security-Policy allows scripts from this origin only. Dash writes two inline scripts into
its page (the renderer's start-up line and the clientside callbacks); rather than allow every inline
script, each HTML response's own inline scripts are hashed into its policy. Styles need
``'unsafe-inline'``: plotly.js and React set styles at run time. Images allow ``data:``/``blob:`` for
plotly's PNG download and the dcc.Download links. No third-party origin is allowed anywhere.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re

import flask

# Dash's static bundles and the app's assets may be cached; everything else may carry data.
CACHEABLE_PREFIXES = ("/_dash-component-suites/", "/assets/", "/auth/static/", "/_favicon.ico")

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(html: bytes | None = None) -> str:
    policy = dict(BASE_POLICY)
    if html:
        hashes = sorted(
            {
                "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + "'"
                for body in _INLINE_SCRIPT.findall(html)
            }
        )
        if hashes:
            policy["script-src"] = " ".join(["'self'", *hashes])
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def add_security_headers(response: flask.Response) -> flask.Response:
    is_html = response.mimetype == "text/html" and not response.direct_passthrough
    response.headers["Content-Security-Policy"] = content_security_policy(
        response.get_data() if is_html else None
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if not flask.request.path.startswith(CACHEABLE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


# A person id is a 64-hex keyed hash; references on case lists are its first 12 hex digits.
HEX_TOKEN = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{12})(?![0-9A-Fa-f])")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return HEX_TOKEN.sub(REDACTED, text)


class RedactReferences(logging.Filter):
    """Replace anything shaped like a person id or reference in a log record (message and arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


# werkzeug: the development server's access log; gunicorn.*: the production server's logs.
REDACTED_LOGGERS = ("", "werkzeug", "gunicorn.access", "gunicorn.error", "dash", "app")


def install_log_redaction() -> None:
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactReferences) for f in logger.filters):
            logger.addFilter(RedactReferences())
