"""Shared test setup: snapshots keep their history cache in a temporary folder, never in the
user's ~/.cache (``FLOWTERM_CACHE_DIR``, read by ``flowterm.core.history``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _history_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FLOWTERM_CACHE_DIR", str(tmp_path_factory.mktemp("flowterm-cache")))
        yield
