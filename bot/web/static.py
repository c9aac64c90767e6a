"""The dashboard's built front end (bot/web/static/, made by `make web`): the shell is never cached (a new
release shows at the next open), hashed assets are cached for a year, the service worker is served at /app/ so
its scope covers the whole app."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

STATIC = Path(__file__).parent / "static"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def _file(path: Path, cache: str, media_type: str | None = None) -> Response:
    if not path.is_file():
        return PlainTextResponse("Not found.", status_code=404, headers={"Cache-Control": "no-store"})
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})


async def index(_request: Request) -> Response:
    return _file(STATIC / "index.html", NO_CACHE, "text/html; charset=utf-8")


async def service_worker(_request: Request) -> Response:
    response = _file(STATIC / "sw.js", NO_CACHE, "text/javascript; charset=utf-8")
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


async def manifest(_request: Request) -> Response:
    return _file(STATIC / "manifest.json", NO_CACHE, "application/manifest+json")


async def asset(request: Request) -> Response:
    folder = (STATIC / "assets").resolve()
    path = (folder / request.path_params["name"]).resolve()
    if not path.is_relative_to(folder):
        return PlainTextResponse("Not found.", status_code=404)
    return _file(path, IMMUTABLE)


def static_routes() -> list[BaseRoute]:
    """Relative to /app."""
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/sw.js", service_worker, methods=["GET", "HEAD"]),
        Route("/manifest.json", manifest, methods=["GET", "HEAD"]),
        Route("/assets/{name:path}", asset, methods=["GET", "HEAD"]),
    ]
