"""The serve command's own checks, authentication, and what an unauthenticated call gets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xl_quintus.server.client import RunningServer, body, post

ROOT = Path(__file__).resolve().parents[2]


def serve(tmp_path, *args, env=None):
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    run_env["PYTHONPATH"] = str(ROOT)
    run_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "xl_quintus", "serve", *args], cwd=tmp_path, env=run_env,
                          capture_output=True, text=True, timeout=60)


def test_without_a_license_key_it_says_what_to_set(tmp_path):
    done = serve(tmp_path, "--port", "8999")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'xl-quintus serve: xlwings Server needs XLWINGS_LICENSE_KEY: your xlwings license key, or "noncommercial" '
        "for noncommercial use under the PolyForm Noncommercial License (environment, or .env in the project folder)"]
    project = tmp_path / "xl-quintus-server"
    assert "from xl_quintus.server.functions import *" in (project / "custom_functions" / "__init__.py").read_text()
    assert 'functions_namespace = "QUINTUS"' in (project / "pyproject.toml").read_text()


def test_a_project_folder_with_other_functions_is_refused(tmp_path):
    (tmp_path / "p" / "custom_functions").mkdir(parents=True)
    (tmp_path / "p" / "custom_functions" / "__init__.py").write_text("from .mine import *\n")
    done = serve(tmp_path, "--project", "p", env={"XLWINGS_LICENSE_KEY": "noncommercial"})
    assert done.returncode == 2 and "does not import xl_quintus.server.functions" in done.stderr


@pytest.mark.parametrize("args,message", [
    (["--port", "70000"], "--port 70000 is not a port number"),
    (["--workers", "0"], "--workers 0 must be 1 or more"),
    (["--ssl-keyfile", "k.pem"], "give both --ssl-keyfile and --ssl-certfile"),
    (["--terms-dir", "nowhere"], "is not a folder"),
])
def test_bad_options_are_one_line(tmp_path, args, message):
    done = serve(tmp_path, *args, env={"XLWINGS_LICENSE_KEY": "noncommercial"})
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_entra_id_authentication_refuses_an_unauthenticated_call(tmp_path):
    """XLWINGS_AUTH_PROVIDERS=["entraid"]: a call without an Entra ID token gets 401 and the
    reason, before any function runs (no network needed to refuse it)."""
    env = {"XLWINGS_AUTH_PROVIDERS": '["entraid"]',
           "XLWINGS_AUTH_ENTRAID_CLIENT_ID": "00000000-0000-4000-8000-000000000001",
           "XLWINGS_AUTH_ENTRAID_TENANT_ID": "00000000-0000-4000-8000-000000000002"}
    with RunningServer(tmp_path, env=env) as server:
        assert "authentication: entraid" in server.log()
        answer = post(server.url + "/xlwings/custom-functions-call", body("QTERMS", "F", "issue price"))
        assert answer.status == 401
        assert answer.json() == {"detail": "Auth error: Invalid token, must be in format 'Bearer xxxx'"}
        forged = post(server.url + "/xlwings/custom-functions-call", body("QTERMS", "F", "issue price"),
                      headers={"Authorization": "test-token"})
        assert forged.status == 401


def test_the_placeholder_custom_auth_provider_is_refused(tmp_path):
    """xlwings Server's own custom provider accepts the token "test-token" until edited."""
    done = serve(tmp_path, env={"XLWINGS_LICENSE_KEY": "noncommercial", "XLWINGS_AUTH_PROVIDERS": '["custom"]'})
    assert done.returncode == 2 and 'accepts the token "test-token"' in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
