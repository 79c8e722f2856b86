"""Run the app headless until its first snapshot is painted; print the wall-clock time then.

Run by path (``python benchmarks/first_paint.py [DATA_DIR]``), not through the benchmarks
package, so that nothing but the app is imported before it starts (the cold start measured by
``benchmarks.app``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path


async def main(data: Path | None) -> None:
    from flowterm.tui.app import FlowtermApp

    app = FlowtermApp(data, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.snapshot is None:
            await asyncio.sleep(0.005)
        await pilot.pause()  # the frame with the snapshot is composed and painted
        print(f"painted {time.time():.6f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
