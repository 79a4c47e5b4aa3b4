"""Build hook: say in one line what to install when Node.js/npm is missing.

The front end (js/) is bundled by npm at install time (hatch-jupyter-builder
runs after this hook). Without npm that step fails with a long traceback that
never names the fix; this hook stops first with one line that does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MESSAGE = (
    "tsvideo-widget: installing from a source checkout builds the front end with Node.js (18 or "
    "newer) and npm, and npm was not found on PATH. Install them (Debian/Ubuntu: sudo apt-get "
    "install -y nodejs npm; or https://nodejs.org), then run pip install again."
)


class NodeCheckHook(BuildHookInterface):
    """Stops the build with :data:`MESSAGE` when the bundle must be built and npm is missing."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Runs before hatch-jupyter-builder's npm step."""
        bundle = Path(self.root) / "tsvideo_widget" / "static" / "widget.js"
        if shutil.which("npm") is None and not bundle.exists():
            raise SystemExit(MESSAGE)
