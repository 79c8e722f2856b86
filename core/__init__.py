"""flowterm.core: pure analysis over Polars frames. Never imports textual, rich or the UI."""

import os as _os

import polars as _pl

# flowterm runs many small queries (summaries, per-session tables) and a few large passes over
# print tapes. Polars 2 runs a query without a named engine on its streaming engine, which on a
# small frame costs about twice the in-memory engine's time and leaves more behind in the
# allocator on every run (the soak's memory; docs/decisions.md). The tapes' large passes name the
# streaming engine themselves (``tape._ENGINE``, ``flow.ENGINE``), so queries that name none run
# in memory. A user's own POLARS_ENGINE_AFFINITY is left as it is.
if "POLARS_ENGINE_AFFINITY" not in _os.environ:
    _pl.Config.set_engine_affinity("in-memory")
