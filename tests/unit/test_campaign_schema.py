"""Bad campaign files: exit 2 with one line naming the file and the field path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.campaign import schema
from mllb_lab.errors import UserError

REPO = Path(__file__).resolve().parents[2]
GOOD = """\
name: t
targets: {lab: nolab}
duration: 5
workloads:
  - name: idle
  - name: stress-cpu
    params: {load: [50, 100]}
    duration: 3
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(UserError) as exc:
        schema.load(write(tmp_path, text))
    return str(exc.value)


def test_good_file_loads_with_its_hash(tmp_path: Path) -> None:
    campaign, sha = schema.load(write(tmp_path, GOOD))
    assert campaign.name == "t" and len(sha) == 64
    assert campaign.workloads[1].combinations() == [{"load": 50}, {"load": 100}]


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (GOOD.replace("name: idle", "name: idel"), "workloads[0].name", "unknown workload 'idel'"),
        (GOOD.replace("duration: 3", "duration: -3"), "workloads[1].duration", "greater than 0"),
        (GOOD.replace("duration: 5", "duraton: 5"), "duraton", "unknown key"),
        (GOOD.replace("duration: 5", "duration: soon"), "duration", "valid integer"),
        (GOOD.replace("{load: [50, 100]}", "{lod: 50}"), "workloads[1].params.lod", "unknown key"),
        (GOOD.replace("{load: [50, 100]}", "{load: [50, x]}"), "workloads[1].params.load",
         "valid integer"),
        (GOOD.replace("name: t\n", ""), "name", "required"),
        (GOOD.replace("{lab: nolab}", "{lab: Bad_Name}"), "targets.lab", "not a lab name"),
        ("name: t\nworkloads: []\n", "workloads", "at least 1"),
        (GOOD.replace("    duration: 3\n", "    repetitions: 2\n"), "workloads[1].repetitions",
         "unknown key"),
    ],
)  # fmt: skip
def test_bad_files_name_the_field(tmp_path: Path, text: str, field: str, problem: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'c.yml'}: {field}: "), message
    assert problem in message


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        schema.load(tmp_path / "none.yml")
    assert "not valid YAML at line 2" in error_of(tmp_path, "name: t\n  bad: [\n")
    assert "not a mapping" in error_of(tmp_path, "- just a list\n")


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"MLLB_LAB_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "mllb_lab", *args], capture_output=True,
                          text=True, cwd=REPO, env=env)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("name: idle", "name: idel"), "workloads[0].name: unknown workload"),
        (GOOD.replace("duration: 5", "duration: -1"), "duration: Input should be greater than 0"),
        (GOOD.replace("duration: 5", "duraton: 5"), "duraton: unknown key"),
        (GOOD.replace("duration: 5", "duration: [1]"), "duration: Input should be a valid integer"),
        (GOOD, "targets.lab: no lab named 'nolab'"),
        (None, "does not exist"),
    ],
)
def test_cli_exits_2_with_one_line(tmp_path: Path, text: str | None, expected: str) -> None:
    path = tmp_path / "missing.yml" if text is None else write(tmp_path, text)
    proc = run_cli("campaign", str(path), "--dry-run", home=tmp_path / "labs")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert expected in lines[0]


def test_cli_unknown_lab_flag(tmp_path: Path) -> None:
    proc = run_cli("campaign", str(write(tmp_path, GOOD)), "--lab", "other", home=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "mllb-lab: error: --lab: no lab named 'other' (see `mllb-lab status`, or `mllb-lab up`)"
    )


def test_shipped_campaigns_are_valid() -> None:
    for name in ("stress", "smoke"):
        campaign, _ = schema.load(REPO / "campaigns" / f"{name}.yml")
        assert campaign.name == name
    stress, _ = schema.load(REPO / "campaigns" / "stress.yml")
    levels = [c for w in stress.workloads if w.name == "stress-cpu" for c in w.combinations()]
    assert {"stressors": 30} in levels and {"stressors": 120} in levels
