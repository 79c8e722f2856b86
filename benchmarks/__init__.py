"""flowterm benchmarks: ``python -m benchmarks NAME`` from the repository's top folder.

Each benchmark is a module here with a ``run(argv) -> int`` function, registered in
``BENCHMARKS`` (``benchmarks/__main__.py`` dispatches on the name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import history

#: name → (one-line description, entry point taking the remaining arguments).
BENCHMARKS: dict[str, tuple[str, Callable[[Sequence[str]], int]]] = {
    "history": (history.__doc__.splitlines()[0] if history.__doc__ else "", history.run),
}
