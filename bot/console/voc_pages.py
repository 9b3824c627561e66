"""Supervisor pages of the agent console for voice of the customer (客户之声, issue 18).

    GET /voc[?lang=en]                    the dashboard: charts, themes, pain points (HTML, no script)
    GET /voc/chart/<name>.png[?lang=en]   one chart, drawn server-side (the CSP allows no inline script)
    GET /voc/report.pdf[?lang=en]         the weekly PDF report
    GET /voc/export.csv                   the rollup per day, channel, language and intent

Supervisors only: no session -> the login page (pages) or 401; an agent -> 403. Every view is audited.
Everything shown comes from the service layer's masked voices and rollups.
"""
from __future__ import annotations

import asyncio
import html
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.human_lane import agents as agent_accounts
from actions.service.voice_of_customer import dashboard
from actions.service.voice_of_customer.charts import CHART_NAMES, EN, ZH

SUPERVISOR = "supervisor"
_TEXT = {
    "title": ("客户之声", "Voice of the customer"),
    "back": ("返回队列", "Back to the queue"),
    "other_language": ("English", "中文"),
    "summary": ("近 90 天", "Last 90 days"),
    "contacts": ("咨询", "contacts"),
    "containment": ("机器人解决率", "containment"),
    "satisfaction": ("好评度", "satisfaction"),
    "charts": ("图表", "Charts"),
    "themes": ("主题（痛点候选）", "Themes (pain point candidates)"),
    "theme": ("主题", "Theme"),
    "volume": ("声音数", "Voices"),
    "trend": ("趋势", "Trend"),
    "unhappy": ("不满意", "Dissatisfied"),
    "quadrant": ("象限", "Quadrant"),
    "examples": ("例子", "Examples"),
    "pain_points": ("痛点跟踪", "Pain points"),
    "status": ("状态", "Status"),
    "department": ("负责部门", "Department"),
    "due": ("期限", "Due"),
    "verdict": ("验证结果", "Verdict"),
    "downloads": ("下载", "Downloads"),
    "pdf": ("周报 PDF", "Weekly PDF"),
    "csv": ("数据 CSV", "Data CSV"),
    "none": ("暂无", "None yet"),
    "forbidden": ("只有主管可以查看客户之声。", "Only supervisors can see the voice of the customer."),
}
QUADRANTS = {"fix now": ("立即改进", "fix now"), "fix next": ("随后改进", "fix next"), "watch": ("关注", "watch"),
             "keep": ("保持", "keep")}
CHART_ALT = {
    "volume": ("咨询量热力图", "Contacts by weekday and hour"),
    "trends": ("解决率、转人工率、未识别率趋势", "Containment, handoff and fallback trends"),
    "satisfaction": ("各渠道各语言好评度", "Satisfaction by channel and language"),
    "matrix": ("体验改进矩阵", "Experience-improvement matrix"),
    "before_after": ("改进前后好评度", "Satisfaction before and after each fix"),
}


def _language(request: Request) -> str:
    return EN if request.args.get("lang") == EN else ZH


def _t(key: str, language: str, table: Dict = _TEXT) -> str:
    zh, en = table[key]
    return en if language == EN else zh


def _percent(value: Optional[float]) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def render_page(base: str, style: str, language: str) -> str:
    """The dashboard's HTML: numbers and tables as text, charts as images from the same origin."""
    data, board = dashboard.snapshot(), dashboard.pain_point_board()
    e = html.escape
    suffix = "?lang=en" if language == EN else ""
    other = f"{base}/voc" + ("" if language == EN else "?lang=en")
    daily = data.frames["daily"]
    contacts = int(daily["contacts"].sum()) if not daily.empty else 0
    contained = (daily["contained"].sum() / contacts) if contacts else None
    rated = data.frames["satisfaction"]["rated"].sum() if not data.frames["satisfaction"].empty else 0
    satisfied = data.frames["satisfaction"]["satisfied"].sum() if rated else 0
    parts = [
        f'<!DOCTYPE html><html lang="{"en" if language == EN else "zh-Hans"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(_t('title', language))} · 安心</title><style>{style}</style></head>",
        f'<body data-page="voc"><header class="bar"><span class="brand">{e(_t("title", language))}</span>',
        f'<a href="{base}/queue">{e(_t("back", language))}</a> <a href="{e(other)}" data-test="voc-language">'
        f'{e(_t("other_language", language))}</a></header><main>',
        f"<h1>{e(_t('title', language))}</h1>",
        f'<p data-test="voc-summary">{e(_t("summary", language))}: {contacts} {e(_t("contacts", language))} · '
        f'{e(_t("containment", language))} {_percent(contained)} · {e(_t("satisfaction", language))} '
        f'{_percent(satisfied / rated if rated else None)}</p>',
        f"<h2>{e(_t('charts', language))}</h2>",
    ]
    for name in CHART_NAMES:
        parts.append(f'<p><img data-test="voc-chart" data-chart="{name}" width="675" height="324" '
                     f'src="{base}/voc/chart/{name}.png{suffix}" alt="{e(_t(name, language, CHART_ALT))}"></p>')
    parts.append(f"<h2>{e(_t('themes', language))}</h2>")
    if data.themes.themes:
        parts.append("<table data-test='voc-themes'><thead><tr>" + "".join(
            f"<th scope='col'>{e(_t(k, language))}</th>" for k in ("theme", "volume", "trend", "unhappy", "quadrant", "examples"))
            + "</tr></thead><tbody>")
        for theme in data.themes.themes[:20]:
            parts.append(f"<tr><td>{e(theme.label)}</td><td>{theme.volume}</td><td>{theme.trend:+.0%}</td>"
                         f"<td>{theme.dissatisfaction:.0%}</td><td>{e(_t(data.themes.quadrants[theme.label], language, QUADRANTS)) if theme.label in data.themes.quadrants else ''}</td>"
                         f"<td>{'<br>'.join(e(x) for x in theme.examples)}</td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append(f"<p class='empty'>{e(_t('none', language))}</p>")
    parts.append(f"<h2>{e(_t('pain_points', language))}</h2>")
    if board.pain_points:
        parts.append("<table data-test='voc-pain-points'><thead><tr><th>#</th>" + "".join(
            f"<th scope='col'>{e(_t(k, language))}</th>" for k in ("theme", "department", "status", "due", "verdict"))
            + "</tr></thead><tbody>")
        for point in board.pain_points:
            parts.append(f"<tr><td>{point.id}</td><td>{e(point.title)}</td><td>{e(point.department)}</td>"
                         f"<td>{e(point.status)}</td><td>{point.due_date or ''}</td><td>{e(point.verdict)}</td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append(f"<p class='empty'>{e(_t('none', language))}</p>")
    parts.append(f"<h2>{e(_t('downloads', language))}</h2><p><a href='{base}/voc/report.pdf{suffix}' data-test='voc-pdf'>"
                 f"{e(_t('pdf', language))}</a> · <a href='{base}/voc/export.csv' data-test='voc-csv'>"
                 f"{e(_t('csv', language))}</a></p></main></body></html>")
    return "".join(parts)


def register(console: Blueprint, base: str, style: str, headers: Dict[str, str],
             current_agent: Callable[[Request], Any], from_another_origin: Callable[[Request], bool]) -> None:
    """Add the supervisor pages to the console's blueprint (app.py passes its session and origin checks)."""

    @console.listener("after_server_start")
    async def compute_numbers(*_: Any) -> None:
        # The first supervisor's view should not wait for a 90-day rollup. Started once the server is up:
        # a thread importing and computing while Rasa still loads its model stalled the start.
        dashboard.warm()

    def supervisor_only(page: bool) -> Callable:
        def decorate(handler: Callable) -> Callable:
            async def guarded(request: Request, **kwargs: Any) -> HTTPResponse:
                if from_another_origin(request):
                    return response.text("This request must come from the console page.", status=403, headers=headers)
                agent = current_agent(request)
                if agent is None:
                    if page:
                        return response.redirect(f"{base}/login", headers=headers)
                    return response.text("Please log in.", status=401, headers=headers)
                language = _language(request)
                if agent.role != SUPERVISOR:
                    return response.html(f"<!DOCTYPE html><p>{html.escape(_t('forbidden', language))}</p>",
                                         status=403, headers=headers)
                return await handler(request, agent, language, **kwargs)

            guarded.__name__ = handler.__name__
            return guarded

        return decorate

    @console.route("/voc", methods=["GET"])
    @supervisor_only(page=True)
    async def voc_page(request: Request, agent: Any, language: str) -> HTTPResponse:
        agent_accounts.record_audit(agent.id, "view_voc", detail=f"lang={language}")
        page = await asyncio.to_thread(render_page, base, style, language)
        return response.html(page, headers=headers)

    @console.route("/voc/chart/<name:str>", methods=["GET"])
    @supervisor_only(page=False)
    async def voc_chart(request: Request, agent: Any, language: str, name: str) -> HTTPResponse:
        chart = name[:-4] if name.endswith(".png") else ""
        if chart not in CHART_NAMES:
            return response.text("No such chart.", status=404, headers=headers)
        image = await asyncio.to_thread(dashboard.chart_png, chart, language)
        return response.raw(image, content_type="image/png", headers=headers)

    @console.route("/voc/report.pdf", methods=["GET"])
    @supervisor_only(page=False)
    async def voc_report(request: Request, agent: Any, language: str) -> HTTPResponse:
        agent_accounts.record_audit(agent.id, "export_voc_pdf", detail=f"lang={language}")
        pdf = await asyncio.to_thread(dashboard.weekly_pdf, language)
        name = f"voice-of-customer-{datetime.utcnow():%Y-%m-%d}.pdf"
        return response.raw(pdf, content_type="application/pdf",
                            headers={**headers, "Content-Disposition": f'attachment; filename="{name}"'})

    @console.route("/voc/export.csv", methods=["GET"])
    @supervisor_only(page=False)
    async def voc_export(request: Request, agent: Any, language: str) -> HTTPResponse:
        agent_accounts.record_audit(agent.id, "export_voc_csv")
        data = await asyncio.to_thread(dashboard.csv_export)
        name = f"voice-of-customer-{datetime.utcnow():%Y-%m-%d}.csv"
        return response.text(data, content_type="text/csv; charset=utf-8",
                             headers={**headers, "Content-Disposition": f'attachment; filename="{name}"'})
