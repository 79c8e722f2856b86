"""Where flowterm finds the sample market it ships with."""

from __future__ import annotations

from pathlib import Path


def bundled_data_dir() -> Path:
    """The bundled sample data folder.

    The repository's ``data/`` is installed as ``flowterm/data`` next to ``flowterm/core``; in an
    editable install ``core/`` and ``data/`` sit side by side in the checkout. Both resolve to the
    sibling of this package's folder.
    """
    return Path(__file__).resolve().parent.parent / "data"
