"""The app's overlays, one module each (imported when first opened, so the first frame does not
wait for Polars): ``help``, ``explain``, ``drill`` (drill-down), ``log``, ``jump`` (ticker jump),
with ``table`` (the paged frame table), ``base`` (the modal panel) and ``text`` (untrusted text).
"""
