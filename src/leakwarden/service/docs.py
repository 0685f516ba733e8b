"""``/docs`` without the internet: Swagger UI's files come from the ``swagger-ui-bundle`` package and
are served at ``/docs/assets/``; the page references nothing outside the server. The OpenAPI spec
declares the two ways to send a key (``securitySchemes``), so Swagger UI's *Authorize* button works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer KEY`"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`X-API-Key: KEY`"},
}
#: The header parameters by which a route's ``require_role`` dependency shows in the spec.
KEY_HEADERS = frozenset({"x-api-key", "authorization"})


def swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def add_docs(app: FastAPI) -> None:
    """Serve ``/docs`` from local assets and add ``securitySchemes`` to ``/openapi.json``.
    ``app`` must be made with ``docs_url=None`` and ``redoc_url=None`` (ReDoc needs a CDN)."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
                                   swagger_ui_parameters={"persistAuthorization": True})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_security(get_openapi(title=app.title, version=app.version,
                                                           description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_security(spec: dict[str, Any]) -> dict[str, Any]:
    """Declare the key schemes, and require one on every operation that reads a key header."""
    spec.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            headers = {str(p.get("name", "")).lower() for p in operation.get("parameters", ())
                       if isinstance(p, dict) and p.get("in") == "header"}
            if headers & KEY_HEADERS:
                operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
    return spec
