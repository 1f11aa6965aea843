"""`/docs` (Swagger UI) and `/redoc`, served from the files the `fastapi-offline` package ships: no CDN, so
the reference renders on a machine with no network."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_URL = "/static-docs"
_FILES = Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    app.mount(STATIC_URL, StaticFiles(directory=_FILES), name="api-docs-files")
    favicon = f"{STATIC_URL}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi_url, title=f"{app.title} API", swagger_favicon_url=favicon,
                                   swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
                                   swagger_ui_parameters={"persistAuthorization": True})

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title} API", redoc_favicon_url=favicon,
                              redoc_js_url=f"{STATIC_URL}/redoc.standalone.js", with_google_fonts=False)
