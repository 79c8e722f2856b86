"""Reference implementations of the options side decomposition (METHODOLOGY §1.2, §2.1), for
the tape benchmark to compare flowterm against: straightforward pandas, DuckDB SQL, and a bare
Polars streaming query (flowterm's own floor).

Each reads the same canonical option-prints Parquet file and returns, per underlying, the
premium of calls bought (CB), calls sold (CS), puts bought (PB), puts sold (PS) and unknown
side (U), and the prints counted, by flowterm's default rule: cancelled and late prints and
prints without positive premium left out; multi-leg prints, prints without a usable quote
(missing, ≤ 0, crossed, locked) and prints in the middle 40 % of the spread are UNKNOWN; at or
above the ask (or in the top 30 % of the spread) is BUY, at or below the bid (bottom 30 %) is
SELL; ε = 1e-4. Unlike flowterm they trust the file: no row is validated, nothing is traced.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from flowterm.core.catalog import DataFile

EPS: Final = 1e-4
UPPER: Final = 0.70
LOWER: Final = 0.30
#: Cancelled and late prints (excluded), and multi-leg prints (UNKNOWN): flowterm's defaults.
EXCLUDED_RE: Final = r"(?i)(?:^|[\s,;|])(?:CANC|CNCL|CNCO|CNOL|LATE|OPNL|OSEQ)(?:$|[\s,;|])"
MULTI_LEG_RE: Final = (
    r"(?i)(?:^|[\s,;|])(?:MASL|MESL|MFSL|TASL|TESL|TFSL|ML[0-9A-Za-z]*|TL[0-9A-Za-z]*)(?:$|[\s,;|])"
)
COLUMNS: Final = ("underlying", "right", "price", "size", "bid", "ask", "conditions")
#: Result columns, in order.
RESULT: Final = ("underlying", "CB", "CS", "PB", "PS", "U", "prints")


def pandas_reference(path: Path) -> pl.DataFrame:
    """What a pandas user would write: read the columns, vectorised masks, ``groupby``."""
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(path, columns=list(COLUMNS))
    premium = df["price"] * df["size"] * 100.0
    conditions = df["conditions"].fillna("")
    excluded = conditions.str.contains(EXCLUDED_RE, regex=True)
    multi_leg = conditions.str.contains(MULTI_LEG_RE, regex=True)
    keep = ~excluded & (premium > 0)
    price, bid, ask = df["price"], df["bid"], df["ask"]
    spread = ask - bid
    unusable = (
        multi_leg
        | bid.isna()
        | ask.isna()
        | (bid <= 0)
        | (ask <= 0)
        | (ask < bid - EPS)
        | (spread.abs() <= EPS)
    )
    side = np.select(
        [
            unusable,
            price >= ask - EPS,
            price <= bid + EPS,
            price - bid >= UPPER * spread - EPS,
            price - bid <= LOWER * spread + EPS,
        ],
        [0, 1, -1, 1, -1],
        default=0,
    )
    call = df["right"] == "C"
    put = df["right"] == "P"
    frame = pd.DataFrame(
        {
            "underlying": df["underlying"],
            "CB": premium.where(call & (side == 1), 0.0),
            "CS": premium.where(call & (side == -1), 0.0),
            "PB": premium.where(put & (side == 1), 0.0),
            "PS": premium.where(put & (side == -1), 0.0),
            "U": premium.where(side == 0, 0.0),
            "prints": np.ones(len(df), dtype=np.int64),
        }
    )[keep]
    out = frame.groupby("underlying", sort=True).sum().reset_index()
    return pl.from_pandas(out).select(RESULT)


def duckdb_reference(path: Path) -> pl.DataFrame:
    """The same decomposition as one DuckDB SQL query over the Parquet file."""
    import duckdb

    query = f"""
    WITH prints AS (
        SELECT underlying, "right", price, bid, ask, price * size * 100.0 AS premium,
               coalesce(regexp_matches(conditions, '{EXCLUDED_RE}'), false) AS excluded,
               coalesce(regexp_matches(conditions, '{MULTI_LEG_RE}'), false) AS multi_leg
        FROM read_parquet('{path}')
    ), sided AS (
        SELECT underlying, "right", premium,
               CASE
                   WHEN multi_leg OR bid IS NULL OR ask IS NULL OR bid <= 0 OR ask <= 0
                        OR ask < bid - {EPS} OR abs(ask - bid) <= {EPS} THEN 0
                   WHEN price >= ask - {EPS} THEN 1
                   WHEN price <= bid + {EPS} THEN -1
                   WHEN price - bid >= {UPPER} * (ask - bid) - {EPS} THEN 1
                   WHEN price - bid <= {LOWER} * (ask - bid) + {EPS} THEN -1
                   ELSE 0
               END AS side
        FROM prints
        WHERE NOT excluded AND premium > 0
    )
    SELECT underlying,
           sum(CASE WHEN "right" = 'C' AND side = 1 THEN premium ELSE 0 END) AS CB,
           sum(CASE WHEN "right" = 'C' AND side = -1 THEN premium ELSE 0 END) AS CS,
           sum(CASE WHEN "right" = 'P' AND side = 1 THEN premium ELSE 0 END) AS PB,
           sum(CASE WHEN "right" = 'P' AND side = -1 THEN premium ELSE 0 END) AS PS,
           sum(CASE WHEN side = 0 THEN premium ELSE 0 END) AS U,
           count(*) AS prints
    FROM sided GROUP BY underlying ORDER BY underlying
    """
    with duckdb.connect() as con:
        return pl.from_arrow(con.sql(query).arrow()).select(RESULT)  # type: ignore[return-value]


def polars_floor(path: Path) -> pl.DataFrame:
    """The decomposition as one bare Polars streaming query: the floor flowterm is held to."""
    price, bid, ask = pl.col("price"), pl.col("bid"), pl.col("ask")
    conditions = pl.col("conditions")
    premium = price * pl.col("size") * 100.0
    spread = ask - bid
    multi_leg = conditions.str.contains(MULTI_LEG_RE).fill_null(False)
    side = (
        pl.when(
            multi_leg
            | bid.is_null()
            | ask.is_null()
            | (bid <= 0)
            | (ask <= 0)
            | (ask < bid - EPS)
            | (spread.abs() <= EPS)
        )
        .then(0)
        .when(price >= ask - EPS)
        .then(1)
        .when(price <= bid + EPS)
        .then(-1)
        .when(price - bid >= UPPER * spread - EPS)
        .then(1)
        .when(price - bid <= LOWER * spread + EPS)
        .then(-1)
        .otherwise(0)
    )
    call, put = pl.col("right") == "C", pl.col("right") == "P"
    p = pl.col("premium")
    s = pl.col("side")
    return (
        pl.scan_parquet(path)
        .select(COLUMNS)
        .filter(~conditions.str.contains(EXCLUDED_RE).fill_null(False))
        .with_columns(premium.alias("premium"), side.alias("side"))
        .filter(p > 0)
        .group_by("underlying")
        .agg(
            pl.when(call & (s == 1)).then(p).otherwise(0.0).sum().alias("CB"),
            pl.when(call & (s == -1)).then(p).otherwise(0.0).sum().alias("CS"),
            pl.when(put & (s == 1)).then(p).otherwise(0.0).sum().alias("PB"),
            pl.when(put & (s == -1)).then(p).otherwise(0.0).sum().alias("PS"),
            pl.when(s == 0).then(p).otherwise(0.0).sum().alias("U"),
            pl.len().cast(pl.Int64).alias("prints"),
        )
        .sort("underlying")
        .collect(engine="streaming")
        .select(RESULT)
    )


def option_file(path: Path, data_dir: Path) -> DataFile:
    """The catalog entry of the option-prints file ``path`` (sniffed from its schema)."""
    from flowterm.core.catalog import data_file, session_date
    from flowterm.core.sniff import Detected, sniff_file

    sniffed = sniff_file(path)
    assert isinstance(sniffed, Detected), sniffed
    rel = path.relative_to(data_dir).as_posix()
    return data_file(path, rel, sniffed, session_date(path.parent.name))


def flowterm_decomposition(path: Path, data_dir: Path) -> pl.DataFrame:
    """flowterm's own path from the file: read (validated, summarised) and the per-ticker flow."""
    from flowterm.core.flow import flow_from_summary
    from flowterm.core.tape import TapeParams, read_tape

    source = option_file(path, data_dir)
    result = read_tape(source, params=TapeParams())
    assert result.tape is not None, result.error
    tickers = flow_from_summary(result.tape.summary.sums).tickers
    return tickers.select(
        "underlying",
        pl.col("calls_bought").alias("CB"),
        pl.col("calls_sold").alias("CS"),
        pl.col("puts_bought").alias("PB"),
        pl.col("puts_sold").alias("PS"),
        pl.col("unknown").alias("U"),
        "prints",
    ).sort("underlying")


def agree(a: pl.DataFrame, b: pl.DataFrame, *, rel: float = 1e-9) -> bool:
    """Same underlyings, counts equal, premiums equal to ``rel``."""
    if a["underlying"].to_list() != b["underlying"].to_list():
        return False
    if a["prints"].to_list() != b["prints"].to_list():
        return False
    for name in ("CB", "CS", "PB", "PS", "U"):
        x, y = a[name], b[name]
        scale = (x.abs() + y.abs()).max()
        if scale and float((x - y).abs().max()) > rel * float(scale):  # type: ignore[arg-type]
            return False
    return True


__all__ = [
    "agree",
    "duckdb_reference",
    "flowterm_decomposition",
    "pandas_reference",
    "polars_floor",
]
