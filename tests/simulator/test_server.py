"""Starting and stopping the simulator; routing; signed media URLs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from flowdash.simulator.server import SimulatorServer

from .conftest import PRO, Api

ROOT = Path(__file__).resolve().parents[2]


def test_server_context_manager_and_stop(tmp_path: Path) -> None:
    with SimulatorServer(port=0, speed=100, data_dir=tmp_path, token="user:7-test") as sim:
        assert sim.base_url == f"http://127.0.0.1:{sim.port}/v1/google-flow"
        r = requests.get(
            sim.base_url + "/accounts", headers={"Authorization": "Bearer user:7-test"}, timeout=10
        )
        assert r.status_code == 200
        job = requests.post(
            sim.base_url + "/images",
            json={"prompt": "x", "count": 1},
            headers={"Authorization": "Bearer user:7-test"},
            timeout=10,
        ).json()
        assert "-u7-email:" in job["jobId"]
        base = sim.base_url
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/accounts", timeout=2)
    assert tmp_path.exists()  # a given data dir is kept


def test_unknown_paths_and_methods(api: Api) -> None:
    assert api.get("/nothing-here").status_code == 404
    assert api.delete("/images").status_code == 405
    assert requests.get(api.root + "/elsewhere", timeout=10).status_code == 404


def test_signed_urls_expire_and_check_their_signature(api: Api) -> None:
    url = api.image(email=PRO)["media"][0]["image"]["generatedImage"]["fifeUrl"]
    assert requests.get(url, timeout=10).status_code == 200
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert requests.get(tampered, timeout=10).status_code == 403
    api.sim.state.advance(24 * 3600 - 60)
    assert requests.get(url, timeout=10).status_code == 200
    api.sim.state.advance(120)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403 and "ExpiredToken" in expired.text
    api.control("POST", "/settings", json={"urlLifetime": 60})
    short = api.image()["media"][0]["image"]["generatedImage"]["fifeUrl"]
    api.sim.state.advance(61)
    assert requests.get(short, timeout=10).status_code == 403


def _run_until_ready(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()
    assert "ready" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line


def _fields(line: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_module_cli_prints_ready_and_stops_on_signals(tmp_path: Path, sig: int) -> None:
    env = dict(os.environ, FLOWDASH_SIM_TOKEN="user:5-cli", FLOWDASH_SIM_SPEED="300")
    proc, line = _run_until_ready(
        [sys.executable, "-m", "flowdash.simulator", "--port", "0", "--data-dir", str(tmp_path)],
        env,
    )
    try:
        fields = _fields(line)
        assert fields["token"] == "user:5-cli" and fields["speed"] == "300"
        assert fields["base_url"].startswith("http://127.0.0.1:")
        r = requests.get(
            fields["base_url"] + "/accounts/captcha-providers",
            headers={"Authorization": "Bearer user:5-cli"},
            timeout=10,
        )
        assert r.json() == {"freeCaptchaCredits": 100}
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_management_command(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "flowdash.settings"),
    )
    env.pop("FLOWDASH_SIM_API", None)  # the sandbox's default: today's service
    proc, line = _run_until_ready(
        [
            sys.executable,
            "-m",
            "django",
            "simulate",
            "--port",
            "0",
            "--speed",
            "50",
            "--token",
            "user:9-cmd",
            "--data-dir",
            str(tmp_path),
        ],
        env,
    )
    try:
        fields = _fields(line)
        assert fields["token"] == "user:9-cmd" and fields["speed"] == "50"
        r = requests.get(
            fields["base_url"] + "/jobs", headers={"Authorization": "Bearer user:9-cmd"}, timeout=10
        )
        assert r.status_code == 200 and "combined" in r.json()
        assert fields["api"] == "2026-12"
        pro = requests.get(
            fields["base_url"] + "/accounts/pro.studio@gmail.com",
            headers={"Authorization": "Bearer user:9-cmd"},
            timeout=10,
        ).json()
        assert "omni_flash_1_1" in {m["key"] for m in pro["models"]["videoModels"]}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
