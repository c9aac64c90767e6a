"""The board and the resources over real HTTP, for an admin and for a viewer, and the static shell: cached as the
plan says, gzipped when the browser accepts it, with the security headers."""

from __future__ import annotations

from urllib.parse import quote

from tests.web.harness import Dashboard, sign_in

CAROL, DAVE = 345678901, 456789012


def test_an_admin_gets_the_board_with_actions(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        sign_in(client, CAROL)
        answer = client.get("/app/api/board")
    board = answer.json()
    assert answer.headers["cache-control"] == "no-store"
    assert board["user"] == {"name": "carol", "role": "admin"} and board["can_act"] is True
    assert {row["cloud"] for row in board["health"]} >= {"aws"}
    assert sum(row["total"] for row in board["health"]) > 0


def test_a_viewer_gets_the_board_without_actions(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        sign_in(client, DAVE)
        board = client.get("/app/api/board").json()
    assert board["user"] == {"name": "dave", "role": "viewer"}
    assert board["can_act"] is False and board["emergency"] == []
    assert sum(row["total"] for row in board["health"]) > 0  # reading is allowed


def test_resources_list_and_page(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        sign_in(client, CAROL)
        listing = client.get("/app/api/resources", headers={"Accept-Encoding": "gzip"})
        assert listing.headers["content-encoding"] == "gzip"
        rows = listing.json()
        assert rows["total"] == len(rows["rows"]) == 200 and rows["columns"][:2] == ["id", "name"]
        name = rows["columns"].index("name")
        web_prod = next(row for row in rows["rows"] if row[name] == "web-prod")
        page = client.get(f"/app/api/resources/{quote(web_prod[0], safe='')}").json()
        assert page["name"] == "web-prod" and any(a["command"] == "restart web-prod" for a in page["actions"])
        missing = client.get("/app/api/resources/web-prd")
        assert (missing.status_code, missing.json()) == (404, {"error": "No resource web-prd."})


def test_the_shell_is_public_and_never_cached(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        for path in ("/app", "/app/"):
            shell = client.get(path, headers={"Accept-Encoding": "gzip"})
            assert shell.status_code == 200 and shell.headers["content-type"].startswith("text/html")
            assert shell.headers["cache-control"] == "no-cache"
            assert shell.headers["x-content-type-options"] == "nosniff"
            assert shell.headers["referrer-policy"] == "no-referrer"
            csp = shell.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'self' https://web.telegram.org" in csp
        worker = client.get("/app/sw.js")
        assert worker.headers["cache-control"] == "no-cache" and worker.headers["service-worker-allowed"] == "/app/"
        assert client.get("/app/manifest.json").status_code == 200


def test_hashed_assets_are_immutable_and_gzipped(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        shell = client.get("/app/").text
        script = shell.split('src="/app/assets/')[1].split('"')[0]
        asset = client.get(f"/app/assets/{script}", headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200 and asset.headers["content-encoding"] == "gzip"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get("/app/assets/../auth.py").status_code == 404
        assert client.get("/app/assets/%2e%2e/auth.py").status_code == 404
