"""flowterm.core: pure analysis over Polars frames. Never imports textual, rich or the UI."""
