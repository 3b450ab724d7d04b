"""The audit's `index.html`: one self-contained page (inline CSS, SVG and script, no assets).

It must open from a USB stick or an e-mail attachment on an offline office PC, so nothing
is loaded from elsewhere; the URLs of failing sites are shown as text, never linked.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import TYPE_CHECKING

from generator import __version__
from generator.audit.indicators import NATIONAL, IndicatorRow
from generator.audit.results import status_label

if TYPE_CHECKING:
    from generator.audit.report import Report, TrendPoint

_COLORS = ("#1f5fa8", "#c0392b", "#2e7d32", "#8e44ad")

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d0d0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff4ce;border:1px solid #e0b400;padding:.5rem 1rem}
.yes{color:#1b5e20;font-weight:600}.no{color:#b71c1c;font-weight:600}
.bars{display:grid;grid-template-columns:14rem 1fr 4.5rem;gap:.2rem .6rem;align-items:center}
.bar{position:relative;height:1rem;background:#e9ecef}
.bar span{display:block;height:100%;background:#1f5fa8}
.bar i{position:absolute;top:-.2rem;bottom:-.2rem;border-left:2px dashed #b71c1c}
code{font-size:.85em;word-break:break-all}label{margin-right:1rem}
"""

_SCRIPT = """
(function(){var p=document.getElementById('f-province'),s=document.getElementById('f-status'),
c=document.getElementById('f-count');function run(){var n=0;document.querySelectorAll(
'#failing tbody tr').forEach(function(r){var v=(!p.value||r.dataset.province===p.value)&&
(!s.value||r.dataset.status===s.value);r.hidden=!v;if(v)n++;});c.textContent=n;}
p.addEventListener('change',run);s.addEventListener('change',run);run();})();
"""


def render_html(report: Report) -> str:
    """The whole page as one string."""
    run = report.run
    scope = run.scope.get("province") or "toàn quốc (nationwide)"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="congxa {escape(__version__)}">',
        f"<title>Kiểm tra trang TTĐT cấp xã – lần {run.id}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Kiểm tra trang thông tin điện tử cấp xã (coverage audit)</h1>",
        (
            f"<p>Lần kiểm tra (run) số {run.id}: bắt đầu {escape(run.started_at)}, "
            f"phạm vi (scope) {escape(str(scope))}, {run.units} đơn vị (units), "
            f"năm chỉ tiêu (target year) {run.year}, congxa {escape(run.version)}.</p>"
        ),
    ]
    if not run.complete:
        parts.append(
            f'<p class="warn">Lần kiểm tra này chưa xong (incomplete run): mới kiểm tra '
            f"{run.checked}/{run.units} đơn vị; đơn vị chưa kiểm tra được tính là chưa có "
            "trang (units not checked count as without a page).</p>"
        )
    parts += _national(report.rows)
    parts += _provinces(report.rows)
    parts += _trend(report.trend)
    parts += _statuses(report.status_counts())
    parts += _failing(report)
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _meets(value: bool | None) -> str:
    if value is None:
        return "–"
    return (
        '<span class="yes">đạt (met)</span>'
        if value
        else '<span class="no">chưa đạt (not met)</span>'
    )


def _national(rows: tuple[IndicatorRow, ...]) -> list[str]:
    out = [
        "<h2>Chỉ tiêu toàn quốc (national indicators)</h2>",
        (
            "<table><thead><tr><th>Chỉ tiêu</th><th>Nội dung</th><th>Số đơn vị</th>"
            "<th>Có trang</th><th>Tỷ lệ</th><th>Chỉ tiêu năm</th><th>Kết quả</th>"
            "<th>Đủ chuyên mục (conformant)</th><th>Chưa cập nhật (stale)</th></tr></thead><tbody>"
        ),
    ]
    for row in rows:
        if row.scope != NATIONAL:
            continue
        out.append(
            f"<tr><td>{escape(row.indicator)}</td><td>{escape(row.title_vi)}<br><small>"
            f"{escape(row.title_en)}</small></td><td class=n>{row.units}</td>"
            f"<td class=n>{row.with_page}</td><td class=n>{_pct(row.percent)}</td>"
            f"<td class=n>{_pct(row.target)}</td><td>{_meets(row.meets)}</td>"
            f"<td class=n>{row.conformant}</td><td class=n>{row.stale}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _provinces(rows: tuple[IndicatorRow, ...]) -> list[str]:
    out = ["<h2>Theo tỉnh, thành phố (by province)</h2>"]
    by_indicator: dict[str, list[IndicatorRow]] = defaultdict(list)
    for row in rows:
        if row.scope != NATIONAL:
            by_indicator[row.indicator].append(row)
    for indicator, group in by_indicator.items():
        target = group[0].target
        label = f"chỉ tiêu {_pct(target)}" if target is not None else "không có chỉ tiêu"
        out.append(f"<h3>{escape(indicator)}: {escape(group[0].title_vi)} ({label})</h3>")
        out.append(f'<div class="bars" role="list" aria-label="{escape(indicator)}">')
        for row in group:
            width = row.percent or 0.0
            mark = f'<i style="left:{target:.1f}%" title="target"></i>' if target else ""
            out.append(
                f'<span role="listitem">{escape(row.province_name)} ({row.with_page}/{row.units})'
                f'</span><div class="bar"><span style="width:{width:.1f}%"></span>{mark}</div>'
                f"<span>{_pct(row.percent)}</span>"
            )
        out.append("</div>")
    return out


def _trend(points: tuple[TrendPoint, ...]) -> list[str]:
    out = ["<h2>Diễn biến qua các lần kiểm tra (trend across runs)</h2>"]
    runs = sorted({(p.run_id, p.started_at, p.complete) for p in points})
    series: dict[str, dict[int, float | None]] = defaultdict(dict)
    for p in points:
        series[p.indicator][p.run_id] = p.percent
    if len(runs) > 1:
        out.append(_trend_svg(runs, series))
    head = "".join(f"<th>{escape(name)}</th>" for name in series)
    out.append(f"<table><thead><tr><th>Lần</th><th>Thời gian</th>{head}</tr></thead><tbody>")
    for run_id, started, complete in runs:
        cells = "".join(f"<td class=n>{_pct(series[n].get(run_id))}</td>" for n in series)
        flag = "" if complete else " (chưa xong / incomplete)"
        out.append(f"<tr><td>{run_id}</td><td>{escape(started)}{flag}</td>{cells}</tr>")
    out.append("</tbody></table>")
    return out


def _trend_svg(
    runs: list[tuple[int, str, bool]], series: dict[str, dict[int, float | None]]
) -> str:
    width, height, pad = 640, 200, 30
    step = (width - 2 * pad) / max(len(runs) - 1, 1)
    lines = [
        (
            f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
            'aria-label="tỷ lệ theo lần kiểm tra (percent by run)">'
        ),
        f'<line x1="{pad}" y1="{pad}" x2="{width - pad}" y2="{pad}" stroke="#ccc"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>',
        f'<text x="2" y="{pad + 4}" font-size="11">100%</text>',
        f'<text x="8" y="{height - pad + 4}" font-size="11">0%</text>',
    ]
    for index, (name, values) in enumerate(series.items()):
        color = _COLORS[index % len(_COLORS)]
        points = [
            f"{pad + i * step:.1f},{height - pad - (values[r[0]] or 0) * (height - 2 * pad) / 100:.1f}"
            for i, r in enumerate(runs)
            if values.get(r[0]) is not None
        ]
        lines.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
        )
        lines.append(
            f'<text x="{width - pad + 2}" y="{pad + 14 * (index + 1)}" font-size="11" '
            f'fill="{color}">{escape(name)}</text>'
        )
    lines.append("</svg>")
    return "".join(lines)


def _statuses(counts: dict[str, int]) -> list[str]:
    out = ["<h2>Kết quả theo trạng thái (results by status)</h2><table><tbody>"]
    for status, count in counts.items():
        out.append(
            f"<tr><td>{escape(status_label(status))}</td>"
            f"<td><code>{escape(status)}</code></td><td class=n>{count}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _failing(report: Report) -> list[str]:
    failing = [r for r in report.results if not r.has_page]
    provinces = sorted({(r.province_code, r.province_name) for r in failing})
    statuses = sorted({r.status for r in failing})
    province_options = "".join(
        f'<option value="{escape(code)}">{escape(name)}</option>' for code, name in provinces
    )
    status_options = "".join(
        f'<option value="{escape(s)}">{escape(status_label(s))}</option>' for s in statuses
    )
    out = [
        "<h2>Đơn vị chưa có trang hoạt động (units without a working page)</h2>",
        (
            '<p><label>Tỉnh (province) <select id="f-province"><option value="">tất cả (all)'
            f"</option>{province_options}</select></label>"
            '<label>Trạng thái (status) <select id="f-status"><option value="">tất cả (all)'
            f'</option>{status_options}</select></label> <span id="f-count">{len(failing)}</span>'
            " đơn vị (units)</p>"
        ),
        (
            '<table id="failing"><thead><tr><th>Mã</th><th>Đơn vị</th><th>Tỉnh</th>'
            "<th>Trạng thái</th><th>Địa chỉ (URL)</th><th>Nguyên nhân (cause)</th></tr></thead><tbody>"
        ),
    ]
    for r in failing:
        out.append(
            f'<tr data-province="{escape(r.province_code)}" data-status="{escape(r.status)}">'
            f"<td>{escape(r.code)}</td><td>{escape(r.name)}</td><td>{escape(r.province_name)}</td>"
            f"<td>{escape(status_label(r.status))}</td>"
            f"<td><code>{escape(r.url)}</code></td><td>{escape(r.detail)}</td></tr>"
        )
    out.append("</tbody></table>")
    return out
