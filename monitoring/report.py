"""A self-contained HTML drift report: a ranked table and, per feature, reference vs current bars.

Plots are inline SVG, so the file opens anywhere with no network and no JavaScript.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from monitoring.drift import DriftResult, FeatureDrift

_COLOURS = {"ok": "#2e7d32", "warn": "#ef6c00", "alert": "#c62828", "insufficient_data": "#607d8b"}


def _bars(feature: FeatureDrift, width: int = 560, height: int = 150) -> str:
    histogram = feature.histogram
    count = len(histogram.labels)
    top = max([*histogram.reference, *histogram.current, 1e-9])
    slot = width / max(count, 1)
    bar = slot * 0.4
    parts = [f'<svg width="{width}" height="{height + 20}" role="img" aria-label="{html.escape(feature.feature)}">']
    for i, (ref, cur) in enumerate(zip(histogram.reference, histogram.current, strict=True)):
        x = i * slot
        for offset, value, colour, who in ((0.1, ref, "#90a4ae", "reference"), (0.5, cur, "#1565c0", "current")):
            h = height * value / top
            label = html.escape(f"{histogram.labels[i]} {who} {value:.2%}")
            parts.append(
                f'<rect x="{x + slot * offset:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{label}</title></rect>'
            )
    parts.append(f'<text x="0" y="{height + 15}" font-size="11">{html.escape(histogram.labels[0])}</text>')
    last = html.escape(histogram.labels[-1])
    parts.append(f'<text x="{width}" y="{height + 15}" font-size="11" text-anchor="end">{last}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float | None, spec: str = ".3g") -> str:
    return "" if value is None else format(value, spec)


def render_html(result: DriftResult, title: str) -> str:
    rows = []
    for f in result.features:
        rows.append(
            "<tr>"
            f'<td><a href="#f-{html.escape(f.feature)}">{html.escape(f.feature)}</a></td>'
            f'<td style="color:{_COLOURS[f.status]};font-weight:bold">{f.status}</td>'
            f"<td>{_number(f.score)}</td><td>{_number(f.p_value_adjusted)}</td><td>{_number(f.psi)}</td>"
            f"<td>{_number(f.missing_rate_reference, '.1%')} &rarr; {_number(f.missing_rate_current, '.1%')}</td>"
            f"<td>{_number(f.mean_shift_sd)}</td><td>{html.escape('; '.join(f.reasons))}</td>"
            "</tr>"
        )
    sections = [
        f'<section id="f-{html.escape(f.feature)}"><h3>{html.escape(f.feature)} '
        f'<small style="color:{_COLOURS[f.status]}">{f.status}</small></h3>{_bars(f)}</section>'
        for f in result.features
    ]
    malformed = ""
    if result.input.malformed_records:
        examples = "".join(f"<li>{html.escape(e)}</li>" for e in result.input.malformed_examples)
        malformed = f"<p>{result.input.malformed_records} malformed capture records skipped:</p><ul>{examples}</ul>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Status: <b style="color:{_COLOURS[result.status]}">{result.status}</b> &middot; method {result.method}
&middot; {result.rows:,} rows &middot; drifted: {html.escape(", ".join(result.drifted_features) or "none")}
&middot; too little data to test: {html.escape(", ".join(result.insufficient_features) or "none")}</p>
{malformed}
<table><thead><tr><th>feature</th><th>status</th><th>score ({result.method})</th><th>p (Holm)</th><th>PSI</th>
<th>missing ref &rarr; cur</th><th>mean shift (sd)</th><th>why</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<p><span style="color:#90a4ae">&#9632;</span> reference <span style="color:#1565c0">&#9632;</span> current</p>
{"".join(sections)}
</body></html>
"""


def write_report(result: DriftResult, path: Path, title: str = "Slipstack drift report") -> None:
    """Write atomically so a failed run never leaves half a report behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render_html(result, title))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
