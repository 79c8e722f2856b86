"""Casting generated frames onto the canonical dtypes declared in ``flowterm.core.schema``."""

from __future__ import annotations

import polars as pl

from ..schema import UTC_TS, KindSpec


def conform(frame: pl.DataFrame, spec: KindSpec) -> pl.DataFrame:
    """``frame`` cast to the contract's dtypes (Int64 epoch-ns → ``Datetime(ns, UTC)``).

    Every column must be a column of ``spec``; the frame's column order is kept.
    """
    dtypes = {c.name: c.dtype for c in spec.columns}
    exprs: list[pl.Expr] = []
    for name in frame.columns:
        if name not in dtypes:
            raise KeyError(f"{name} is not a column of {spec.kind}")
        dtype = dtypes[name]
        if dtype == UTC_TS and frame.schema[name] == pl.Int64:
            exprs.append(pl.col(name).cast(pl.Datetime("ns")).dt.replace_time_zone("UTC"))
        else:
            exprs.append(pl.col(name).cast(dtype))
    return frame.select(exprs)
