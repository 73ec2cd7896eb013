"""Published tables: structure, and every transcribed cell checked against the papers' own table lines.

tests/data/published_seed_lines/<seed>.txt holds, verbatim and in the paper's order, the lines of each
seed paper's text extraction that carry the transcribed table rows (OCR quirks included), so the check
runs on this repository alone.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from talkbench.baselines.published import PENDING_METRICS, load_tables, published_rows, select_tables
from talkbench.errors import UnknownNameError
from talkbench.listings import list_topic
from talkbench.metrics.registry import REGISTRY

SEEDS = Path(__file__).parent / "data" / "published_seed_lines"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _protocol_ids() -> set[str]:
    return {row["id"] for row in list_topic("protocols")}


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s).strip("0")


def _matches(token: str, value: float, ocr: bool) -> bool:
    if abs(float(token.replace(",", "")) - value) < 1e-9:
        return True
    # OCR dropped the decimal point ("5670" for 5.670): compare digit strings.
    return ocr and _digits(token) == _digits(f"{value:.6f}")


def _contains_run(tokens: list[str], expected: list[float], ocr: bool) -> bool:
    n = len(expected)
    return any(all(_matches(tokens[i + k], expected[k], ocr) for k in range(n)) for i in range(len(tokens) - n + 1))


def _line_has(lines: list[str], label: str, expected: list[float], ocr: bool) -> bool:
    return any(label in line and _contains_run(_NUMBER.findall(line), expected, ocr) for line in lines)


def _expected(cells) -> list[float]:
    out: list[float] = []
    for c in cells:
        if c.value is None:
            continue
        out.append(c.value)
        if c.ci95_halfwidth is not None:
            out.append(c.ci95_halfwidth)
    return out


def test_every_table_is_well_formed():
    tables = load_tables()
    assert len(tables) >= 30
    for t in tables.values():
        assert t.rows and t.columns
        for row in t.rows:
            assert len(row.values) == len(t.columns)
        for col in t.columns:
            assert col.direction in ("higher", "lower")
            known = col.metric in REGISTRY.names() or col.metric in PENDING_METRICS
            assert known, f"{t.id}: metric {col.metric} is neither registered nor pending"
        if t.protocol is not None:
            assert t.protocol in _protocol_ids(), f"{t.id}: unknown protocol {t.protocol}"


def test_directions_agree_with_registered_cards():
    names = set(REGISTRY.names())
    checked = 0
    for t in load_tables().values():
        for col in t.columns:
            if col.metric in names and not col.options:
                card = REGISTRY.card(col.metric)
                assert card.higher_is_better is col.higher_is_better, (t.id, col.label)
                checked += 1
    assert checked > 20  # psnr/ssim/l1 columns at least


def test_issue_table_list_is_covered():
    ids = set(load_tables())
    wanted = ["real3d.t1", "real3d.t2", "real3d.t3", "real3d.t4", "real3d.t7", "triplane.t1", "triplane.t2",
              "triplane.t3", "goha.t1", "goha.t2", "goha.t3", "goha.t4", "goha.t5", "talk3d.c1", "talk3d.f3",
              "talk3d.f4", "talk3d.f5", "talk3d.d2", "export3d.t1", "export3d.t2", "export3d.t3", "export3d.t4"]
    for w in wanted:
        assert any(i == w or i.startswith(w + ".") for i in ids), w


def test_hand_checked_cells():
    tables = load_tables()
    assert tables["real3d.t1.same-id"].value("Ours (VD)", "psnr").value == 18.95
    assert tables["real3d.t1.cross-id"].value("Face-vid2vid", "fid").value == 45.18
    mos = tables["real3d.t3"].value("RAD-NeRF", "mos_lip_sync")
    assert (mos.value, mos.ci95_halfwidth) == (3.18, 0.52)
    assert mos.ci95 == pytest.approx((2.66, 3.70))
    assert tables["triplane.t1"].value("GPAvatar", "nvs_quality[base=lpips]").value == 0.2334
    assert tables["triplane.t2"].value("Ours (U+F)", "nvv[base=psnr]").value == 1.383
    assert tables["goha.t1.cross-id"].value("HeadNeRF †", "fid").value == 117.1
    assert tables["goha.t2.same-id"].value("Next3D-PTI", "akd").value == 1.449
    assert tables["talk3d.c1.testset-a"].value("AD-NeRF", "lmd").value == 7.378
    assert tables["talk3d.d2.novel-view"].value("Wav2Lip", "mos_lip_sync").value is None
    assert tables["export3d.t2.same-id"].value("OTAvatar †", "akd").value == 11.615
    with pytest.raises(UnknownNameError):
        tables["real3d.t2"].value("Ours (AD)", "psnr")


def test_records_carry_citation_fields():
    recs = select_tables(["export3d.t1.same-id"])[0].records()
    rome = [r for r in recs if r["method"] == "ROME †" and r["metric"] == "psnr"][0]
    assert rome["value"] == 14.185 and rome["direction"] == "higher" and rome["protocol"] == "vfhq-same-id"
    assert any("foreground facial region" in n for n in rome["notes"])
    assert rome["backbone"] is None  # the paper names no backbone for PSNR
    csim = [r for r in recs if r["method"] == "DPE" and r["metric"] == "csim"][0]
    assert "ArcFace" in csim["backbone"]


def test_select_by_prefix_and_unknown_name():
    ids = [t.id for t in select_tables(["real3d.t1"])]
    assert ids == ["real3d.t1.same-id", "real3d.t1.cross-id"]
    with pytest.raises(UnknownNameError, match="Did you mean"):
        select_tables(["real3d.t1.same"])


def test_ls_published_topic():
    rows = list_topic("published")
    assert rows == published_rows()
    row = [r for r in rows if r["table"] == "goha.t3"][0]
    assert row["protocol"] == "hdtf-to-celeba-substitute" and row["rows"] == 4


def test_export3d_scattered_row_equals_its_ablation_twin():
    t = load_tables()
    for part in ("same-id", "cross-id"):
        a = t[f"export3d.t1.{part}"].rows[-1]
        b = t[f"export3d.t3.{part}"].rows[-1]
        assert a.method == "Ours" and b.method == "Full (CLeBS)" and a.values == b.values


def test_every_row_is_in_its_seed_text():
    checked = 0
    for t in load_tables().values():
        text = (SEEDS / t.paper.seed).read_text(encoding="utf-8")
        lines = text.splitlines()
        ocr = t.paper.ocr_lost_decimals
        if t.layout == "transposed":
            for k, col in enumerate(t.columns):
                expected = _expected([row.values[k] for row in t.rows])
                assert _line_has(lines, col.label, expected, ocr), f"{t.id} column {col.label}: {expected}"
                checked += 1
            continue
        for row in t.rows:
            if row.seed_label is None:
                continue
            expected = _expected(row.values)
            assert _line_has(lines, row.seed_label, expected, ocr), f"{t.id} row {row.method}: {expected}"
            checked += 1
    assert checked >= 150


def test_seed_check_catches_a_wrong_digit():
    t = load_tables()["goha.t2.same-id"]
    lines = (SEEDS / t.paper.seed).read_text(encoding="utf-8").splitlines()
    good = _expected(t.rows[0].values)
    assert _line_has(lines, "ROME [32]", good, False)
    bad = list(good)
    bad[3] = 0.132  # AED printed 0.123
    assert not _line_has(lines, "ROME [32]", bad, False)
