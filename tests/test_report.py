"""The headless report (core/report.py, ``flowterm report``/``screenshot``): sections in the
reference order, numbers identical to the app's and to the JSON ``display``, provenance for
every figure, one CSV per table, and an HTML page that escapes hostile text and renders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from flowterm.core import fmt
from flowterm.core.report import (
    SECTION_KEYS,
    Report,
    build_report,
    csv_tables,
    to_html,
    to_json,
    to_markdown,
)
from flowterm.core.snapshot import Snapshot, build_snapshot
from flowterm.tui.cells import Palette
from flowterm.tui.cli import app
from flowterm.tui.tabs import convergence as convergence_tab
from flowterm.tui.tabs import darkpool as darkpool_tab
from flowterm.tui.tabs import flow as flow_tab
from flowterm.tui.tabs import tickers as tickers_tab
from flowterm.tui.tabs import zones as zones_tab

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SESSION = "2026-04-08"
#: The Markdown headings, in the reference report's order.
HEADINGS = (
    "What changed since 2026-04-07",
    "Price action",
    "Regime dashboard",
    "Zones",
    "Options side decomposition",
    "Top flow: naive vs side-adjusted",
    "Sector flow",
    "Dark pool: accumulation and distribution",
    "Ticker verdicts",
    "Convergence",
    "Notes",
)


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return build_snapshot(DATA)


@pytest.fixture(scope="module")
def report(snap: Snapshot) -> Report:
    return build_report(snap)


@pytest.fixture(scope="module")
def markdown(snap: Snapshot, report: Report) -> str:
    return to_markdown(snap, report)


@pytest.fixture(scope="module")
def doc(snap: Snapshot, report: Report) -> dict[str, Any]:
    # strict JSON: no NaN or infinity anywhere
    loaded: dict[str, Any] = json.loads(json.dumps(to_json(snap, report), allow_nan=False))
    return loaded


def test_sections_follow_the_reference_report(markdown: str, report: Report) -> None:
    headings = re.findall(r"^## (.+)$", markdown, flags=re.M)
    assert tuple(headings) == HEADINGS
    assert tuple(s.key for s in report.sections) == SECTION_KEYS
    first = markdown.split("\n## ", 1)[0]
    assert first.startswith("# flowterm daily flow report — 2026-04-08")
    headline = re.findall(r"^\*\*(.+)\*\*$", first, flags=re.M)
    assert len(headline) == 1
    for part in ("SPX +2.52 %", "options net −390.2M (MODERATE)", "dark pool SPY/QQQ/IWM"):
        assert part in headline[0]
    assert "Metals HARD BLOCK HARD → NONE" in headline[0]
    assert "flips 31.3 % of the top 16" in headline[0]
    convergence = f"convergence {fmt.versus(3, 9)}"
    assert convergence in headline[0]
    # the tables of the reference report are all there
    for title in (
        "Price action and zone room",
        "Regime dashboard",
        "Zones",
        "Options side decomposition",
        "Top flow: naive vs side-adjusted",
        "Sector flow",
        "Dark pool by symbol (most sold first)",
        "Ticker verdicts",
        "Convergence inputs",
        "Convergence history",
    ):
        assert f"**{title}**" in markdown
    assert "Bullish inputs (" in markdown and "Bearish inputs (" in markdown


def _key_figures(snap: Snapshot) -> dict[str, str]:
    """Figure key → how fmt renders the snapshot's own value."""
    m = snap.flow.market
    flow = snap.flow
    days = snap.dark_days.filter(pl.col("session") == snap.session)
    etf = days.filter(pl.col("symbol").is_in(["SPY", "QQQ", "IWM"]))
    spx = snap.tickers.filter(pl.col("symbol") == "SPX").row(0, named=True)
    nvda = flow.tickers.filter(pl.col("underlying") == "NVDA").row(0, named=True)
    dix = snap.dix.filter(pl.col("date") == snap.session).row(0, named=True)
    tech = flow.sectors.filter(pl.col("sector") == "Technology").row(0, named=True)
    c = snap.convergence
    out = {
        f"flow.market.{k}": fmt.money(getattr(m, k))
        for k in ("calls_bought", "calls_sold", "puts_bought", "puts_sold", "unknown")
    }
    out |= {
        "flow.market.bullish": fmt.money(m.bullish),
        "flow.market.bearish": fmt.money(m.bearish),
        "flow.market.net": fmt.money(m.net, signed=True),
        "flow.flip_rate": fmt.pct(flow.flip.rate, 1, signed=False),
        "flow.ticker.NVDA": fmt.money(nvda["net"], signed=True),
        "flow.sector.Technology": fmt.money(tech["net"], signed=True),
        "price.SPX": fmt.pct(spx["ret"], 2),
        "darkpool.index_etfs": fmt.money(
            float(etf["at_ask"].sum()) - float(etf["at_bid"].sum()), signed=True
        ),
        "dix": fmt.pct(dix["dix"], 1, signed=False),
        "convergence.count": fmt.versus(c.bullish, c.bearish),
        "convergence.history": fmt.history(
            (h.bullish, h.bearish) for _, h in snap.convergence_history
        ),
    }
    return out


def test_key_figures_print_the_same_strings_in_markdown_json_and_fmt(
    snap: Snapshot, markdown: str, doc: dict[str, Any]
) -> None:
    figures = _key_figures(snap)
    # the scenario's own figures (data/SCENARIO.md §5)
    assert figures["flow.market.net"] == "−390.2M"
    assert figures["flow.market.calls_bought"] == "1.156B"
    assert figures["flow.market.puts_sold"] == "909.9M"
    assert figures["price.SPX"] == "+2.52 %"
    assert figures["flow.flip_rate"] == "31.3 %"
    for key, shown in figures.items():
        explanation = snap.explain(key)
        assert explanation is not None, key
        assert explanation.display == shown, key
        assert doc["figures"][key]["display"] == shown, key
        assert shown in markdown, key


def _plain(cells: dict[str, Any]) -> dict[str, str]:
    return {k: v.plain for k, v in cells.items()}


def _rows(report: Report, table: str, key: str = "symbol") -> dict[str, dict[str, str]]:
    t = report.tables[table]
    names = [c.name for c in t.columns]
    out = {}
    for row in t.rows:
        cells = dict(zip(names, (c.text for c in row.cells), strict=True))
        out[cells[key]] = cells
    return out


def test_report_numbers_equal_the_apps(snap: Snapshot, report: Report) -> None:
    palette = Palette.plain()
    market = {row.figure: row.cells[1].text for row in report.tables["options_market"].rows}
    for key, cells in flow_tab.market_rows(snap.flow.market, snap.flow.flip, palette):
        assert market[key] == cells["value"].plain, key

    zones = _rows(report, "zones")
    for z in snap.zones.iter_rows(named=True):
        app_row = _plain(zones_tab._row(z, palette, 9))
        for column in ("low", "mid", "high", "close", "upside", "downside", "ratio"):
            assert zones[z["symbol"]][column] == app_row[column], (z["symbol"], column)

    top = _rows(report, "top_flow")
    for r in snap.flow.top.iter_rows(named=True):
        app_row = _plain(flow_tab._top_row(r, palette))
        for column in ("total", "calls", "puts", "net"):
            assert top[r["underlying"]][column] == app_row[column]

    sectors = _rows(report, "sectors", "sector")
    for r in snap.flow.sectors.iter_rows(named=True):
        app_row = _plain(flow_tab._sector_row(r, palette))
        for column in ("total", "bullish", "bearish", "net", "grade"):
            assert sectors[r["sector"]][column] == app_row[column]
        assert sectors[r["sector"]]["adjusted_call_put"] == app_row["adjusted"]

    dark = _rows(report, "darkpool")
    today = snap.dark_days.filter(pl.col("session") == snap.session)
    for r in today.iter_rows(named=True):
        app_row = _plain(darkpool_tab._row(r, None, palette, True))
        for column in ("total", "at_ask", "at_bid", "net", "pct_at_bid", "pct_at_bid_classified"):
            assert dark[r["symbol"]][column] == app_row[column], (r["symbol"], column)

    tickers = _rows(report, "tickers")
    for r in snap.tickers.iter_rows(named=True):
        app_row = _plain(tickers_tab._row(r, palette))
        assert tickers[r["symbol"]]["return"] == app_row["ret"]
        assert tickers[r["symbol"]]["relative_strength"] == app_row["rs"]
        assert tickers[r["symbol"]]["divergence_days"] == app_row["divergence"]

    history = convergence_tab.history_text(snap)
    assert report.section("convergence").lines[1].text == f"History {history}"
    count = convergence_tab.count_line(snap, snap.convergence, palette).plain
    assert fmt.versus(snap.convergence.bullish, snap.convergence.bearish) in count


def test_every_figure_carries_its_provenance(snap: Snapshot, doc: dict[str, Any]) -> None:
    assert doc["schema"] == "flowterm.report/1"
    assert doc["session"] == SESSION and doc["prior_session"] == "2026-04-07"
    figures = doc["figures"]
    assert set(figures) == set(snap.explanations)
    for key, figure in figures.items():
        assert figure["figure"] == key
        assert figure["section"].startswith(("§", "flowterm")), key
        assert figure["formula"] and isinstance(figure["display"], str), key
        assert isinstance(figure["params"], dict) and isinstance(figure["inputs"], dict), key
        assert isinstance(figure["sources"], list), key
    net = figures["flow.market.net"]
    assert net["section"] == "§2.1" and net["sources"] == [f"{SESSION}/options.parquet"]
    assert "min_premium" in net["params"] and set(net["inputs"]) == {"Bullish", "Bearish"}
    assert figures["zones.SPX"]["sources"] == ["2026-04-02/chain.parquet"]  # the anchor's chain
    for key in doc["headline"]["figures"]:
        assert key in figures
    for name, table in doc["tables"].items():
        columns = [c["name"] for c in table["columns"]]
        for row in table["rows"]:
            assert row["figure"] is None or row["figure"] in figures, (name, row["figure"])
            assert list(row["values"]) == columns and list(row["display"]) == columns
    assert [s["key"] for s in doc["sections"]] == list(SECTION_KEYS)
    assert doc["convergence"]["history"][-1]["session"] == SESSION
    assert doc["changes"]["prior_session"] == "2026-04-07" and doc["changes"]["items"]


def test_the_json_keys_are_documented(doc: dict[str, Any]) -> None:
    text = (ROOT / "docs" / "report-json.md").read_text(encoding="utf-8")
    for key in doc:
        assert f"`{key}`" in text, key
    for name in doc["tables"]:
        assert f"`{name}`" in text, name
    for key in SECTION_KEYS:
        assert f"`{key}`" in text, key
    prefixes = {k.split(".")[0] for k in doc["figures"]}
    for prefix in prefixes:
        assert f"`{prefix}." in text or f"`{prefix}`" in text, prefix


def test_csv_writes_one_file_per_table(snap: Snapshot, report: Report, tmp_path: Path) -> None:
    tables = csv_tables(snap, report)
    assert set(tables) == set(report.tables)
    out = tmp_path / "tables"
    result = CliRunner().invoke(app, ["report", str(DATA), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.stem for p in out.glob("*.csv")} == set(tables)
    for name, frame in tables.items():
        back = pl.read_csv(out / f"{name}.csv")
        assert back.height == frame.height and back.columns == frame.columns
    zones = pl.read_csv(out / "zones.csv")
    spx = zones.filter(pl.col("symbol") == "SPX").row(0, named=True)
    row = snap.zones.filter(pl.col("symbol") == "SPX").row(0, named=True)
    assert spx["high"] == pytest.approx(row["high"], rel=1e-12)  # raw values, not displays


def test_the_command_prints_markdown_and_refuses_bad_requests(tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["report", str(DATA)])
    assert shown.exit_code == 0 and shown.output.startswith("# flowterm daily flow report")
    written = runner.invoke(
        app, ["report", str(DATA), "--format", "json", "--out", str(tmp_path / "r.json")]
    )
    assert written.exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["session"] == SESSION
    earlier = runner.invoke(app, ["report", str(DATA), "--session", "2026-04-06"])
    assert earlier.exit_code == 0 and "— 2026-04-06" in earlier.output
    for args, message in (
        (["report", str(DATA), "--session", "2026-04-03"], "no session 2026-04-03"),
        (["report", str(DATA), "--session", "April"], "not a date"),
        (["report", str(tmp_path / "missing")], "no such folder"),
        (["report", str(DATA), "--format", "csv"], "--out DIR"),
        (["report", str(DATA), "--format", "pdf"], "choose md, json, csv or html"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert message in result.output, (args, result.output)


def test_the_page_is_self_contained(snap: Snapshot, report: Report) -> None:
    page = to_html(snap, report)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    lowered = page.lower()
    for banned in ("<script", "http://", "https://", "src=", "url(", "@import", "<link"):
        assert banned not in lowered, banned
    assert "prefers-color-scheme: dark" in page and "default-src 'none'" in page
    assert page.count("<table>") == sum(1 for t in report.tables.values() if t.rows) - 1
    assert "−390.2M" in page and "AT CEILING" in page


HOSTILE = (
    "<script>alert(1)</script>",
    "[bold red]x",
    "<img src=x onerror=alert(1)>",
    "a|b`c*d_e",
    "\x1b[2J",
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    root = tmp_path_factory.mktemp("hostile") / "data"
    root.mkdir()
    shutil.copytree(DATA / "bars", root / "bars")
    shutil.copytree(DATA / SESSION, root / SESSION)
    for name in ("macro.csv", "sectors.csv"):
        shutil.copy(DATA / name, root / name)
    options = ["ts,underlying,expiry,strike,right,price,size,bid,ask"]
    dark = ["ts,symbol,price,size,bid,ask"]
    for i, text in enumerate(HOSTILE):
        options.append(f"{SESSION} 10:0{i}:00,{text},2026-04-17,100,C,1.30,100,1.20,1.30")
        dark.append(f"{SESSION} 10:0{i}:00,{text},10.1,1000,9.9,10.1")
    (root / SESSION / "options_hostile.csv").write_text("\n".join(options) + "\n")
    (root / SESSION / "darkpool_hostile.csv").write_text("\n".join(dark) + "\n")
    # reading sets such symbols aside ("is not a ticker"); they are let through here to show
    # that every report format escapes them on its own (defence in depth)
    from flowterm.core import validate

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "SYMBOL_PATTERN", r"^.+$")
        return build_snapshot(root, cache=None)


def test_hostile_symbols_are_escaped_in_every_format(hostile: Snapshot) -> None:
    symbols = set(hostile.tickers["symbol"].to_list())
    assert "<SCRIPT>ALERT(1)</SCRIPT>" in symbols and "[BOLD RED]X" in symbols
    page = to_html(hostile)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in page
    assert "&lt;IMG SRC=X ONERROR=ALERT(1)&gt;" in page
    assert "\x1b" not in page and "␛[2J" in page
    text = to_markdown(hostile)
    assert "\x1b" not in text
    assert "\\<SCRIPT\\>ALERT(1)\\</SCRIPT\\>" in text and "<SCRIPT>" not in text
    assert "\\[BOLD RED\\]X" in text and "A\\|B\\`C\\*D\\_E" in text
    # a table row keeps its columns although a symbol holds a bar
    dark = [line for line in text.splitlines() if line.startswith("| A\\|B")]
    assert dark and all(len(re.findall(r"(?<!\\)\|", line)) == line.count("|") - 1 for line in dark)
    json.dumps(to_json(hostile), allow_nan=False)


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None, reason="no chromium on this machine")
def test_the_page_renders_in_headless_chromium(
    snap: Snapshot, report: Report, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(to_html(snap, report), encoding="utf-8")
    shot = tmp_path / "report.png"
    chromium = _chromium()
    assert chromium is not None
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_screenshot_saves_what_a_tab_shows(tmp_path: Path) -> None:
    out = tmp_path / "zones.svg"
    result = CliRunner().invoke(
        app, ["screenshot", str(DATA), "--tab", "zones", "--out", str(out), "--size", "120x40"]
    )
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Weekly" in svg and "zones" in svg
    bad = CliRunner().invoke(app, ["screenshot", str(DATA), "--tab", "nope"])
    assert bad.exit_code == 2 and "--tab 'nope'" in bad.output


def test_the_thesis_checklist_prints_as_the_app_shows_it(snap: Snapshot, tmp_path: Path) -> None:
    import dataclasses

    from flowterm.tui.tabs.regime import thesis_checklist

    data = tmp_path / "data"
    data.mkdir()
    shutil.copytree(DATA / "bars", data / "bars")
    shutil.copytree(DATA / SESSION, data / SESSION)
    (data / "flowterm.toml").write_text(
        '[thesis]\nname = "Long SPX"\n'
        '[[thesis.conditions]]\nrule = "metals_block"\nstates = ["NONE"]\n'
        '[[thesis.conditions]]\nzone = "SPX"\nnot_states = ["AT CEILING"]\n',
        encoding="utf-8",
    )
    # the folder's flowterm.toml reaches the snapshot ...
    params = build_snapshot(data, cache=None).settings["thesis"]
    assert params.name == "Long SPX" and len(params.conditions) == 2
    # ... and on the sample's last session the report prints the checklist the app shows
    shown = dataclasses.replace(snap, settings={**snap.settings, "thesis": params})
    markdown = to_markdown(shown)
    assert "Thesis checklist · Long SPX: ✓ 1 ✗ 1 ? 0." in markdown
    assert "| ✓ | metals\\_block | NONE | NONE |" in markdown
    assert "| ✗ | SPX zone | not AT CEILING | AT CEILING |" in markdown
    frame = thesis_checklist(shown)  # what the Regime tab shows
    table = to_json(shown)["tables"]["thesis"]
    assert [r["values"]["state"] for r in table["rows"]] == frame["actual"].to_list()
    assert [r["values"]["mark"] for r in table["rows"]] == frame["mark"].to_list()
    assert [r["figure"] for r in table["rows"]] == ["regime.metals_block", "zones.SPX"]
    # without conditions the report has no thesis table (the regime table says it all)
    assert "thesis" not in to_json(snap)["tables"]
