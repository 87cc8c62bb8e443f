"""Power control through IPMI, with the secret kept out of command lines, logs and artifacts.

ipmitool cannot reach a BMC here (no hardware): a fake `ipmitool` on PATH stands in for the
BMC — explicitly a mock of hardware. It records its argv and whether IPMI_PASSWORD matched,
and keeps a power state. The vault path uses the real ansible-vault.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mllb_lab.cli import main

SECRET = "s3cr3t-Bmc-pa55word-7f1c"
FAKE_IPMITOOL = r"""#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
rec = Path(os.environ["FAKE_IPMI_DIR"])
state = rec / "state"
want = (rec / "expected").read_text()
calls = rec / "calls.jsonl"
with calls.open("a") as fh:  # the password itself is not recorded, only whether it matched
    fh.write(json.dumps({"argv": sys.argv[1:],
                         "password_ok": os.environ.get("IPMI_PASSWORD") == want}) + "\n")
if os.environ.get("IPMI_PASSWORD") != want:
    print("Error: Unable to establish IPMI v2 / RMCP+ session", file=sys.stderr); sys.exit(1)
action = sys.argv[-1]
now = state.read_text() if state.exists() else "off"
if action == "status":
    print(f"Chassis Power is {now}")
elif action == "cycle" and now == "off":
    print("Set Chassis Power Control to Cycle failed: Command not supported in present state",
          file=sys.stderr); sys.exit(1)
else:
    state.write_text("on" if action in ("on", "cycle") else "off")
    print(f"Chassis Power Control: {'Up/On' if action == 'on' else action.title()}")
"""
INVENTORY = """
all:
  children:
    xeon:
      vars: {ansible_user: root}
      hosts:
        xeon1:
          ansible_host: 192.0.2.11
          mllb_power: {driver: ipmi, address: 192.0.2.111, user: ADMIN,
                       password_env: MLLB_TEST_IPMI_PW}
        xeon2:
          ansible_host: 192.0.2.12
          mllb_power: {driver: ipmi, address: 192.0.2.112, user: ADMIN,
                       password_vault_file: xeon2.vault}
        xeon3:
          ansible_host: 192.0.2.13
          mllb_power: {driver: ipmi, address: 192.0.2.113, user: ADMIN, password: plain}
"""


@pytest.fixture
def bmc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ipmitool"
    fake.write_text(FAKE_IPMITOOL)
    fake.chmod(0o755)
    rec = tmp_path / "bmc"
    rec.mkdir()
    (rec / "expected").write_text(SECRET)
    monkeypatch.setenv("FAKE_IPMI_DIR", str(rec))
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path / "labs"))
    (tmp_path / "inv.yml").write_text(INVENTORY)
    return rec


def calls(rec: Path) -> list[dict]:
    return [json.loads(line) for line in (rec / "calls.jsonl").read_text().splitlines()]


def grep_tree(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_ipmi_actions_and_no_secret_anywhere(
    bmc: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("MLLB_TEST_IPMI_PW", SECRET)
    inv = str(tmp_path / "inv.yml")
    assert main(["power", "status", "xeon1", "--inventory", inv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "off"
    assert main(["power", "cycle", "xeon1", "--inventory", inv]) == 0  # off: cycle powers on
    assert "xeon1: cycle: power is on" in capsys.readouterr().out
    assert main(["power", "cycle", "xeon1", "--inventory", inv]) == 0
    assert main(["power", "off", "xeon1", "--inventory", inv]) == 0
    out, err = capsys.readouterr()
    got = calls(bmc)
    assert all(c["password_ok"] for c in got)
    assert got[-2]["argv"] == ["-I", "lanplus", "-H", "192.0.2.111", "-U", "ADMIN", "-E",
                               "chassis", "power", "off"]  # fmt: skip
    # cycle of a host that is off switches it on (BMCs refuse `power cycle` then)
    actions = [c["argv"][-1] for c in got]
    assert actions == ["status", "status", "on", "status", "status", "cycle", "status", "off",
                       "status"]  # fmt: skip
    assert all(SECRET not in " ".join(c["argv"]) for c in got)  # never on a command line
    log = tmp_path / "labs" / "power" / "inv.log"
    assert "chassis power off -> rc 0" in log.read_text()
    assert SECRET not in out + err
    assert grep_tree(tmp_path / "labs", SECRET) == []  # logs and lab state
    assert grep_tree(tmp_path, SECRET) == [bmc / "expected"]  # only the fake BMC's own copy


def test_a_failing_bmc_is_exit_3_with_the_log(
    bmc: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("MLLB_TEST_IPMI_PW", "wrong-password")
    assert main(["power", "on", "xeon1", "--inventory", str(tmp_path / "inv.yml")]) == 3
    err = capsys.readouterr().err
    assert "Unable to establish IPMI" in err and "inv.log" in err


def test_vault_file_secret(bmc: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    vault_pw = tmp_path / "vault-pass"
    vault_pw.write_text("vault-key-123\n")
    (tmp_path / "xeon2.vault").write_text(SECRET + "\n")
    subprocess.run(
        [str(Path(os.sys.executable).parent / "ansible-vault"), "encrypt", "--vault-password-file",
         str(vault_pw), str(tmp_path / "xeon2.vault")],
        check=True, capture_output=True,
    )  # fmt: skip
    assert SECRET.encode() not in (tmp_path / "xeon2.vault").read_bytes()
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(vault_pw))
    assert main(["power", "on", "xeon2", "--inventory", str(tmp_path / "inv.yml")]) == 0
    assert calls(bmc)[-1]["password_ok"]
    assert grep_tree(tmp_path / "labs", SECRET) == []
    vault_pw.write_text("not-the-key\n")
    assert main(["power", "on", "xeon2", "--inventory", str(tmp_path / "inv.yml")]) == 2
    assert "does not decrypt" in capsys.readouterr().err


def test_bad_power_settings_are_one_line_errors(
    bmc: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    inv = str(tmp_path / "inv.yml")
    monkeypatch.delenv("MLLB_TEST_IPMI_PW", raising=False)
    assert main(["power", "on", "xeon1", "--inventory", inv]) == 2
    assert (
        "password_env: the environment variable MLLB_TEST_IPMI_PW is not set"
        in capsys.readouterr().err
    )
    assert main(["power", "on", "xeon3", "--inventory", inv]) == 2
    err = capsys.readouterr().err
    assert "mllb_power.password: a clear-text password in the inventory is refused" in err
    assert "plain" not in err
    assert main(["power", "on", "nope", "--inventory", inv]) == 2
    assert main(["power", "on", "--inventory", inv]) == 2
