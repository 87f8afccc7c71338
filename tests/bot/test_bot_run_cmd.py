"""`crisisbot run` as a process: without a token it says so, serves the API, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(url: str, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"crisisbot run exited early: {proc.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the API never answered")


def test_run_without_token_serves_api_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.pop("CRISISBOT_CONFIG", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crisisbot",
            "--db",
            f"sqlite:///{tmp_path / 'c.db'}",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_for_health(f"http://127.0.0.1:{port}/v1/health", proc) == 200
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "DISCORD_TOKEN is not set" in stderr
    assert "serving the lookup API only" in stderr
    assert (tmp_path / "c.db").exists()
