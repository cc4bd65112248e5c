"""The benchmark harness (ttsolve._bench.harness) and `ttsolve bench`."""

import json
import math

import pytest

from ttsolve._bench.harness import Report, Timing, measure


def test_measure_counts_warmup_and_repeats():
    calls = []
    t = measure(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and len(t.times) == 4
    with pytest.raises(ValueError, match="repeats"):
        measure(lambda: None, repeats=0)


def test_timing_statistics():
    t = Timing([4.0, 1.0, 2.0, 3.0, 5.0])
    assert t.median == 3.0 and t.min == 1.0
    assert t.spread == pytest.approx((4.0 - 2.0) / 3.0)  # IQR / median


def test_report_ratios_table_and_json(tmp_path, capsys):
    rep = Report("demo", ratios={"peer/ours": ("peer", "ours")})
    rep.add(case="a", ours=Timing([1.0, 2.0, 3.0]), peer=Timing([4.0, 6.0, 8.0]))
    rep.add(case="b", ours=2.0)
    assert rep.rows[0]["peer/ours"] == pytest.approx(3.0) and "peer/ours" not in rep.rows[1]
    path = tmp_path / "demo.json"
    data = rep.finish(str(path))
    text = capsys.readouterr().out
    assert "| a | 2 | 6 | 3.0x |" in text and "load average at start" in text
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(data))
    assert saved["rows"][0]["ours"]["times"] == [1.0, 2.0, 3.0]
    assert len(saved["start"]["loadavg"]) == 3 and saved["threads"]["ttsolve"] >= 1


def test_cli_bench_tt_quick(tmp_path, capsys):
    from ttsolve.cli import main

    assert main(["bench", "tt", "--quick", "--repeats", "1", "--json", str(tmp_path / "b")]) == 0
    rows = json.loads((tmp_path / "b.tt.json").read_text())["rows"]
    assert [r["case"].split()[0] for r in rows] == ["round", "round_sum", "dot", "evaluate"]
    assert all(r["ttsolve"]["median"] > 0 and not math.isnan(r["ttsolve"]["median"]) for r in rows)
