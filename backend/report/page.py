"""The oversight report page: what a compliance officer reads, from `OversightReport` figures.

Every text from the database (notes, reasons, names) is escaped; the figures
are also embedded as JSON (`<script type="application/json" id="figures">`),
so a reader's tools can check the page against the API.
"""

from __future__ import annotations

import json
from html import escape

from backend_client import OversightReport

from .svg import bars, line

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;max-width:920px;margin:2em auto;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#17632a}
.bad{color:#a11}.empty{color:#888}small{color:#666}
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return '<p class="empty">nothing in this period</p>'
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if n else f"<td>{escape(c)}</td>"
            for n, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{cells}</tr>{body}</table>"


def _figures_json(report: OversightReport) -> str:
    # "<" escaped so no text inside can close the script element.
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False).replace("<", "\\u003c")


def render(report: OversightReport, *, signature: str | None = None) -> str:
    """The report as one HTML page with inline SVG charts; `signature` says whether the
    checkpoint's signature was found to hold (checked by whoever made the page)."""
    period = f"{report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC"
    journal = report.journal
    verdict = (
        f'<p class="ok">The journal verifies: {journal.entries} entries, head '
        f"<code>{escape(journal.head or '')}</code>.</p>"
        if journal.ok
        else f'<p class="bad">The journal does NOT verify: first bad entry {journal.first_bad} '
        f"({escape(journal.reason or '')}).</p>"
    )
    if report.checkpoint is not None:
        verdict += f'<p id="checkpoint">Checkpoint: {escape(report.checkpoint)}.</p>'
    if signature is not None:
        verdict += f'<p id="checkpoint-signature">Checkpoint: {escape(signature)}.</p>'
    trend = [
        (f"{p.start:%Y-%m-%d}", round(p.override_rate * 100, 1)) for p in report.override_trend
    ]
    speed = [
        (f"{p.start:%Y-%m-%d}", p.median_seconds_per_100_words or 0.0)
        for p in report.override_trend
    ]
    sections = [
        f"<h1>Oversight report</h1><p>{escape(period)} · generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        "<h2>Volumes</h2>",
        _table(
            ["what", "count"],
            [["conversations", str(report.conversations)]]
            + [[f"messages by {r.key}", str(r.count)] for r in report.messages],
        ),
        "<h2>Drafts and decisions</h2>",
        _table(["draft outcome", "count"], [[r.key, str(r.count)] for r in report.drafts]),
        f"<p>{report.decisions} human decisions, {report.overrides} overrides: override rate "
        f'<b id="override-rate">{_pct(report.override_rate)}</b>.</p>',
        "<h3>Why the AI was overridden</h3>",
        bars([(r.key, r.count) for r in report.override_reasons]),
        "<h3>Override rate by day</h3>",
        line(trend, maximum=100, unit="%"),
        "<h3>Override rate by flag</h3>",
        bars([(r.key, round(r.rate * 100, 1)) for r in report.by_flag], unit="%", maximum=100),
        "<h3>By customer language (a first look at bias)</h3>",
        _table(
            ["language", "decisions", "overrides", "rate"],
            [[r.key, str(r.decisions), str(r.overrides), _pct(r.rate)] for r in report.by_language],
        ),
        "<h2>Review</h2>",
        f"<p>Median time to a decision {_num(report.review_seconds_p50, ' s')}, 90th percentile "
        f"{_num(report.review_seconds_p90, ' s')}. Fast approvals (faster than the draft can be "
        f'read): <b id="fast-approvals">{report.fast_approvals}</b> of {report.approvals}.</p>',
        "<h3>Median seconds per 100 words, by day</h3>",
        line(speed, maximum=max([v for _, v in speed] or [1.0]), unit=" s"),
        "<h3>Reviewers</h3>",
        _table(
            [
                "reviewer",
                "decisions",
                "s / 100 words",
                "fast approvals",
                "override rate",
                "calibration caught",
                "catch rate",
            ],
            [
                [
                    m.name,
                    str(m.decisions),
                    _num(m.median_seconds_per_100_words),
                    f"{m.fast_approvals} ({_pct(m.fast_share)})",
                    _pct(m.override_rate),
                    f"{m.calibration_caught} of {m.calibration_seen}",
                    _pct(m.catch_rate),
                ]
                for m in report.reviewers
            ],
        ),
        "<h3>Calibration catch rate by reviewer</h3>",
        bars(
            [
                (m.name, round((m.catch_rate or 0) * 100, 1))
                for m in report.reviewers
                if m.calibration_seen
            ],
            unit="%",
            maximum=100,
        ),
        f"<p>Calibration drafts decided: {report.calibration_decided}; caught "
        f'<b id="calibration-caught">{report.calibration_caught}</b>, missed '
        f"{report.calibration_missed}.</p>",
        "<h2>Escalations</h2>",
        f"<p>SLA: a person within {report.sla_minutes} minutes.</p>",
        _table(
            ["reason", "escalations", "taken", "median wait", "over the SLA"],
            [
                [
                    r.reason,
                    str(r.count),
                    str(r.taken),
                    _num(r.median_wait_seconds, " s"),
                    str(r.over_sla),
                ]
                for r in report.escalations
            ],
        ),
        "<h2>Erasures and retention</h2>",
        f'<p>Erasures: <b id="erasures">{len(report.erasures)}</b> conversation(s). '
        f"Retention runs: {len(report.retention_runs)}.</p>",
        _table(
            ["entry", "when", "what"],
            [[str(e.seq), f"{e.at:%Y-%m-%d %H:%M}", e.note or ""] for e in report.retention_runs],
        ),
        "<h2>The journal</h2>",
        verdict,
        '<p><small>Figures as JSON are embedded in this page (id "figures").</small></p>',
        f'<script type="application/json" id="figures">{_figures_json(report)}</script>',
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>hitl oversight report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>\n"
    )
