"""Settings every test shares.

The widget keeps pyramids, sidecar columns and cached windows in the user's
cache folder by default (``$XDG_CACHE_HOME/tsvideo-widget``). Tests that do not
pass ``cache_dir=`` would otherwise write there and read back what an earlier
run left; so the whole session, kernels it starts included (they inherit the
environment), gets a cache folder of its own that is removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(home))
        yield home
