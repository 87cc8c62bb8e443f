"""roles/kernel_install on a fake bare-metal host (tests/vm/fakehost.py: real sshd, real
Ansible over SSH, the guest image's Debian userland): the build lands in /boot and
/lib/modules, GRUB_DEFAULT=saved, the entries script is written and is valid sh, the known-good
kernel is pinned, and the one-shot boot is armed; a second run changes nothing.

STUBS, said plainly: the image has no GRUB and a fake host cannot reboot (it shares this
machine's kernel), so update-grub, grub-editenv, grub-set-default and grub-reboot are recording
stubs put into the host's /usr/local/sbin by this test; the "build" is a folder of placeholder
files (the role copies bytes, it does not look at them). What a real GRUB does with the entries
(grub-reboot one-shot, panic=N falling back to the saved entry) is NOT exercised here; see
docs/safe-boot.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakehost import FakeHost

from mllb_lab.ansible import run_playbook
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.image import ensure_image
from mllb_lab.progress import Progress

RELEASE = "6.1.192-mllb-test-fixed+broken-init"
CMDLINE = "root=/dev/vda rw console=ttyS0"
# A grubenv emulation: `grub-editenv list` prints it, the setters change it, all are logged.
STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> /var/log/grub-stub.log
env=/var/lib/grub-stub.env
touch "$env"
case "$(basename "$0")" in
  grub-editenv) cat "$env" ;;
  grub-set-default) grep -v '^saved_entry=' "$env" > "$env.new"; echo "saved_entry=$1" >> "$env.new"; mv "$env.new" "$env" ;;
  grub-reboot) grep -v '^next_entry=' "$env" > "$env.new"; echo "next_entry=$1" >> "$env.new"; mv "$env.new" "$env" ;;
esac
"""  # noqa: E501
STUBS = ("update-grub", "grub-editenv", "grub-set-default", "grub-reboot")


def fake_build(folder: Path) -> Path:
    for name in ("bzImage", "System.map", "config"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"placeholder {name}\n")
    modules = folder / "modules/lib/modules" / RELEASE
    (modules / "kernel").mkdir(parents=True)
    (modules / "modules.dep").write_text("")
    return folder


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("kinstall")
    key = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    box = FakeHost(ensure_image(progress=Progress()).rootfs, tmp / "fh", key.with_suffix(".pub")
                   .read_text())  # fmt: skip
    sbin = box.upper / "usr/local/sbin"
    sbin.mkdir(parents=True)
    for name in STUBS:
        (sbin / name).write_text(STUB)
        (sbin / name).chmod(0o755)
    (box.upper / "etc/grub.d").mkdir(parents=True)  # what grub-common would have made
    box.start()
    try:
        inventory = tmp / "box.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": {"box": {
            "ansible_host": box.address, "ansible_user": "root",
            "ansible_ssh_private_key_file": str(key)}}}}))  # fmt: skip
        env = {**os.environ, "MLLB_LAB_HOME": str(tmp / "labs")}
        proc = subprocess.run(
            [sys.executable, "-m", "mllb_lab", "up", "--backend", "baremetal", "--inventory",
             str(inventory), "--name", "box"], capture_output=True, text=True, env=env,
            timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        yield {"box": box, "env": env, "build": fake_build(tmp / "build")}
    finally:
        box.stop()


def install(host: dict):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLLB_LAB_HOME", host["env"]["MLLB_LAB_HOME"])
        state = lab_state.load("box")
        assert state is not None
        return run_playbook(
            "kernel-install.yml", Path(state.files["inventory"]), lab="box",
            extravars={"kernel_install_build_dir": str(host["build"]),
                       "kernel_install_release": RELEASE, "kernel_install_cmdline": CMDLINE},
        )  # fmt: skip


def test_install_pins_known_good_and_arms_one_boot(host: dict) -> None:
    first = install(host)
    assert first.ok and first.changed > 0
    root = host["box"].upper  # what the role wrote on the host, seen from its overlay
    assert (root / f"boot/vmlinuz-{RELEASE}").read_text() == "placeholder bzImage\n"
    assert (root / f"boot/config-{RELEASE}").is_file()
    assert (root / f"usr/lib/modules/{RELEASE}/modules.dep").is_file()  # /lib is usr/lib
    assert "GRUB_DEFAULT=saved" in (root / "etc/default/grub").read_text().splitlines()
    known_good = (root / "var/lib/mllb-lab/kernel-install/known-good").read_text().strip()
    assert known_good == os.uname().release  # the fake host runs this machine's kernel
    script = root / "etc/grub.d/09_mllb"
    text = script.read_text()
    assert f"'{CMDLINE} panic=10'" in text and f"'mllb test {RELEASE}'" in text
    assert f"'mllb known-good {known_good}'" in text
    assert os.access(script, os.X_OK)
    subprocess.run(["sh", "-n", str(script)], check=True)
    calls = (root / "var/log/grub-stub.log").read_text().splitlines()
    assert calls == [
        "update-grub ",
        "grub-editenv list",
        "grub-set-default mllb-known-good",
        "grub-reboot mllb-test",
    ]
    assert (root / "var/lib/grub-stub.env").read_text().splitlines() == [
        "saved_entry=mllb-known-good",
        "next_entry=mllb-test",
    ]


def test_second_run_changes_nothing(host: dict) -> None:
    again = install(host)
    assert again.ok and again.changed == 0, again.outcomes
