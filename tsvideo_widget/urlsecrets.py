"""Secrets in URLs: which query or fragment parameters (and user names and
passwords) count as secrets, and URLs with them masked for messages.

A media URL is stored in the notebook's widget state, so one that carries a
secret is refused (:mod:`tsvideo_widget.media`); data URLs are shown masked.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = ["SECRET_PARAMS", "mask_url", "secrets_in"]

SECRET_PARAMS: frozenset[str] = frozenset(
    {
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "signature",
        "sig",
        "key",
        "api_key",
        "apikey",
        "api-key",
        "access_key",
        "secret_key",
        "private_key",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "auth",
        "authorization",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
    }
)
"""Query (or fragment) parameter names taken for secrets (lower case; compared case-insensitively).

Names ending in "token", "secret", "signature", "password" or "credential"
count too. A media URL with a non-empty one of them, or with a user name or
password, is refused: the URL would be saved in the notebook's widget state.
"""

_SECRET_SUFFIXES = ("token", "secret", "signature", "password", "credential")


def _is_secret_param(name: str) -> bool:
    n = unquote_plus(name).strip().lower()
    return n in SECRET_PARAMS or n.endswith(_SECRET_SUFFIXES)


def _mask_params(params: str) -> tuple[str, list[str]]:
    """``params`` (a query or fragment) with secret values masked, and the secret names."""
    out, found = [], []
    for piece in params.split("&"):
        name, _, value = piece.partition("=")
        if value and _is_secret_param(name):
            found.append(unquote_plus(name))
            piece = f"{name}=***"
        out.append(piece)
    return "&".join(out), found


def secrets_in(url: str) -> tuple[str, list[str]]:
    """``url`` with its secrets masked, and what they are (empty when there are none)."""
    parts = urlsplit(url)
    what = []
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
        what.append("a user name or password")
    query, in_query = _mask_params(parts.query)
    fragment, in_fragment = _mask_params(parts.fragment)
    what += [f"the parameter {n!r}" for n in in_query + in_fragment]
    if not what:
        return url, what
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment)), what


def mask_url(url: str) -> str:
    """``url`` for messages: user name, password and secret-looking parameters become ``***``.

    Long URLs (a ``data:`` URL, say) are cut to 200 characters.
    """
    try:
        masked = secrets_in(url)[0]
    except ValueError:  # not parseable (a broken IPv6 host, say): show only its scheme
        return url.split("://", 1)[0][:20] + "://***" if "://" in url else "***"
    return masked if len(masked) <= 200 else masked[:200] + "..."
