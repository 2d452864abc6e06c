"""GET /privacy and GET /terms: the privacy notice and terms of use the Teams app package links to.

Made from content/pages.yaml (and, for the privacy notice, the same list of
what is stored that the bot gives when asked "what do you store?"), or a
redirect to the organisation's own page when LEADBOT_PRIVACY_URL /
LEADBOT_TERMS_URL is set. Plain HTML, every piece of text escaped.

Each page is in Welsh or English: `?lang=cy` or `?lang=en` if given, else the browser's
Accept-Language when it prefers Welsh, else LEADBOT_LANGUAGE. Each links to the other language.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.settings import Settings
from dialogs.content_loader import Content
from dialogs.flows.info import DEFAULT_AUDIT_DAYS, stored_rows

STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#0b0c0c}table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;"
    "padding:.5rem;border-bottom:1px solid #b1b4b6}th{font-weight:600}"
)


HTML_LANG = {"en": "en-GB", "cy": "cy"}
OTHER = {"en": ("cy", "Cymraeg"), "cy": ("en", "English")}


def _document(title: str, body: list[str], code: str = "en") -> str:
    other, name = OTHER.get(code, OTHER["en"])
    switch = f'<p><a href="?lang={other}" lang="{HTML_LANG[other]}" hreflang="{HTML_LANG[other]}">{name}</a></p>'
    return (
        f'<!doctype html>\n<html lang="{HTML_LANG.get(code, "en-GB")}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n{switch}\n<h1>{escape(title)}</h1>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _paragraphs(items: list[str]) -> list[str]:
    return [f"<p>{escape(p)}</p>" for p in items]


def privacy_html(content: Content, retention_days: int, audit_days: int = DEFAULT_AUDIT_DAYS) -> str:
    page = content.pages.privacy
    rows = [
        f"<tr><td>{escape(what)}</td><td>{escape(why)}</td><td>{escape(how_long)}</td></tr>"
        for what, why, how_long in stored_rows(content, retention_days, audit_days)
    ]
    head = content.pages.privacy_table
    headings = f"<thead><tr><th>{escape(head.what)}</th><th>{escape(head.why)}</th><th>{escape(head.how_long)}</th></tr></thead>"
    table = ["<table>", headings, "<tbody>", *rows, "</tbody>", "</table>"]
    return _document(
        page.title,
        _paragraphs(page.paragraphs) + table + _paragraphs(content.pages.privacy_after_table),
        content.language,
    )


def terms_html(content: Content) -> str:
    page = content.pages.terms
    return _document(page.title, _paragraphs(page.paragraphs), content.language)


def page_language(request: web.Request, default: str) -> str:
    asked = request.query.get("lang")
    if asked in HTML_LANG:
        return asked
    first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip().lower()
    return "cy" if first.split("-")[0] == "cy" else default


def add_pages(app: web.Application, settings: Settings, content: Content) -> None:
    def page(html: dict[str, str] | None, elsewhere: str | None):
        async def view(request: web.Request) -> web.StreamResponse:
            if elsewhere:
                raise web.HTTPFound(elsewhere)
            code = page_language(request, settings.language)
            return web.Response(text=html.get(code, html["en"]), content_type="text/html", charset="utf-8")

        return view

    codes = list(content.translations or {"en": content})
    privacy = (
        None
        if settings.privacy_url
        else {c: privacy_html(content.in_language(c), settings.retention_days, settings.audit_days) for c in codes}
    )
    terms = None if settings.terms_url else {c: terms_html(content.in_language(c)) for c in codes}
    app.router.add_get("/privacy", page(privacy, settings.privacy_url))
    app.router.add_get("/terms", page(terms, settings.terms_url))
