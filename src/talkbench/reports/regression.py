"""`talkbench compare`: is NEW worse than BASE? Per-metric difference, paired bootstrap CI and a verdict.

Verdicts use the card's direction and an absolute tolerance per metric: a change that is worse by more
than the tolerance is a regression (exit 1). Runs are incomparable (exit 2) when the protocol id or
hash, a metric card's version or options, or a backbone's weights sha256 differ: the numbers would not
mean the same thing, so no verdict is given.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any

from ..results.bootstrap import bootstrap_diff_ci
from .runs import Run

BETTER, SAME, WORSE, MISSING, ADDED, NA = "better", "same", "worse", "missing", "added", "n/a"
LOST_ITEMS = "lost items"  # NEW has no value for items BASE scored: a regression whatever the means say

#: Absolute tolerances (in the metric's own unit). A metric without an entry gets FALLBACK_RELATIVE
#: of |base value|. Registered variants use their family's entry (csim_dlib -> csim). Multiview summaries (synthesis_quality, nvs_quality, nvv, ivv) use the entry of
#: their base metric. Override per run with --tol NAME=VALUE.
DEFAULT_TOLERANCES: dict[str, float] = {
    "psnr": 0.1, "ssim": 0.002, "l1": 0.001, "mse": 1e-4, "lpips": 0.005,
    "psnr_masked": 0.1, "ssim_masked": 0.002, "l1_masked": 0.001, "mse_masked": 1e-4,
    "csim": 0.005, "aed": 0.005, "apd": 0.002, "akd": 0.1, "lmd": 0.1, "fid": 1.0, "kid": 0.001,
    "lse_c": 0.1, "lse_d": 0.1, "id_distance": 0.005, "expr_distance": 0.005,
}
FALLBACK_RELATIVE = 0.01
_MULTIVIEW = {"synthesis_quality", "nvs_quality", "nvv", "ivv"}


@dataclass
class MetricComparison:
    metric: str
    higher_is_better: bool | None
    base: float | None
    new: float | None
    diff: float | None
    diff_ci95: tuple[float, float] | None
    n_paired: int
    tolerance: float | None
    verdict: str
    note: str = ""
    lost_items: list[str] = field(default_factory=list)  # items with a value in BASE and none in NEW


@dataclass
class Comparison:
    base: str
    new: str
    incomparable: list[str] = field(default_factory=list)
    metrics: list[MetricComparison] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lost_items: list[str] = field(default_factory=list)  # items BASE evaluated that NEW did not evaluate at all
    ignored: list[str] = field(default_factory=list)  # metrics with no value in either run (said, not judged)

    @property
    def regressions(self) -> list[MetricComparison]:
        return [m for m in self.metrics if m.verdict in (WORSE, MISSING, LOST_ITEMS)]

    @property
    def exit_code(self) -> int:
        if self.incomparable:
            return 2
        return 1 if self.regressions or self.lost_items else 0

    @property
    def status(self) -> str:
        return {0: "ok", 1: "regression", 2: "incomparable"}[self.exit_code]

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "exit_code": self.exit_code, "base": self.base, "new": self.new,
                "incomparable": self.incomparable, "warnings": self.warnings, "lost_items": self.lost_items,
                "ignored": self.ignored, "metrics": [asdict(m) for m in self.metrics]}


def parse_tolerances(specs: list[str]) -> dict[str, float]:
    """["csim=0.005", "psnr=0.2"] -> dict; raises ValueError naming the bad entry."""
    out = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            tol = float(value)
        except ValueError:
            tol = float("nan")
        if not sep or not name or not math.isfinite(tol) or tol < 0:
            raise ValueError(f"bad tolerance {spec!r}: write NAME=VALUE with VALUE >= 0, e.g. csim=0.005")
        out[name.strip()] = tol
    return out


def _family(name: str | None) -> str | None:
    """The DEFAULT_TOLERANCES entry of a metric or of its registered variant (csim_dlib -> csim)."""
    if not name:
        return None
    hits = [k for k in DEFAULT_TOLERANCES if name == k or name.startswith(k + "_")]
    return max(hits, key=len) if hits else None


def tolerance_for(name: str, card: dict, base_value: float | None, overrides: dict[str, float]) -> float | None:
    for key in (name, card.get("name")):
        if key in overrides:
            return overrides[key]
    for key in (name, card.get("name")):
        family = _family(key)
        if family:
            return DEFAULT_TOLERANCES[family]
    base = (card.get("options") or {}).get("base")
    if card.get("name") in _MULTIVIEW and base in DEFAULT_TOLERANCES:
        return DEFAULT_TOLERANCES[base]
    if base_value is None or not math.isfinite(base_value):
        return None
    return FALLBACK_RELATIVE * abs(base_value)


def verdict(diff: float | None, higher_is_better: bool | None, tol: float | None, scale: float = 1.0) -> str:
    """better / same / worse; a change of exactly the tolerance is 'same' (float noise allowed for)."""
    if diff is None or tol is None or not math.isfinite(diff):
        return NA
    eps = 1e-9 * max(1.0, abs(scale))
    if higher_is_better is None:
        return SAME if abs(diff) <= tol + eps else NA
    gain = diff if higher_is_better else -diff
    if gain > tol + eps:
        return BETTER
    if gain < -(tol + eps):
        return WORSE
    return SAME


def _backbone(card: dict) -> tuple[str | None, str | None]:
    bb = card.get("backbone") or {}
    return bb.get("id"), bb.get("weights_sha256")


def incomparability(base: Run, new: Run) -> list[str]:
    """Every reason why the two runs' numbers do not mean the same thing."""
    reasons = []
    pb, pn = base.protocol, new.protocol
    if pb.get("id") != pn.get("id"):
        reasons.append(f"protocol id differs: base {pb.get('id')} vs new {pn.get('id')}")
    if pb.get("version") != pn.get("version"):
        reasons.append(f"protocol version differs: base {pb.get('version')} vs new {pn.get('version')}")
    if pb.get("hash") != pn.get("hash"):
        reasons.append(f"protocol hash differs: base {pb.get('hash')} vs new {pn.get('hash')}")
    for name in sorted(set(base.metrics) & set(new.metrics)):
        if not _has_value(base.metrics[name]) and not _has_value(new.metrics[name]):
            continue  # no number in either run: its card cannot make the runs incomparable
        cb, cn = base.metrics[name]["card"], new.metrics[name]["card"]
        if cb.get("version") != cn.get("version"):
            reasons.append(f"{name}: metric card version differs: base {cb.get('version')} vs new {cn.get('version')}")
        if (cb.get("options") or {}) != (cn.get("options") or {}):
            reasons.append(f"{name}: metric options differ: base {cb.get('options')} vs new {cn.get('options')}")
        (ib, sb), (i_n, sn) = _backbone(cb), _backbone(cn)
        if ib != i_n:
            reasons.append(f"{name}: backbone differs: base {ib} vs new {i_n}")
        elif sb != sn:
            reasons.append(f"{name}: backbone {ib} weights sha256 differs: base {sb} vs new {sn}")
    wb, wn = base.summary.get("weights") or {}, new.summary.get("weights") or {}
    for bid in sorted(set(wb) & set(wn)):
        if wb[bid] != wn[bid]:
            line = f"weights of {bid} differ: base sha256 {wb[bid]} vs new {wn[bid]}"
            if not any(bid in r and "sha256" in r for r in reasons):
                reasons.append(line)
    return reasons


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def _has_value(m: dict | None) -> bool:
    return m is not None and m.get("value") is not None


def _evaluated_items(run: Run) -> set[str]:
    """Items with at least one record (value or per-metric error) and not missing for every metric."""
    whole = {m["item"] for m in run.summary.get("missing") or [] if m.get("metric") is None}
    return {str(r["item"]) for r in run.items} - whole


def compare_runs(base: Run, new: Run, overrides: dict[str, float] | None = None) -> Comparison:
    overrides = overrides or {}
    comp = Comparison(base=str(base.path), new=str(new.path), incomparable=incomparability(base, new))
    for name in list(base.metrics) + [m for m in new.metrics if m not in base.metrics]:
        mb, mn = base.metrics.get(name), new.metrics.get(name)
        if not _has_value(mb) and not _has_value(mn):
            where = "either run" if mb is not None and mn is not None else ("BASE (absent from NEW)" if mb else
                                                                             "NEW (absent from BASE)")
            comp.ignored.append(f"{name}: no value in {where}")
            continue
        card = (mb or mn)["card"]
        hib = card.get("higher_is_better")
        if mn is None:
            comp.metrics.append(MetricComparison(name, hib, mb["value"], None, None, None, 0, None, MISSING,
                                                 "metric absent from NEW"))
            continue
        if mb is None:
            comp.metrics.append(MetricComparison(name, hib, None, mn["value"], None, None, 0, None, ADDED,
                                                 "metric absent from BASE"))
            continue
        vb, vn = mb.get("value"), mn.get("value")
        diff = vn - vb if _finite(vb) and _finite(vn) else None
        ib, inew = base.item_values(name), new.item_values(name)
        common = sorted(set(ib) & set(inew))
        ci = bootstrap_diff_ci([ib[k] for k in common], [inew[k] for k in common]) if len(common) >= 2 else None
        tol = tolerance_for(name, card, vb, overrides)
        notes = []
        lost = sorted(set(ib) - set(inew))
        if not ib and not inew and mn.get("n", 0) < mb.get("n", 0):  # no items.jsonl: counts only
            lost = [f"({mb.get('n')} - {mn.get('n')} items)"]
        if mn.get("n", 0) < mb.get("n", 0):
            notes.append(f"fewer items evaluated ({mn.get('n')} < {mb.get('n')})")
        if common and len(common) not in (len(ib), len(inew)):
            notes.append(f"CI over the {len(common)} items both runs scored")
        v = verdict(diff, hib, tol, scale=max(abs(vb), abs(vn)) if diff is not None else 1.0)
        if vn is not None and math.isnan(vn):  # a NaN is never "same" or "better": the new run is broken
            v = WORSE
            notes.append("NEW value is NaN")
        elif diff is None and (vb is None) != (vn is None):
            v = MISSING if vn is None else ADDED
            notes.append("no value in " + ("NEW" if vn is None else "BASE"))
        elif lost:
            notes.append(f"was {v}; NEW has no value for " + ", ".join(lost[:5]) + (" …" if len(lost) > 5 else ""))
            v = LOST_ITEMS
        comp.metrics.append(MetricComparison(name, hib, vb, vn, diff, ci, len(common), tol, v, "; ".join(notes), lost))
    comp.lost_items = sorted(_evaluated_items(base) - _evaluated_items(new))
    if new.summary.get("counts", {}).get("missing", 0) > base.summary.get("counts", {}).get("missing", 0):
        comp.warnings.append(f"NEW misses more items ({new.summary['counts']['missing']}) than BASE "
                             f"({base.summary['counts']['missing']}): see its summary.json 'missing'")
    return comp


# -- output -----------------------------------------------------------------------------------------
def _num(v: float | None, digits: int = 4) -> str:
    from .table import format_number

    return format_number(v, digits)


def to_markdown(comp: Comparison) -> str:
    from .table import markdown_escape as esc

    head = {0: "✅ no regression", 1: f"❌ regression in {len(comp.regressions)} metric(s)"
                                     + (f", {len(comp.lost_items)} lost item(s)" if comp.lost_items else ""),
            2: "⚠️ incomparable inputs"}[comp.exit_code]
    lines = [f"## talkbench compare: {head}", "", f"- base: `{esc(comp.base)}`", f"- new: `{esc(comp.new)}`"]
    if comp.incomparable:
        lines += ["", "**Not comparable** (no verdict given):", ""] + [f"- {esc(r)}" for r in comp.incomparable]
    lines += [f"- warning: {esc(w)}" for w in comp.warnings]
    if comp.lost_items:
        lines += [f"- **lost items** (evaluated in BASE, not in NEW): {esc(', '.join(comp.lost_items))}"]
    if comp.ignored:
        lines += [f"- ignored (no value to compare): {esc('; '.join(comp.ignored))}"]
    lines += ["", "| metric | dir | base | new | Δ (new − base) | 95% CI of Δ | tolerance | verdict | note |",
              "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for m in comp.metrics:
        arrow = {True: "↑", False: "↓", None: ""}[m.higher_is_better]
        ci = "—" if m.diff_ci95 is None else f"[{_num(m.diff_ci95[0])}, {_num(m.diff_ci95[1])}] (n={m.n_paired})"
        verdict_text = "n/a (incomparable)" if comp.incomparable else m.verdict
        if not comp.incomparable and m.verdict in (WORSE, MISSING, LOST_ITEMS):
            verdict_text = f"**{m.verdict}**"
        lines.append(f"| {esc(m.metric)} | {arrow} | {_num(m.base)} | {_num(m.new)} | {_num(m.diff)} | {ci} | "
                     f"{_num(m.tolerance, 6)} | {verdict_text} | {esc(m.note)} |")
    return "\n".join(lines) + "\n"


def to_junit(comp: Comparison) -> str:
    """JUnit XML: one testcase per metric (failure when worse/missing), an error case when incomparable."""
    suite = ET.Element("testsuite", name="talkbench.compare", tests=str(len(comp.metrics) + 2),
                       failures=str(0 if comp.incomparable else len(comp.regressions) + bool(comp.lost_items)),
                       errors=str(1 if comp.incomparable else 0), skipped="0")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="base", value=comp.base)
    ET.SubElement(props, "property", name="new", value=comp.new)
    case = ET.SubElement(suite, "testcase", classname="talkbench.compare", name="comparability")
    if comp.incomparable:
        err = ET.SubElement(case, "error", message="incomparable inputs", type="incomparable")
        err.text = "\n".join(comp.incomparable)
    case = ET.SubElement(suite, "testcase", classname="talkbench.compare", name="items")
    if comp.lost_items and not comp.incomparable:
        fail = ET.SubElement(case, "failure", message=f"{len(comp.lost_items)} lost item(s)", type="lost-items")
        fail.text = ", ".join(comp.lost_items)
    for m in comp.metrics:
        case = ET.SubElement(suite, "testcase", classname="talkbench.compare.metric", name=m.metric)
        detail = (f"base={m.base} new={m.new} diff={m.diff} ci95={m.diff_ci95} tolerance={m.tolerance} "
                  f"verdict={m.verdict} {m.note}").strip()
        if comp.incomparable:
            ET.SubElement(case, "skipped", message="incomparable inputs")
        elif m.verdict in (WORSE, MISSING, LOST_ITEMS):
            fail = ET.SubElement(case, "failure", message=f"{m.metric} {m.verdict}", type=m.verdict)
            fail.text = detail
        else:
            out = ET.SubElement(case, "system-out")
            out.text = detail
    if comp.incomparable:
        suite.set("skipped", str(len(comp.metrics)))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
