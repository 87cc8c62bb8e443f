"""The capture playbook and role, run for real by ansible-runner against this controller
(local connection): install, start, workload, stop, fetch.

This host's kernel refuses fexit programs (machine-facts), so here the run exercises the
failure path: the role must stop waiting as soon as the tracer exits and fail with the
tracer's own reason. On a host where fexit works the same run captures, and the fetched file
must convert. (Real decisions from a guest kernel: tests/vm/test_capture.py.)
"""

from __future__ import annotations

import sys

import pytest

from mllb_lab.ansible import run_playbook
from mllb_lab.capture.build import build_tracer
from mllb_lab.capture.convert import convert_file
from mllb_lab.errors import LabError


def test_capture_playbook_on_the_controller(tmp_path, monkeypatch):
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path / "cache"))
    inventory = {
        "all": {
            "hosts": {
                "ctl": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
            }
        }
    }
    extravars = {
        "capture_tracer_bin": str(build_tracer()),
        "capture_remote_dir": str(tmp_path / "remote"),
        "capture_duration": 2,
        "capture_workload_cmd": "true",
        "capture_attach_timeout": 60,
    }
    try:
        result = run_playbook(
            "capture.yml", inventory, extravars=extravars, base_dir=tmp_path / "runs"
        )
    except LabError as exc:
        # The tracer's JSON summary names the failure; the role did not sit out its timeout.
        assert 'mllb-tracer did not attach: {"error": "cannot' in str(exc)
        assert not (tmp_path / "remote" / "decisions.pid").exists()
        return
    records = result.fetch_dir / "capture" / "ctl" / "decisions.bin"
    _, summary = convert_file(records)
    assert summary["complete"] is True and isinstance(summary["lost"], int)


def test_bad_steps_are_refused_by_the_argument_spec(tmp_path):
    inventory = {"all": {"hosts": {"ctl": {"ansible_connection": "local"}}}}
    with pytest.raises(LabError, match="capture_steps"):
        run_playbook(
            "capture.yml",
            inventory,
            extravars={"capture_tracer_bin": "/bin/true", "capture_steps": ["explode"]},
            base_dir=tmp_path / "runs",
        )
