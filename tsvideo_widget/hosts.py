"""What the kernel tells the front end's host adapters (``js/hosts/``).

The browser decides where media bytes come from, host by host: Jupyter's
``/files/`` handler, the kernel, a URL, or a path beside a static page. The
only host-specific facts the kernel holds are where the notebook server's
files are: the kernel's home and working directories, and the notebook's
absolute path (``JPY_SESSION_NAME``, set by jupyter_server), which with the
page's URL gives the server's root where the page config does not (Notebook 7).
They are added to the media description here, and nowhere else.
"""

from __future__ import annotations

import os
from typing import Any

from .media import MediaSource

__all__ = ["media_json", "server_hints"]


def server_hints() -> dict[str, str]:
    """Where this kernel's files are, for the Jupyter host's ``/files/`` URLs.

    Returns ``home`` and ``cwd`` (absolute paths), and ``session`` (the
    notebook's absolute path) when jupyter_server set ``JPY_SESSION_NAME``.
    """
    hints = {"home": os.path.expanduser("~"), "cwd": os.getcwd()}
    session = os.environ.get("JPY_SESSION_NAME")
    if session:
        hints["session"] = session
    return hints


def media_json(source: MediaSource, track: str) -> dict[str, Any]:
    """One entry of the ``_media`` trait: track ``track``'s description, plus server hints
    for a file."""
    out = source.to_json()
    out["track"] = track
    if source.source == "file":
        out.update(server_hints())
    return out
