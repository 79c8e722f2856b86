"""flowterm benchmarks: ``python -m benchmarks NAME`` from the repository's top folder.

Each benchmark is a module here with a ``run(argv) -> int`` function, registered in
``BENCHMARKS`` (``benchmarks/__main__.py`` dispatches on the name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType

from . import app, history, tape


def _about(module: ModuleType) -> str:
    return module.__doc__.splitlines()[0] if module.__doc__ else ""


#: name → (one-line description, entry point taking the remaining arguments).
BENCHMARKS: dict[str, tuple[str, Callable[[Sequence[str]], int]]] = {
    "tape": (_about(tape), tape.run),
    "app": (_about(app), app.run),
    "history": (_about(history), history.run),
}
