"""The HTML report: one self-contained file (no scripts, no external resources, images as base64).

Everything that comes from a result file or a published table goes through html.escape, so a model
called ``<script>…</script>`` is shown as text. The page carries a Content-Security-Policy that
forbids scripts, as a second line of defence.
"""
from __future__ import annotations

import base64
import html

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
        return f"<p>{_E(run.label)}: no missing items.</p>"
    rows = "".join(f"<tr><td>{_E(m['item'])}</td><td>{_E(m.get('metric') or 'all metrics')}</td>"
                   f"<td>{_E(m['reason'])}</td></tr>" for m in missing)
    return (f"<h3>{_E(run.label)}: {len(missing)} missing</h3><table><thead><tr><th>item</th><th>metric</th>"
            f"<th>reason</th></tr></thead><tbody>{rows}</tbody></table>")


def _items_table(i: int, run: Run) -> str:
    metrics = list(run.metrics)
    by_item: dict[str, dict[str, object]] = {}
    for r in run.items:
        by_item.setdefault(str(r["item"]), {})[r.get("metric")] = r.get("value") if r.get("error") is None else r["error"]
    head = "".join(f"<th>{_E(m)}</th>" for m in metrics)
    body = []
    for item in sorted(by_item):
        cells = []
        for m in metrics:
            v = by_item[item].get(m)
            text = format_number(float(v), 4) if isinstance(v, (int, float)) else ("—" if v is None else str(v))
            cells.append(f"<td>{_E(text)}</td>")
        body.append(f"<tr><td>{_E(item)}</td>{''.join(cells)}</tr>")
    note = "" if by_item else "<p>items.jsonl is absent or empty.</p>"
    return (f'<h3 id="items-{i}">{_E(run.label)}: per-item values</h3>{note}'
            f"<table><thead><tr><th>item</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _image(name: str, fig) -> str:
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    close(fig)
    return f'<figure><img alt="{_E(name)}" src="data:image/png;base64,{data}"><figcaption>{_E(name)}</figcaption></figure>'


def render_report(boards: list[Board], runs: list[Run], tables: list[PublishedTable],
                  opts: RenderOptions = RenderOptions(ci=True, n=True), title: str = "talkbench report") -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
             "style-src 'unsafe-inline'\">",
             f"<title>{_E(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{_E(title)}</h1>"]
    parts.append("<h2>Leaderboard</h2>")
    parts.append("<p>Best value per column in <b>bold</b>, second <u>underlined</u> (directions from the metric "
                 "cards); run values with their bootstrap 95% CI and item count. Method names link to per-item "
                 "tables.</p>")
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
        parts.append("<h2>Provenance</h2>")
        parts += [_provenance(i, r) for i, r in enumerate(runs)]
        parts.append("<h2>Missing items</h2>")
        parts += [_missing(r) for r in runs]
        parts.append("<h2>Per-item values</h2>")
        parts += [_items_table(i, r) for i, r in enumerate(runs)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
