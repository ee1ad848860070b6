"""`make run` / scripts/run-dev.sh: the links the running demo hands out (guardians' links, the demo
gateway's checkout and the webhook it posts back) name the address it actually serves on."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_python(tmp_path):
    """Stands in for .venv/bin/python: records the SITE_URL each manage.py command saw, and exits."""
    log = tmp_path / "seen.txt"
    stub = tmp_path / "python"
    stub.write_text(f'#!/usr/bin/env bash\necho "$2 SITE_URL=${{SITE_URL:-}}" >> "{log}"\n')
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return stub, log


def run(command, env_overrides, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT", "MAKEFLAGS", "MAKELEVEL")}
    env.update(env_overrides)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def seen(log):
    return sorted(log.read_text().splitlines())


def test_the_dev_script_derives_site_url_from_host_and_port(fake_python):
    stub, log = fake_python
    result = run(["bash", "scripts/run-dev.sh"], {"PY": str(stub), "HOST": "127.0.0.1", "PORT": "8031"})
    assert result.returncode == 0, result.stderr
    assert seen(log) == ["qcluster SITE_URL=http://127.0.0.1:8031", "runserver SITE_URL=http://127.0.0.1:8031"]
    assert "http://127.0.0.1:8031/s/greenfield/" in result.stdout


def test_a_wildcard_host_hands_out_a_local_address(fake_python):
    stub, log = fake_python
    result = run(["bash", "scripts/run-dev.sh"], {"PY": str(stub), "HOST": "0.0.0.0", "PORT": "8032"})
    assert result.returncode == 0, result.stderr
    assert "runserver SITE_URL=http://127.0.0.1:8032" in seen(log)


def test_an_explicit_site_url_is_kept(fake_python):
    stub, log = fake_python
    env = {"PY": str(stub), "PORT": "8031", "SITE_URL": "https://demo.example.ng"}
    result = run(["bash", "scripts/run-dev.sh"], env)
    assert result.returncode == 0, result.stderr
    assert "runserver SITE_URL=https://demo.example.ng" in seen(log)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_on_another_port_seeds_and_serves_with_that_port(fake_python):
    stub, log = fake_python
    # `-o demo`: take the demo step as done (no install, no migrations); the recipe still runs.
    result = run(["make", "-o", "demo", "run", "PORT=8031", f"PY={stub}"], {})
    assert result.returncode == 0, result.stderr
    assert "runserver SITE_URL=http://127.0.0.1:8031" in seen(log)
