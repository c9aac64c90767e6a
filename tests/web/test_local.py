"""`opsbot dashboard --user NAME` as a user runs it: the demo world (no Redis configured), a link printed once,
redeemed once for NAME's session, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from fakes.daemon import free_port
from tests.serve_process import OPSBOT, stop


def test_opsbot_dashboard_prints_a_one_time_link_for_the_console_user(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "OPSBOT_DATA_DIR": str(tmp_path / "data"), "OPSBOT_SIM_RESOURCES": "100"}
    process = subprocess.Popen(
        [OPSBOT, "dashboard", "--user", "carol", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        link = process.stdout.readline().strip()
        assert link.startswith(f"http://127.0.0.1:{port}/app/#link="), process.stderr and process.stderr.read()
        token = link.split("#link=")[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as page:
            assert page.get("/app/").status_code == 200
            signed = page.post("/app/api/session", json={"link": token}).json()
            assert (signed["user"], signed["role"]) == ("carol", "admin")
            assert page.get("/app/api/board").json()["can_act"] is True
            [preview] = page.post("/app/api/say", json={"text": "restart db-prod"}).json()["replies"]
            assert preview["kind"] == "confirm"  # acting as console user carol, not as a stranger
            again = page.post("/app/api/session", json={"link": token})
            assert again.status_code == 401
    finally:
        errors = stop(process)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors


def test_opsbot_dashboard_refuses_a_user_not_on_the_list(tmp_path: Path) -> None:
    env = {**os.environ, "OPSBOT_DATA_DIR": str(tmp_path / "data"), "OPSBOT_SIM_RESOURCES": "100"}
    done = subprocess.run(
        [OPSBOT, "dashboard", "--user", "mallory", "--port", "0"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("opsbot: mallory is not on opsbot's list")
