"""The audit's `index.html`: one self-contained page (inline CSS, SVG and script, no assets).

It must open from a USB stick or an e-mail attachment on an offline office PC, and on a
phone, so nothing is loaded from elsewhere, wide tables scroll inside their box, and the
URLs of failing sites are shown as text, never linked. Every word is Vietnamese; times
are Vietnam time (wording.py). One province filter drives the whole page: rows of units
carry `data-province`, figures of a scope carry `data-agg` ("" for the whole run).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from html import escape
from typing import TYPE_CHECKING

from generator import __version__
from generator.audit import monitor
from generator.audit.indicators import NATIONAL, IndicatorRow
from generator.audit.wording import STATUS_VI, cause, percent, vn_date, vn_datetime
from generator.source.essential import categories, priority_title
from generator.source.profile import load_profile

if TYPE_CHECKING:
    from generator.audit.report import Report

_COLORS = ("#1f5fa8", "#c0392b", "#2e7d32", "#8e44ad")
_PRIORITY_COLORS = {"khan-cap": "#b71c1c", "uu-tien": "#e67e22", "thuong": "#1f5fa8"}

_CSS = """
*{box-sizing:border-box}[hidden]{display:none!important}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.45rem;line-height:1.3}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1.05rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d0d0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.warn{background:#fff4ce;border:1px solid #e0b400;padding:.5rem 1rem}
.filter{position:sticky;top:0;background:#fff;padding:.4rem 0;border-bottom:1px solid #ddd;z-index:1}
.yes{color:#1b5e20;font-weight:600}.no{color:#b71c1c;font-weight:600}
.bars{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr 4.5rem;gap:.2rem .6rem;align-items:center}
.bar{position:relative;height:1rem;background:#e9ecef}
.bar span{display:block;height:100%;background:#1f5fa8}
.bar i{position:absolute;top:-.2rem;bottom:-.2rem;border-left:2px dashed #b71c1c}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;list-style:none;padding:0;margin:.3rem 0}
.legend b{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;vertical-align:-.1rem}
.cards{display:flex;flex-wrap:wrap;gap:.6rem}.cards div{border:1px solid #d0d0d0;padding:.4rem .8rem}
.cards strong{display:block;font-size:1.4rem}
figure{margin:.5rem 0}svg{max-width:100%;height:auto}
code{font-size:.85em;word-break:break-all}td{min-width:3.2rem}label{margin-right:1rem;display:inline-block}
select{max-width:100%;font:inherit}
@media (max-width:600px){body{padding:.6rem;font-size:14px}
.bars{grid-template-columns:7rem 1fr 3.6rem;font-size:13px}
th,td{padding:.25rem .3rem}h2{font-size:1.1rem}}
"""

_SCRIPT = """
(function(){var p=document.getElementById('f-province'),s=document.getElementById('f-status'),
c=document.getElementById('f-count');function run(){var v=p?p.value:'',n=0;
document.querySelectorAll('[data-agg]').forEach(function(e){e.hidden=e.dataset.agg!==v;});
document.querySelectorAll('[data-province]').forEach(function(e){var ok=!v||e.dataset.province===v;
if(e.dataset.status!==undefined){ok=ok&&(!s||!s.value||e.dataset.status===s.value);if(ok)n++;}
e.hidden=!ok;});if(c)c.textContent=n;}
if(p)p.addEventListener('change',run);if(s)s.addEventListener('change',run);run();})();
"""


def scope_name(report: Report) -> str:
    """'Tỉnh Quảng Ninh' for a one-province run, 'toàn quốc' for a nationwide one."""
    return report.province_name or "toàn quốc"


def render_html(report: Report) -> str:
    """The whole page as one string."""
    run = report.run
    scope = scope_name(report)
    provinces = sorted({(r.province_code, r.province_name) for r in report.results})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="congxa {escape(__version__)}">',
        f"<title>Kiểm tra trang TTĐT cấp xã – {escape(scope)} – lần {run.id}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Kiểm tra trang thông tin điện tử cấp xã – {escape(scope)}</h1>",
        (
            f"<p>Lần kiểm tra số {run.id}, bắt đầu {vn_datetime(run.started_at)} (giờ Việt Nam), "
            f"phạm vi: {escape(scope)}, {run.units} đơn vị, năm chỉ tiêu {run.year}, "
            f"phiên bản congxa {escape(run.version)}.</p>"
        ),
    ]
    if not run.complete:
        parts.append(
            f'<p class="warn">Lần kiểm tra này chưa xong: mới kiểm tra {run.checked}/{run.units}'
            " đơn vị; đơn vị chưa kiểm tra được tính là chưa có trang.</p>"
        )
    if len(provinces) > 1:
        options = "".join(
            f'<option value="{escape(code)}">{escape(name)}</option>' for code, name in provinces
        )
        parts.append(
            '<p class="filter"><label>Lọc theo tỉnh, thành phố <select id="f-province">'
            f'<option value="">Toàn quốc</option>{options}</select></label></p>'
        )
    parts += _indicators(report)
    if len(provinces) > 1:
        parts += _provinces(report.rows)
    scopes: list[tuple[str, str | None]] = [("", None)]
    if len(provinces) > 1:
        scopes += [(code, code) for code, _name in provinces]
    parts += _stale(report)
    parts += _empty(report)
    parts += _essential(report, scopes)
    parts += _trend(report)
    parts += _years(report)
    parts += _statuses(report)
    parts += _failing(report)
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _table(head: list[str], rows: list[str], attrs: str = "") -> str:
    cells = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<div class="scroll"><table{attrs}><thead><tr>{cells}</tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _meets(value: bool | None) -> str:
    if value is None:
        return "–"
    return '<span class="yes">đạt</span>' if value else '<span class="no">chưa đạt</span>'


def _agg(row: IndicatorRow) -> str:
    return "" if row.scope == NATIONAL else row.scope


def _indicators(report: Report) -> list[str]:
    title = (
        f"Chỉ tiêu của {escape(report.province_name)}"
        if report.province_name
        else "Chỉ tiêu toàn quốc"
    )
    one_scope = len({r.scope for r in report.rows}) <= 2  # national + its only province
    rows = []
    for row in report.rows:
        if one_scope and row.scope != NATIONAL:
            continue
        rows.append(
            f'<tr data-agg="{escape(_agg(row))}"><td>{escape(row.indicator)}</td>'
            f"<td>{escape(row.title_vi)}</td><td class=n>{row.units}</td>"
            f"<td class=n>{row.with_page}</td><td class=n>{percent(row.percent)}</td>"
            f"<td class=n>{percent(row.target)}</td><td>{_meets(row.meets)}</td>"
            f"<td class=n>{row.conformant}</td><td class=n>{row.stale}</td></tr>"
        )
    head = [
        "Chỉ tiêu",
        "Nội dung",
        "Số đơn vị",
        "Có trang",
        "Tỷ lệ",
        f"Chỉ tiêu năm {report.run.year}",
        "Kết quả",
        "Đủ chuyên mục",
        "Lâu chưa cập nhật",
    ]
    return [f"<h2>{title}</h2>", _table(head, rows)]


def _provinces(rows: tuple[IndicatorRow, ...]) -> list[str]:
    out = ["<h2>Theo tỉnh, thành phố</h2>"]
    by_indicator: dict[str, list[IndicatorRow]] = defaultdict(list)
    for row in rows:
        if row.scope != NATIONAL:
            by_indicator[row.indicator].append(row)
    for indicator, group in by_indicator.items():
        target = group[0].target
        label = f" (chỉ tiêu {percent(target)})" if target is not None else ""
        out.append(f"<h3>{escape(indicator)}: {escape(group[0].title_vi)}{label}</h3>")
        out.append(f'<div class="bars" role="list" aria-label="{escape(indicator)}">')
        for row in group:
            width = row.percent or 0.0
            mark = f'<i style="left:{target:.1f}%" title="chỉ tiêu"></i>' if target else ""
            out.append(
                f'<span role="listitem">{escape(row.province_name)} ({row.with_page}/{row.units})'
                f'</span><div class="bar"><span style="width:{width:.1f}%"></span>{mark}</div>'
                f"<span>{percent(row.percent)}</span>"
            )
        out.append("</div>")
    return out


def _counts(posts: int | None, exact: bool) -> str:
    if posts is None:
        return "–"
    return str(posts) if exact else f"≥ {posts}"


def _stale(report: Report) -> list[str]:
    units = monitor.with_page(report)
    out = [
        "<h2>Đơn vị lâu chưa cập nhật</h2>",
        (
            f"<p>Tính đến lúc kiểm tra ({vn_date(report.run.started_at)}), theo ngày của bài "
            "mới nhất trên trang của đơn vị. Chỉ tính các đơn vị có trang.</p>"
        ),
    ]
    cards = []
    for code in [""] + sorted({u.result.province_code for u in units}):
        scoped = [u for u in units if not code or u.result.province_code == code]
        steps = "".join(
            f"<div><strong>{len(monitor.stale(scoped, days))}</strong>từ {days} ngày trở lên</div>"
            for days in monitor.STALE_STEPS
        )
        cards.append(
            f'<div class="cards" data-agg="{escape(code)}"><div><strong>{len(scoped)}</strong>'
            f"đơn vị có trang</div>{steps}<div><strong>{len(monitor.undated(scoped))}</strong>"
            "không rõ ngày đăng</div></div>"
        )
    if len(cards) == 2:  # one province: its card repeats the whole run's
        cards = cards[:1]
    out += cards
    rows = []
    for unit in monitor.stale(units, monitor.STALE_STEPS[0]) + monitor.undated(units):
        r, a = unit.result, unit.activity
        exact = bool(a and a.exact)
        last = vn_date(a.last_post if a and a.last_post else r.newest) or "không rõ"
        rows.append(
            f'<tr data-province="{escape(r.province_code)}"><td>{escape(r.code)}</td>'
            f"<td>{escape(r.name)}</td><td>{escape(r.province_name)}</td><td>{last}</td>"
            f"<td class=n>{'–' if unit.days is None else unit.days}</td>"
            f"<td class=n>{_counts(a.posts_90 if a else None, exact)}</td>"
            f"<td class=n>{_counts(a.posts_365 if a else None, exact)}</td></tr>"
        )
    if rows:
        head = ["Mã", "Đơn vị", "Tỉnh", "Bài mới nhất", "Số ngày", "Bài 90 ngày", "Bài 365 ngày"]
        out.append(_table(head, rows))
    else:
        out.append("<p>Mọi đơn vị có trang đều đăng bài trong 30 ngày qua.</p>")
    return out


def _section_titles() -> dict[str, str]:
    return {s.id: s.title for s in load_profile().sections}


def _empty(report: Report) -> list[str]:
    titles = _section_titles()
    found = monitor.with_empty_sections(monitor.with_page(report))
    out = ["<h2>Chuyên mục bắt buộc còn trống hoặc chưa có</h2>"]
    if not found:
        return [*out, "<p>Mọi đơn vị có trang đều có đủ chuyên mục bắt buộc có bài.</p>"]
    rows = []
    for unit, gaps in found:
        r = unit.result
        names = ", ".join(escape(titles.get(g, g)) for g in gaps)
        rows.append(
            f'<tr data-province="{escape(r.province_code)}"><td>{escape(r.code)}</td>'
            f"<td>{escape(r.name)}</td><td>{escape(r.province_name)}</td>"
            f"<td class=n>{len(gaps)}</td><td>{names}</td></tr>"
        )
    return [*out, _table(["Mã", "Đơn vị", "Tỉnh", "Số chuyên mục", "Chuyên mục"], rows)]


def _essential(report: Report, scopes: list[tuple[str, str | None]]) -> list[str]:
    order = monitor.priority_order()
    legend = "".join(
        f'<li><b style="background:{_PRIORITY_COLORS.get(p, "#777")}"></b>'
        f"{escape(priority_title(p))}</li>"
        for p in order
    )
    out = [
        "<h2>Thông tin thiết yếu theo tháng</h2>",
        (
            "<p>Số tin thiết yếu (Nghị định 49/2024/NĐ-CP) các đơn vị đã đăng, theo tháng và "
            "mức ưu tiên, đọc từ nguồn tin (RSS) của các trang qua mọi lần kiểm tra.</p>"
        ),
        f'<ul class="legend">{legend}</ul>',
    ]
    year = monitor.run_moment(report).year
    names = categories()
    for agg, province in scopes:
        months, counts = monitor.by_month(report, province)
        block = [f'<div data-agg="{escape(agg)}">']
        if not months:
            block.append("<p>Chưa ghi nhận tin thiết yếu nào.</p></div>")
            out += block
            continue
        block.append(_month_svg(months, counts, order))
        rows = [
            f"<tr><td>{m:02d}/{y}</td>"
            + "".join(f"<td class=n>{counts[(y, m)][p]}</td>" for p in order)
            + f"<td class=n>{sum(counts[(y, m)].values())}</td></tr>"
            for y, m in months
        ]
        head = ["Tháng", *(escape(priority_title(p)) for p in order), "Cộng"]
        block.append(_table(head, rows))
        per_category = monitor.by_category(report, year, province)
        if per_category:
            block.append(f"<h3>Theo nhóm thông tin, năm {year}</h3>")
            rows = [
                f"<tr><td>{escape(names.get(cat, cat))}</td>"
                + "".join(f"<td class=n>{c[p]}</td>" for p in order)
                + f"<td class=n>{sum(c.values())}</td></tr>"
                for cat, c in per_category.items()
            ]
            block.append(
                _table(["Nhóm", *(escape(priority_title(p)) for p in order), "Cộng"], rows)
            )
        block.append("</div>")
        out += block
    return out


def _month_svg(
    months: list[tuple[int, int]], counts: dict[tuple[int, int], Counter[str]], order: list[str]
) -> str:
    width, height, left, bottom, top = 420, 180, 30, 26, 12
    peak = max((sum(c.values()) for c in counts.values()), default=0) or 1
    slot = (width - left - 8) / len(months)
    bar = max(4.0, slot * 0.7)
    scale = (height - top - bottom) / peak
    parts = [
        (
            f'<figure><svg viewBox="0 0 {width} {height}" role="img" '
            'aria-label="Số tin thiết yếu theo tháng và mức ưu tiên">'
        ),
        (
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" '
            f'y2="{height - bottom}" stroke="#999"/>'
        ),
        f'<text x="{left - 4}" y="{top + 4}" font-size="12" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{height - bottom + 4}" font-size="12" text-anchor="end">0</text>',
    ]
    label_every = max(1, len(months) // 12 + (len(months) % 12 > 0))
    for index, (year, month) in enumerate(months):
        x = left + index * slot + (slot - bar) / 2
        y = float(height - bottom)
        for priority in reversed(order):  # most urgent on top
            n = counts[(year, month)][priority]
            if not n:
                continue
            h = n * scale
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{_PRIORITY_COLORS.get(priority, "#777")}"><title>{month:02d}/{year}: '
                f"{n} tin {escape(priority_title(priority))}</title></rect>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="11" '
                f'text-anchor="middle">{month:02d}/{year % 100:02d}</text>'
            )
    parts.append("</svg></figure>")
    return "".join(parts)


def _trend(report: Report) -> list[str]:
    out = ["<h2>Chỉ tiêu qua các lần kiểm tra</h2>"]
    names = [i.id for i in report.indicators]
    scopes = sorted({r.scope for f in report.history for r in f.rows} - {NATIONAL})
    aggs = [NATIONAL] + (scopes if len(scopes) > 1 else [])
    for agg in aggs:
        series: dict[str, dict[int, float | None]] = defaultdict(dict)
        for figures in report.history:
            for row in figures.rows:
                if row.scope == agg:
                    series[row.indicator][figures.run.id] = row.percent
        runs = [f.run for f in report.history]
        attr = "" if agg == NATIONAL else agg
        block = [f'<div data-agg="{escape(attr)}">']
        if len(runs) > 1:
            block.append(_trend_svg([r.id for r in runs], series, names))
        head = ["Lần", "Thời gian (giờ Việt Nam)", *(escape(n) for n in names)]
        rows = []
        for run in runs:
            cells = "".join(f"<td class=n>{percent(series[n].get(run.id))}</td>" for n in names)
            flag = "" if run.complete else " (chưa xong)"
            rows.append(
                f"<tr><td>{run.id}</td><td>{vn_datetime(run.started_at)}{flag}</td>{cells}</tr>"
            )
        block += [_table(head, rows), "</div>"]
        out += block
    return out


def _trend_svg(
    run_ids: list[int], series: dict[str, dict[int, float | None]], names: list[str]
) -> str:
    width, height, pad = 420, 170, 36
    step = (width - 2 * pad) / max(len(run_ids) - 1, 1)
    parts = [
        (
            f'<figure><svg viewBox="0 0 {width} {height}" role="img" '
            'aria-label="Tỷ lệ đơn vị có trang theo lần kiểm tra">'
        ),
        f'<line x1="{pad}" y1="{pad}" x2="{width - pad}" y2="{pad}" stroke="#ccc"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>',
        f'<text x="{pad - 4}" y="{pad + 4}" font-size="12" text-anchor="end">100%</text>',
        f'<text x="{pad - 4}" y="{height - pad + 4}" font-size="12" text-anchor="end">0%</text>',
    ]
    for index, run_id in enumerate(run_ids):
        parts.append(
            f'<text x="{pad + index * step:.1f}" y="{height - pad + 16}" font-size="11" '
            f'text-anchor="middle">{run_id}</text>'
        )
    legend = []
    for index, name in enumerate(names):
        values = series.get(name, {})
        color = _COLORS[index % len(_COLORS)]
        points = [
            f"{pad + i * step:.1f},{height - pad - (values[r] or 0) * (height - 2 * pad) / 100:.1f}"
            for i, r in enumerate(run_ids)
            if values.get(r) is not None
        ]
        if points:
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
            )
            legend.append(f'<li><b style="background:{color}"></b>Chỉ tiêu {escape(name)}</li>')
    parts.append("</svg>")
    # The legend is HTML under the chart: it wraps on a phone instead of running off the edge.
    parts.append(f'<figcaption><ul class="legend">{"".join(legend)}</ul></figcaption></figure>')
    return "".join(parts)


def _years(report: Report) -> list[str]:
    yearly = report.yearly()
    names = [i.id for i in report.indicators]
    out = [
        "<h2>Chỉ tiêu theo năm</h2>",
        (
            "<p>Mỗi năm lấy lần kiểm tra đầy đủ cuối cùng của năm đó (giờ Việt Nam); "
            "đây là số liệu đưa vào báo cáo năm (<code>congxa report --year</code>).</p>"
        ),
    ]
    scopes = sorted({r.scope for f in yearly.values() for r in f.rows} - {NATIONAL})
    for agg in [NATIONAL] + (scopes if len(scopes) > 1 else []):
        rows = []
        for year, figures in yearly.items():
            found = {r.indicator: r for r in figures.rows if r.scope == agg}
            cells = "".join(f"<td class=n>{_year_cell(found.get(n))}</td>" for n in names)
            rows.append(f"<tr><td>{year}</td><td class=n>{figures.run.id}</td>{cells}</tr>")
        attr = "" if agg == NATIONAL else agg
        head = ["Năm", "Lần kiểm tra", *(escape(n) for n in names)]
        out.append(f'<div data-agg="{escape(attr)}">{_table(head, rows)}</div>')
    return out


def _year_cell(row: IndicatorRow | None) -> str:
    if row is None:
        return "–"
    return f"{percent(row.percent)} ({row.with_page}/{row.units})"


def _statuses(report: Report) -> list[str]:
    counts = report.status_counts()
    rows = [
        f"<tr><td>{escape(STATUS_VI.get(status, status))}</td><td class=n>{count}</td></tr>"
        for status, count in counts.items()
    ]
    return ["<h2>Kết quả theo trạng thái</h2>", _table(["Trạng thái", "Số đơn vị"], rows)]


def _failing(report: Report) -> list[str]:
    failing = [r for r in report.results if not r.has_page]
    statuses = sorted({r.status for r in failing})
    status_options = "".join(
        f'<option value="{escape(s)}">{escape(STATUS_VI.get(s, s))}</option>' for s in statuses
    )
    out = [
        "<h2>Đơn vị chưa có trang hoạt động</h2>",
        (
            '<p><label>Trạng thái <select id="f-status"><option value="">tất cả</option>'
            f'{status_options}</select></label> <span id="f-count">{len(failing)}</span>'
            " đơn vị</p>"
        ),
    ]
    rows = [
        f'<tr data-province="{escape(r.province_code)}" data-status="{escape(r.status)}">'
        f"<td>{escape(r.code)}</td><td>{escape(r.name)}</td><td>{escape(r.province_name)}</td>"
        f"<td>{escape(STATUS_VI.get(r.status, r.status))}</td>"
        f"<td><code>{escape(r.url)}</code></td><td>{escape(cause(r))}</td></tr>"
        for r in failing
    ]
    head = ["Mã", "Đơn vị", "Tỉnh", "Trạng thái", "Địa chỉ", "Nguyên nhân"]
    out.append(_table(head, rows, ' id="failing"'))
    return out
