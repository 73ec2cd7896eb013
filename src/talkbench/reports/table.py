"""One table renderer for every format: Markdown, LaTeX, HTML fragments and CSV.

`render_table(board, fmt)` builds the header and cells once; a `TableFormat` only supplies escaping,
emphasis (best bold, second underlined, as the papers print them), superscripts and how the pieces
are assembled. CSV is the machine-readable form: raw numbers at full precision, no markup.
"""
from __future__ import annotations

import csv
import html
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from .board import BEST, SECOND, Board, Cell, Column

ARROWS = {True: "↑", False: "↓", None: ""}


#: how a LaTeX table meets the text width: "fit" shrinks it to \linewidth only when wider, "resize"
#: always scales it to \linewidth, "tabular*" spreads the columns over \linewidth, "natural" leaves it
LATEX_WIDTHS = ("fit", "resize", "tabular*", "natural")


@dataclass(frozen=True)
class RenderOptions:
    ci: bool = False  # bootstrap 95% CI beside each run value
    n: bool = False  # number of evaluated items
    ci_style: str = "interval"  # "interval": [lo, hi]; "pm": ± half-width (symmetric intervals, e.g. MOS)
    latex_width: str = "fit"  # one of LATEX_WIDTHS


@dataclass(frozen=True)
class TableFormat:
    name: str
    escape: Callable[[str], str]
    bold: Callable[[str], str]
    underline: Callable[[str], str]
    sup: Callable[[str], str]
    assemble: Callable[[Board, list[str], list[list[str]], list[str]], str]


# -- escaping ---------------------------------------------------------------------------------------
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LATEX_UNICODE = {"↑": r"$\uparrow$", "↓": r"$\downarrow$", "±": r"$\pm$", "†": r"\dag{}", "‡": r"\ddag{}",
                  "Δ": r"$\Delta$", "−": "-", "–": "--", "—": "---", "…": r"\ldots{}", "×": r"$\times$",
                  "✓": r"$\surd$", "<": r"\textless{}", ">": r"\textgreater{}", "→": r"$\rightarrow$",
                  "←": r"$\leftarrow$", "·": r"$\cdot$", "∞": r"$\infty$", "≤": r"$\leq$", "≥": r"$\geq$",
                  "≈": r"$\approx$", "≠": r"$\neq$", "°": r"$^\circ$", "²": r"$^2$", "³": r"$^3$", "√": r"$\surd$",
                  "µ": r"$\mu$", "§": r"\S{}", "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~",
                  "•": r"$\bullet$", "∼": r"$\sim$", "∈": r"$\in$", "≪": r"$\ll$", "≫": r"$\gg$"}
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma sigma "
          "tau upsilon phi chi psi omega").split()
for _k, _name in enumerate(_GREEK):
    if _name != "omicron":
        _LATEX_UNICODE.setdefault(chr(0x3B1 + _k), rf"$\{_name}$")  # α..ω (ς -> sigma)
_LATEX_UNICODE.update({"Γ": r"$\Gamma$", "Θ": r"$\Theta$", "Λ": r"$\Lambda$", "Π": r"$\Pi$", "Σ": r"$\Sigma$",
                       "Φ": r"$\Phi$", "Ψ": r"$\Psi$", "Ω": r"$\Omega$"})
# \ensuremath{...} rather than $...$: adjacent symbols never form "$$" and it works in math too
_LATEX_UNICODE = {k: (rf"\ensuremath{{{v[1:-1]}}}" if v.startswith("$") and v.endswith("$") else v)
                  for k, v in _LATEX_UNICODE.items()}


def _latex_char(ch: str) -> str:
    """An ASCII spelling of one character that pdflatex with the default OT1/T1 encodings accepts:
    the table above, else the letter without its accent (é -> e), else its code point as text."""
    if ch in _LATEX_UNICODE:
        return _LATEX_UNICODE[ch]
    if ord(ch) < 128:
        return ch
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 128 and not unicodedata.combining(c))
    return base or f"[U+{ord(ch):04X}]"


def latex_escape(text: str) -> str:
    """Escape LaTeX specials and spell every non-ASCII character in ASCII, so the output compiles with
    plain pdflatex (no inputenc/unicode setup needed)."""
    flat = " ".join(str(text).splitlines())  # a line break (a blank line ends the table's paragraph) becomes a space
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in flat)
    return "".join(_latex_char(ch) for ch in out)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def markdown_escape(text: str) -> str:
    """Escape Markdown syntax and HTML (GitHub renders inline HTML in PR comments)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\n", " ")


def html_escape(text: str) -> str:
    return html.escape(str(text), quote=True)


# -- cells ------------------------------------------------------------------------------------------
def format_number(v: float | None, digits: int) -> str:
    if v is None:
        return "—"
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}f}"


def _cell_text(cell: Cell | None, col: Column, fmt: TableFormat, opts: RenderOptions) -> str:
    if cell is None:
        return fmt.escape("—")
    if cell.text is not None:
        body = fmt.escape(cell.text)
    else:
        body = fmt.escape(format_number(cell.value, col.digits))
        if cell.mark == BEST:
            body = fmt.bold(body)
        elif cell.mark == SECOND:
            body = fmt.underline(body)
        if opts.ci and cell.ci95 is not None:
            lo, hi = cell.ci95
            if opts.ci_style == "pm":
                body += fmt.escape(f"±{format_number((hi - lo) / 2, col.digits)}")
            else:
                body += " " + fmt.escape(f"[{format_number(lo, col.digits)}, {format_number(hi, col.digits)}]")
        if opts.n and cell.n is not None:
            n = f"n={cell.n}" + (f"/{cell.n_expected}" if cell.n_expected not in (None, cell.n) else "")
            body += " " + fmt.escape(f"({n})")
    if cell.notes:
        body += fmt.sup(",".join(str(k) for k in cell.notes))
    return body


def _label_text(label: str, notes: list[int], fmt: TableFormat) -> str:
    return fmt.escape(label) + (fmt.sup(",".join(str(k) for k in notes)) if notes else "")


def _header(col: Column, fmt: TableFormat) -> str:
    arrow = ARROWS[col.higher_is_better]
    return fmt.escape(f"{col.label} {arrow}".strip())


# -- assembling -------------------------------------------------------------------------------------
def _md_assemble(board: Board, header: list[str], body: list[list[str]], notes: list[str]) -> str:
    lines = [f"**{markdown_escape(board.title)}**", ""]
    lines += [markdown_escape(c) + "  " for c in board.caption]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    if notes:
        lines.append("")
        lines += [f"<sup>{k}</sup> {n}  " for k, n in enumerate(notes, 1)]
    return "\n".join(lines) + "\n"


LATEX_PREAMBLE_COMMENT = (r"% talkbench table: needs \usepackage{booktabs} (\toprule/\midrule/\bottomrule)"
                          r" and \usepackage{graphicx} (\resizebox) in the preamble; pure ASCII, compiles with pdflatex")


def _latex_assemble(board: Board, header: list[str], body: list[list[str]], notes: list[str],
                    width: str = "fit") -> str:
    cols = "r" * (len(header) - 2)
    caption = latex_escape(board.title) + (". " + " ".join(latex_escape(c) for c in board.caption) if board.caption else "")
    if width == "tabular*":
        begin, end = rf"\begin{{tabular*}}{{\linewidth}}{{@{{\extracolsep{{\fill}}}}ll{cols}}}", r"\end{tabular*}"
    else:
        begin, end = rf"\begin{{tabular}}{{ll{cols}}}", r"\end{tabular}"
    lines = [LATEX_PREAMBLE_COMMENT, r"\begin{table}[t]", r"\centering", r"\small", rf"\caption{{{caption}}}"]
    if width == "fit":  # shrink to the line width only when the table is wider
        lines.append(r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%")
    elif width == "resize":
        lines.append(r"\resizebox{\linewidth}{!}{%")
    lines += [begin, r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    lines += [" & ".join(r) + r" \\" for r in body]
    lines += [r"\bottomrule", end]
    if width in ("fit", "resize"):
        lines.append("}")
    if notes:
        lines.append(r"\par\footnotesize")
        lines += [rf"\textsuperscript{{{k}}}{n}\par" for k, n in enumerate(notes, 1)]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def _html_assemble(board: Board, header: list[str], body: list[list[str]], notes: list[str]) -> str:
    cap = html_escape(board.title) + "".join(f"<br><small>{html_escape(c)}</small>" for c in board.caption)
    parts = ['<table class="leaderboard">', f"<caption>{cap}</caption>",
             "<thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead>", "<tbody>"]
    parts += ["<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body]
    parts.append("</tbody></table>")
    if notes:
        parts.append('<ol class="footnotes">' + "".join(f"<li>{n}</li>" for n in notes) + "</ol>")
    return "\n".join(parts) + "\n"


FORMATS: dict[str, TableFormat] = {
    "md": TableFormat("md", markdown_escape, lambda s: f"**{s}**", lambda s: f"<u>{s}</u>",
                      lambda s: f"<sup>{s}</sup>", _md_assemble),
    "latex": TableFormat("latex", latex_escape, lambda s: rf"\textbf{{{s}}}", lambda s: rf"\underline{{{s}}}",
                         lambda s: rf"\textsuperscript{{{s}}}", _latex_assemble),
    "html": TableFormat("html", html_escape, lambda s: f"<b>{s}</b>", lambda s: f"<u>{s}</u>",
                        lambda s: f"<sup>{s}</sup>", _html_assemble),
}


def _grid(board: Board, fmt: TableFormat, opts: RenderOptions) -> tuple[list[str], list[list[str]], list[str]]:
    header = [fmt.escape("Method"), fmt.escape("Source")] + [_header(c, fmt) for c in board.columns]
    body = []
    for row in board.rows:
        label = _label_text(row.label, row.notes, fmt)
        if fmt.name == "html" and row.link:
            label = f'<a href="#{html_escape(row.link)}">{label}</a>'
        body.append([label, fmt.escape(row.source)] + [_cell_text(row.cells.get(c.key), c, fmt, opts) for c in board.columns])
    return header, body, [fmt.escape(n) for n in board.footnotes]


def _csv_fields(board: Board, opts: RenderOptions) -> list[str]:
    fields = []
    for c in board.columns:
        fields.append(c.key)
        if opts.ci:
            fields += [f"{c.key}_ci_lo", f"{c.key}_ci_hi"]
        if opts.n:
            fields.append(f"{c.key}_n")
    return fields


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection): a leading = + - @ tab or CR
    gets a quote prefix; numbers (e.g. a negative KID) are left as they are."""
    text = str(text)
    if not text.startswith(_FORMULA_START):
        return text
    try:
        float(text)
        return text
    except ValueError:
        return "'" + text


def _csv_rows(board: Board, opts: RenderOptions) -> list[dict[str, str]]:
    rows = []
    for row in board.rows:
        out = {"board": csv_safe(board.title), "method": csv_safe(row.label), "source": csv_safe(row.source),
               "kind": csv_safe(row.kind)}
        for c in board.columns:
            cell = row.cells.get(c.key)
            out[c.key] = "" if cell is None else (csv_safe(cell.text) if cell.text is not None else
                                                  ("" if cell.value is None else repr(float(cell.value))))
            if opts.ci:
                ci = cell.ci95 if cell else None
                out[f"{c.key}_ci_lo"], out[f"{c.key}_ci_hi"] = ("", "") if ci is None else (repr(float(ci[0])), repr(float(ci[1])))
            if opts.n:
                out[f"{c.key}_n"] = "" if cell is None or cell.n is None else str(cell.n)
        notes = sorted(set(row.notes + [k for cell in row.cells.values() for k in cell.notes]))
        out["notes"] = csv_safe(" | ".join(board.footnotes[k - 1] for k in notes))
        rows.append(out)
    return rows


def render_csv(boards: Board | list[Board], opts: RenderOptions = RenderOptions()) -> str:
    """One tidy-wide CSV for any number of boards: board (its title), method, source, kind, then per
    column its value (repr precision) and, on request, CI and n; columns are the union over boards
    (blank where a board has no such column), so pandas reads several protocols as one frame."""
    boards = [boards] if isinstance(boards, Board) else list(boards)
    fields = ["board", "method", "source", "kind"]
    for b in boards:
        fields += [f for f in _csv_fields(b, opts) if f not in fields]
    fields.append("notes")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, restval="", lineterminator="\n")
    w.writeheader()
    for b in boards:
        w.writerows(_csv_rows(b, opts))
    return buf.getvalue()


def render_table(board: Board, fmt: str, opts: RenderOptions = RenderOptions()) -> str:
    if fmt == "csv":
        return render_csv(board, opts)
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; known: csv, {', '.join(FORMATS)}")
    f = FORMATS[fmt]
    if fmt == "latex":
        if opts.latex_width not in LATEX_WIDTHS:
            raise ValueError(f"unknown LaTeX width {opts.latex_width!r}; known: {', '.join(LATEX_WIDTHS)}")
        return _latex_assemble(board, *_grid(board, f, opts), width=opts.latex_width)
    return f.assemble(board, *_grid(board, f, opts))


def select_columns(boards: list[Board], names: list[str]) -> list[Board]:
    """Keep only these columns, in this order, on every board (a name is a column key such as ``psnr``
    or ``synthesis_quality[base=lpips]``, or its printed label, case-insensitive). A name no board has
    is an error naming the columns that exist."""
    import dataclasses

    wanted = [n.strip().lower() for n in names if n.strip()]
    known = {k for b in boards for c in b.columns for k in (c.key.lower(), c.label.lower())}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; the boards have: "
                         + ", ".join(dict.fromkeys(c.key for b in boards for c in b.columns)))
    out = []
    for b in boards:
        by_name = {k: c for c in b.columns for k in (c.key.lower(), c.label.lower())}
        cols = list(dict.fromkeys(by_name[n].key for n in wanted if n in by_name))
        out.append(dataclasses.replace(b, columns=[b.column(k) for k in cols]))
    return out
