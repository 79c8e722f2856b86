"""The per-session summary cache (core/history.py): hits, misses and invalidation are counted,
not timed; what comes out of the cache equals what the files give."""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flowterm.core import history
from flowterm.core.catalog import scan_catalog
from flowterm.core.darkpool import classify_dark_prints, dark_days, fast_tape, volume_by_spot
from flowterm.core.history import HistoryCache
from flowterm.core.report import to_markdown
from flowterm.core.schema import Kind
from flowterm.core.snapshot import (
    Inputs,
    _chain_atm,
    _dark_days_from,
    _dark_sums,
    _levels,
    build_snapshot,
    read_inputs,
)
from flowterm.core.zones import session_zones

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
sys.path.insert(0, str(ROOT))  # the benchmarks package lives at the top of the repository

from benchmarks.synthetic import write_folder  # noqa: E402


def _folder(root: Path, sessions: int) -> Path:
    return write_folder(root, sessions=sessions, option_prints=200, dark_prints=150).root


@pytest.fixture(scope="module")
def sixty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60-session canonical folder with small tapes."""
    return _folder(tmp_path_factory.mktemp("sixty") / "data", 60)


def _touch(path: Path) -> None:
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_second_report_recomputes_no_past_session_and_a_touch_recomputes_one(
    sixty: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"

    def report() -> tuple[history.HistoryInfo, str]:
        snap = build_snapshot(sixty, cache=HistoryCache(cache))
        return snap.history, to_markdown(snap)

    first, text = report()
    past = tuple(scan_catalog(sixty).sessions[:-1])
    assert len(past) == 59
    assert first.summaries_computed == past and first.summary_hits == ()
    assert len(first.derived_computed) == 9 and not first.catalog_cached

    second, again = report()
    assert second.summaries_computed == () and second.summary_hits == past
    assert second.derived_computed == () and len(second.derived_hits) == 9
    assert second.catalog_cached and second.errors == ()
    assert again == text

    touched = past[30]
    _touch(sixty / touched.isoformat() / "options.parquet")
    third, after = report()
    assert third.summaries_computed == (touched,)
    assert len(third.summary_hits) == 58
    # what the last sessions said depends on every earlier session: re-derived from the cache
    assert len(third.derived_computed) == 9
    assert after == text  # same content, same report

    fourth, _ = report()
    assert fourth.summaries_computed == () and fourth.derived_computed == ()


def test_the_cached_history_equals_the_history_from_the_files(sixty: Path, tmp_path: Path) -> None:
    store = tmp_path / "cache"
    build_snapshot(sixty, cache=HistoryCache(store))
    cached = build_snapshot(sixty, cache=HistoryCache(store))
    assert cached.history.summaries_computed == ()
    fresh = build_snapshot(sixty, cache=None)
    assert fresh.history.folder is None and len(fresh.history.summaries_computed) == 59
    # float sums may differ in the last bit between any two runs (parallel group sums)
    close = {"check_exact": False, "rel_tol": 1e-12}
    for name in ("dark_days", "dark_market", "dark_ladders", "dark_volume_by_spot", "dix"):
        assert_frame_equal(getattr(cached, name), getattr(fresh, name), **close)
    for name in ("zones", "tickers", "campaigns", "convergence_inputs"):
        assert_frame_equal(getattr(cached, name), getattr(fresh, name), **close)
    for name, frame in fresh.indicators.items():
        assert_frame_equal(cached.indicators[name], frame, **close)
    assert cached.convergence_history == fresh.convergence_history
    assert cached.changes == fresh.changes
    assert {k: e.display for k, e in cached.explanations.items()} == {
        k: e.display for k, e in fresh.explanations.items()
    }


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def twelve(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-session folder of its own (tests that change files)."""
    return _folder(tmp_path_factory.mktemp("twelve") / "data", 12)


def _counts(folder: Path, cache: Path) -> history.HistoryInfo:
    return build_snapshot(folder, cache=HistoryCache(cache)).history


def test_a_changed_top_level_file_re_derives_but_never_re_reads_past_tapes(
    twelve: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _counts(twelve, cache)
    _touch(twelve / "bars" / "bars.parquet")
    info = _counts(twelve, cache)
    assert info.summaries_computed == () and len(info.summary_hits) == 11
    assert len(info.derived_computed) == 9  # the history window (the prior session in it)
    assert not info.catalog_cached  # the folder changed: listed again


def test_a_new_flowterm_version_or_new_settings_invalidate_every_summary(
    twelve: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _counts(twelve, cache)
    assert _counts(twelve, cache).summaries_computed == ()
    monkeypatch.setattr(history, "flowterm_version", lambda: "99.0.0")
    upgraded = _counts(twelve, cache)
    assert len(upgraded.summaries_computed) == 11 and not upgraded.catalog_cached
    assert _counts(twelve, cache).summaries_computed == ()
    (twelve / "flowterm.toml").write_text("[flow]\ntop_n = 10\n", encoding="utf-8")
    assert len(_counts(twelve, cache).summaries_computed) == 11


def test_a_damaged_cache_is_ignored_and_rebuilt(twelve: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_snapshot(twelve, cache=HistoryCache(cache))
    folder = cache
    generation = (folder / "summaries" / "CURRENT").read_text().strip()
    (folder / "summaries" / generation / "tickers.parquet").write_bytes(b"PAR1 not parquet")
    (folder / "catalog.json").write_text("{", encoding="utf-8")
    again = build_snapshot(twelve, cache=HistoryCache(cache))
    assert len(again.history.summaries_computed) == 11
    assert any("cannot read" in e for e in again.history.errors)
    assert_frame_equal(again.campaigns, first.campaigns)
    assert _counts(twelve, cache).summaries_computed == ()


def test_an_unwritable_cache_still_builds(twelve: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    snap = build_snapshot(twelve, cache=HistoryCache(blocker / "cache"))
    assert len(snap.history.summaries_computed) == 11
    assert snap.history.errors and snap.convergence_history


def test_the_cache_lives_outside_the_data_folder(
    twelve: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sorted(p.relative_to(twelve) for p in twelve.rglob("*"))
    monkeypatch.setenv(history.ENV_VAR, str(tmp_path / "env-cache"))
    assert history.default_root() == tmp_path / "env-cache"
    snap = build_snapshot(twelve)
    assert snap.history.folder is not None
    assert snap.history.folder.parent == tmp_path / "env-cache"
    assert sorted(p.relative_to(twelve) for p in twelve.rglob("*")) == before
    monkeypatch.delenv(history.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert history.default_root() == tmp_path / "xdg" / "flowterm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert history.default_root() == Path.home() / ".cache" / "flowterm"


def test_the_cached_listing_equals_a_fresh_scan(twelve: Path, tmp_path: Path) -> None:
    store = HistoryCache(tmp_path / "cache")
    listed, fingerprint = store.catalog(twelve)
    assert listed is None and fingerprint is not None
    scanned = scan_catalog(twelve)
    store.put_catalog(scanned, fingerprint)
    again, _ = HistoryCache(tmp_path / "cache").catalog(twelve)
    assert again == scanned


def test_keys_change_with_the_files_and_chain_forward() -> None:
    day = date(2026, 4, 8)
    a = history.summary_key(day, [("d/x.parquet", 10, 1)], settings="s")
    assert a == history.summary_key(day, [("d/x.parquet", 10, 1)], settings="s")
    assert a != history.summary_key(day, [("d/x.parquet", 10, 2)], settings="s")
    assert a != history.summary_key(day, [("d/x.parquet", 11, 1)], settings="s")
    assert a != history.summary_key(day, [("d/x.parquet", 10, 1)], settings="t")
    keys = {date(2026, 4, d): f"k{d}" for d in (6, 7, 8)}
    chained = history.chain_keys(keys)
    changed = history.chain_keys({**keys, date(2026, 4, 7): "other"})
    assert chained[date(2026, 4, 6)] == changed[date(2026, 4, 6)]
    assert chained[date(2026, 4, 7)] != changed[date(2026, 4, 7)]
    assert chained[date(2026, 4, 8)] != changed[date(2026, 4, 8)]


# ------------------------------------------------------------------------------------------
# the summaries give exactly what the layers give from the prints (bundled sample)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_inputs() -> Inputs:
    return read_inputs(DATA)


def test_dark_days_from_the_cached_sums_equal_dark_days(sample_inputs: Inputs) -> None:
    inputs = sample_inputs
    s = inputs.settings
    prints = pl.concat([inputs.tape(Kind.OFFEX_PRINTS, d) for d in inputs.catalog.sessions])
    classified = classify_dark_prints(
        prints.lazy(), params=s["darkpool"], side_params=s["sides"]
    ).collect()
    fast = fast_tape(inputs.bars.lazy(), params=s["darkpool"])
    expected = dark_days(classified.lazy(), fast, params=s["darkpool"]).collect()
    sums = _dark_sums(classified, s["darkpool"])
    assert_frame_equal(_dark_days_from(sums, fast, s["darkpool"]), expected)
    last = max(inputs.catalog.sessions)
    spots = pl.LazyFrame({"symbol": ["SPY", "XOM", "CEG"], "spot": [678.0, 141.2, 301.5]})
    from_prints = volume_by_spot(classified.lazy(), spots, as_of=last, params=s["darkpool"])
    from_levels = volume_by_spot(
        _levels(classified).lazy(), spots, as_of=last, params=s["darkpool"]
    )
    assert_frame_equal(
        from_levels.collect(), from_prints.collect(), check_exact=False, rel_tol=1e-12
    )


def test_zones_from_the_atm_chain_rows_equal_zones_from_whole_chains(
    sample_inputs: Inputs,
) -> None:
    inputs = sample_inputs
    s = inputs.settings
    sessions = inputs.catalog.sessions
    chains = [inputs.tape(Kind.CHAIN, d) for d in sessions]
    reduced = [_chain_atm(c, s["zones"]) for c in chains]
    assert sum(r.height for r in reduced) < sum(c.height for c in chains) / 10
    for day in sessions:
        args = {"session": day, "params": s["zones"]}
        whole = session_zones(inputs.bars.lazy(), pl.concat(chains).lazy(), **args).collect()
        atm = session_zones(inputs.bars.lazy(), pl.concat(reduced).lazy(), **args).collect()
        assert_frame_equal(atm, whole)


def test_the_volume_window_skips_sessions_without_dark_prints(twelve: Path, tmp_path: Path) -> None:
    (twelve / "flowterm.toml").write_text("[darkpool]\nvolume_window = 5\n", encoding="utf-8")
    sessions = scan_catalog(twelve).sessions
    for day in (sessions[-2], sessions[-4]):
        (twelve / day.isoformat() / "darkpool.parquet").unlink()
    cache = tmp_path / "cache"
    build_snapshot(twelve, cache=HistoryCache(cache))
    warm = build_snapshot(twelve, cache=HistoryCache(cache))
    assert warm.history.summaries_computed == ()
    inputs = read_inputs(twelve)
    s = inputs.settings
    prints = pl.concat([inputs.tape(Kind.OFFEX_PRINTS, d) for d in sessions])
    classified = classify_dark_prints(prints.lazy(), params=s["darkpool"]).collect()
    spots = warm.dark_volume_by_spot.select("symbol", "spot").lazy()
    expected = volume_by_spot(
        classified.lazy(), spots, as_of=sessions[-1], params=s["darkpool"]
    ).collect()
    assert set(warm.dark_volume_by_spot["sessions"].to_list()) == {5}
    assert_frame_equal(warm.dark_volume_by_spot, expected, check_exact=False, rel_tol=1e-12)
