"""Security headers on every answer, the API docs page served from the package, the bearer scheme in OpenAPI.

Why a middleware: the pages, the JSON API and the portal answer through different
code, and an answer that carries names (a case, a user list) must never sit in a
browser's or a proxy's cache nor be framed by another site. Each answer gets
``Cache-Control: no-store`` unless its route chose a cache policy itself (the public
portal caches published figures; static files are public), and the headers below
unless the route set its own.

The docs page (Swagger UI) loads its script and style from ``/static/vendor/swagger-ui``
(vendored from the npm package swagger-ui-dist), so it works offline and tells no
third party who reads the API documentation.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ctdata.web.security import Policy, flat_routes, public_route, route_policy

#: Headers every answer carries unless its route set them.
DEFAULTS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
}
#: The docs page runs the vendored Swagger UI only (its inline styles need 'unsafe-inline' for style).
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'"
)
#: Paths whose answers may be cached (public, no personal data): static assets.
CACHEABLE_PREFIXES = ("/static/",)
BEARER = "bearerAuth"


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering): add the default headers to each response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                for name, value in DEFAULTS.items():
                    if name.lower().encode() not in present:
                        raw.append((name.lower().encode(), value.encode()))
                if not cacheable and b"cache-control" not in present:
                    raw.append((b"cache-control", b"no-store"))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def docs_html(openapi_url: str, title: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API documentation</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""


def install(app: FastAPI, docs_url: str) -> None:
    """Add the middleware, the docs page at `docs_url` and the bearer scheme to the app's OpenAPI schema."""
    app.add_middleware(SecurityHeaders)

    @app.get(docs_url, include_in_schema=False, dependencies=[Depends(public_route())])
    def docs() -> HTMLResponse:
        html = docs_html(app.openapi_url or "", app.title)
        return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})[BEARER] = {
                "type": "http",
                "scheme": "bearer",
                "description": "The access_token from POST /api/v1/auth/login.",
            }
            paths = schema.get("paths", {})
            for path, methods, route in flat_routes(app):
                if not isinstance(route_policy(route), Policy):
                    continue
                for method in methods:
                    op = paths.get(re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path), {}).get(method.lower())
                    if op is not None:
                        op["security"] = [{BEARER: []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
