"""The HTML report: one self-contained file (no scripts, no external resources, images as base64).

Everything that comes from a result file or a published table goes through html.escape, so a model
called ``<script>…</script>`` is shown as text. The page carries a Content-Security-Policy that
forbids scripts, as a second line of defence.
"""
from __future__ import annotations

import base64
import html
import math

from ..baselines.published import PublishedTable
from .board import Board
from .figures import close, png_bytes, report_figures
from .runs import Run
from .table import RenderOptions, format_number, render_table

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
td:first-child,td:nth-child(2),th:first-child,th:nth-child(2){text-align:left}
caption{text-align:left;font-weight:600;margin-bottom:.4em}
.footnotes{font-size:12px;color:#444}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
code{background:#f4f4f4;padding:0 3px}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
details{margin:.4em 0}
summary{cursor:pointer;font-weight:600}
.bad{color:#a40000}
.ok{color:#116611}
"""

_E = html.escape


def _kv_table(pairs: list[tuple[str, object]]) -> str:
    rows = "".join(f"<tr><th>{_E(str(k))}</th><td>{_E(str(v))}</td></tr>" for k, v in pairs)
    return f'<table class="kv">{rows}</table>'


def _provenance(i: int, run: Run) -> str:
    s = run.summary
    suite, env, proto = s.get("suite", {}), s.get("environment", {}), s.get("protocol", {})
    pairs = [("summary", run.path), ("model", s.get("model", {}).get("name")),
             ("protocol", f"{proto.get('id')} v{proto.get('version')}"), ("protocol hash", proto.get("hash")),
             ("comparable", s.get("comparable")), ("comparable reasons", "; ".join(s.get("comparable_reasons") or [])),
             ("talkbench", f"{suite.get('version')} @ {suite.get('git_commit')} (dirty: {suite.get('git_dirty')})"),
             ("created (UTC)", s.get("created_utc")), ("seeds", s.get("seeds")),
             ("python / torch / numpy", f"{env.get('python')} / {env.get('torch')} / {env.get('numpy')}"),
             ("device", env.get("device")), ("counts", s.get("counts"))]
    pairs += [(f"weights {k}", v) for k, v in (s.get("weights") or {}).items()]
    for name, m in run.metrics.items():
        card = m["card"]
        bb = card.get("backbone") or {}
        pairs.append((f"card {name}", f"v{card.get('version')}; backbone {bb.get('id', '—')} "
                                      f"{bb.get('weights_sha256') or ''}; {card.get('preprocessing')}; "
                                      f"options {card.get('options') or {}}"))
    return f"<h3>{_E(run.label)}</h3>" + _kv_table(pairs)


def _missing(run: Run) -> str:
    missing = run.summary.get("missing") or []
    if not missing:
        return ""
    rows = "".join(f"<tr><td>{_E(m['item'])}</td><td>{_E(m.get('metric') or 'all metrics')}</td>"
                   f"<td>{_E(m['reason'])}</td></tr>" for m in missing)
    return (f"<details><summary>{_E(run.label)}: {len(missing)} missing (item × metric)</summary><table><thead><tr>"
            f"<th>item</th><th>metric</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table></details>")


def _items_table(i: int, run: Run) -> str:
    metrics = list(run.metrics)
    by_item: dict[str, dict[str, object]] = {}
    for r in run.items:
        by_item.setdefault(str(r["item"]), {})[r.get("metric")] = r.get("value") if r.get("error") is None else r["error"]
    head = "".join(f"<th>{_E(m)}</th>" for m in metrics)
    body = []
    infinite = set()
    for item in sorted(by_item):
        cells = []
        for m in metrics:
            v = by_item[item].get(m)
            if isinstance(v, (int, float)) and math.isinf(v):
                infinite.add(m)
            text = format_number(float(v), 4) if isinstance(v, (int, float)) else ("—" if v is None else str(v))
            cells.append(f"<td>{_E(text)}</td>")
        body.append(f"<tr><td>{_E(item)}</td>{''.join(cells)}</tr>")
    note = "" if by_item else "<p>items.jsonl is absent or empty.</p>"
    if infinite:
        note += (f"<p><small>∞ in {_E(', '.join(sorted(infinite)))}: the item's frames are identical to the reference "
                 f"(e.g. PSNR of a copied frame), so the value is infinite, not an error.</small></p>")
    return (f'<details id="items-{i}"><summary>{_E(run.label)}: per-item values ({len(by_item)} items)</summary>{note}'
            f"<table><thead><tr><th>item</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>")


def skip_groups(runs: list[Run]) -> list[dict]:
    """Skipped (item, metric) pairs grouped by reason over all runs: each reason once, with the runs,
    metrics and item counts it affects, largest group first."""
    groups: dict[str, dict] = {}
    for r in runs:
        for m in r.summary.get("missing") or []:
            g = groups.setdefault(m["reason"], {"reason": m["reason"], "runs": [], "metrics": [], "items": set(), "n": 0})
            g["n"] += 1
            g["items"].add((r.label, m["item"]))
            if r.label not in g["runs"]:
                g["runs"].append(r.label)
            metric = m.get("metric") or "all metrics"
            if metric not in g["metrics"]:
                g["metrics"].append(metric)
    return sorted(groups.values(), key=lambda g: (-g["n"], g["reason"]))


def _summary(runs: list[Run], tables: list[PublishedTable]) -> str:
    parts = ["<h2>Summary</h2>"]
    if runs:
        rows = []
        for r in runs:
            ok, reasons = r.comparability
            mark = '<span class="ok">yes</span>' if ok else f'<span class="bad">no</span>: {_E("; ".join(reasons))}'
            rows.append(f"<tr><td>{_E(r.label)}</td><td>{_E(r.protocol.get('id'))}</td><td>{_E(r.coverage)}</td>"
                        f"<td>{len([m for m in r.metrics.values() if m.get('value') is not None])} of {len(r.metrics)}</td>"
                        f"<td>{mark}</td></tr>")
        parts.append("<table><thead><tr><th>run</th><th>protocol</th><th>items evaluated</th><th>metrics with a value"
                     "</th><th>comparable with published numbers</th></tr></thead><tbody>" + "".join(rows)
                     + "</tbody></table>")
    if tables:
        parts.append("<p>Published tables: " + ", ".join(_E(t.id) for t in tables) + ".</p>")
    groups = skip_groups(runs)
    if groups:
        parts.append("<h3>Skipped, and why</h3><table><thead><tr><th>reason</th><th>metrics</th><th>runs</th>"
                     "<th>item × metric</th></tr></thead><tbody>")
        parts += [f"<tr><td>{_E(g['reason'])}</td><td>{_E(', '.join(g['metrics']))}</td>"
                  f"<td>{_E(', '.join(g['runs']))}</td><td>{g['n']}</td></tr>" for g in groups]
        parts.append("</tbody></table>")
    elif runs:
        parts.append("<p>Nothing was skipped.</p>")
    return "\n".join(parts)


def _image(name: str, fig) -> str:
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    close(fig)
    return f'<figure><img alt="{_E(name)}" src="data:image/png;base64,{data}"><figcaption>{_E(name)}</figcaption></figure>'


def _intro(opts: RenderOptions) -> str:
    shown = [t for t, on in (("their bootstrap 95% CI", opts.ci), ("the number of evaluated items (n, or n/N when "
                                                                     "items are missing)", opts.n)) if on]
    return ("<p>Best value per column in <b>bold</b>, second <u>underlined</u> (directions from the metric cards), "
            "among comparable runs and paper rows; a run marked † is not comparable with published numbers (its "
            "footnote says why) and is never ranked against paper rows. "
            + (f"Run values are shown with {' and '.join(shown)}. " if shown else "")
            + "Method names link to per-item tables.</p>")


def render_report(boards: list[Board], runs: list[Run], tables: list[PublishedTable],
                  opts: RenderOptions = RenderOptions(ci=True, n=True), title: str = "talkbench report") -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
             "style-src 'unsafe-inline'\">",
             f"<title>{_E(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{_E(title)}</h1>"]
    parts.append(_summary(runs, tables))
    parts.append("<h2>Leaderboard</h2>")
    parts.append(_intro(opts))
    parts += [render_table(b, "html", opts) for b in boards]
    figs = report_figures(boards, runs)
    if figs:
        parts.append("<h2>Plots</h2>")
        parts += [_image(name, fig) for name, fig in figs]
    if tables:
        parts.append("<h2>Published tables</h2><ul>")
        for t in tables:
            notes = "".join(f"<li>{_E(n)}</li>" for n in t.notes)
            parts.append(f"<li><b>{_E(t.id)}</b>: {_E(t.paper.title)} ({_E(t.paper.venue)}), {_E(t.table)}"
                         f"{' — ' + _E(t.part) if t.part else ''}. Protocol: {_E(t.protocol or 'none')}. "
                         f"{_E(t.setting)}<ul>{notes}</ul></li>")
        parts.append("</ul>")
    if runs:
        parts.append("<h2>Per-item values</h2>")
        parts += [_items_table(i, r) for i, r in enumerate(runs)]
        missing = [_missing(r) for r in runs]
        if any(missing):
            parts.append("<h2>Missing items, one by one</h2>")
            parts += [m for m in missing if m]
        parts.append("<h2>Provenance</h2>")
        parts += [f"<details><summary>{_E(r.label)}</summary>{_provenance(i, r)}</details>" for i, r in enumerate(runs)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
