"""Bare-metal adoption against a real fake host: sshd from the guest image rootfs in a netns.

Everything here is real: sshd, SSH over a veth pair, ssh-keyscan, Ansible through the
ansible-runner wrapper, the facts role. The only stand-in is the host itself (it shares this
machine's kernel and CPUs, so its facts must equal this machine's).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakehost import FakeHost

from mllb_lab.ansible import run_playbook
from mllb_lab.errors import LabError, UserError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import baremetal
from mllb_lab.lab.hostkeys import parse_key, pinned
from mllb_lab.lab.image import ensure_image
from mllb_lab.lab.state import lab_dir, load
from mllb_lab.progress import Progress


def image_rootfs() -> Path:
    """The guest image's rootfs (built on first use); MLLB_FAKEHOST_ROOTFS overrides it."""
    override = os.environ.get("MLLB_FAKEHOST_ROOTFS")
    return Path(override) if override else ensure_image(progress=Progress()).rootfs


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("labhome")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLLB_LAB_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def client_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = tmp_path_factory.mktemp("client") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def start_fakehost(tmp: Path, client_key: Path) -> FakeHost:
    pub = client_key.with_suffix(".pub").read_text()
    return FakeHost(image_rootfs(), tmp / "fakehost", pub).start()


@pytest.fixture(scope="module")
def fakehost(tmp_path_factory: pytest.TempPathFactory, client_key: Path) -> Iterator[FakeHost]:
    host = start_fakehost(tmp_path_factory.mktemp("fh"), client_key)
    yield host
    host.stop()


def declare(tmp: Path, host: FakeHost, key: Path, **extra: object) -> Path:
    hv = {
        "ansible_host": host.address,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        **extra,
    }
    path = tmp / "metal.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"metal": {"hosts": {"box1": hv}}}}}))
    return path


def ssh_keygen_fingerprint(public_key: str, tmp: Path) -> str:
    pub = tmp / "hostkey.pub"
    pub.write_text(public_key + "\n")
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True)
    return out.stdout.split()[1]


@pytest.fixture(scope="module")
def adopted(
    lab_home: Path,
    fakehost: FakeHost,
    client_key: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple:
    """Adopt the fake host with trust on first use; keep what progress printed."""
    tmp = tmp_path_factory.mktemp("adopt")
    lines: list[str] = []

    class Recording(Progress):
        def say(self, text: str) -> None:
            lines.append(text)

    state = baremetal.adopt("metal", declare(tmp, fakehost, client_key), Recording())
    return state, lines


def test_adoption_pins_key_on_first_use(adopted: tuple, fakehost: FakeHost, tmp_path: Path) -> None:
    state, lines = adopted
    assert state.status == "running" and state.backend == "baremetal"
    known = Path(state.hosts[0].known_hosts)
    assert pinned(known, "box1") == [parse_key(fakehost.host_key_pub, "fakehost")]
    fingerprint = ssh_keygen_fingerprint(fakehost.host_key_pub, tmp_path)
    assert any("trust on first use" in line and fingerprint in line for line in lines)
    assert load("metal") is not None and load("metal").status == "running"
    assert baremetal.alive(state)


def test_facts_are_this_machines(adopted: tuple) -> None:
    """The fake host shares this kernel and these CPUs: its facts must be exactly those."""
    state, lines = adopted
    facts = state.facts["box1"]
    assert facts["kernel"] == platform.release()
    assert facts["cpus"] == os.cpu_count()
    assert facts["python"].startswith("3.")
    assert facts["distro"]["id"] == "debian"
    assert facts["btf"] == Path("/sys/kernel/btf/vmlinux").exists()
    nodes = sorted(Path("/sys/devices/system/node").glob("node[0-9]*"))
    assert [n["cpus"] for n in facts["numa_nodes"]] == [
        (n / "cpulist").read_text().strip() for n in nodes
    ]
    assert (
        facts["sockets"] * facts["cores_per_socket"] * facts["threads_per_core"] == os.cpu_count()
    )
    # adoption reads the collector's result; the report file is only for plain playbook runs
    assert "[box1] TASK Collect the facts on the target: ok" in lines
    assert "[box1] TASK Fetch the report to the controller: skipped" in lines


def test_playbook_fetches_a_file_back(adopted: tuple, fakehost: FakeHost) -> None:
    """Acceptance: a playbook run through the wrapper reaches the host and fetches a file."""
    state, _ = adopted
    token = os.urandom(8).hex()
    lines: list[str] = []

    class Recording(Progress):
        def say(self, text: str) -> None:
            lines.append(text)

    result = run_playbook(
        "fetch-test.yml",
        write_lab_inventory(state),
        lab=state.name,
        extravars={"fetch_test_content": token},
        progress=Recording(),
    )
    assert (result.fetch_dir / "box1.txt").read_text() == f"{token}\n"
    # The file really is on the host (read through the fake host's overlay, not via Ansible).
    assert (fakehost.upper / "var/tmp/mllb-fetch-test.txt").read_text() == f"{token}\n"
    assert lines == [
        "[box1] TASK Write the test file: changed",
        "[box1] TASK Fetch the test file back: changed",
    ]
    assert result.artifact_dir.parent == lab_dir("metal") / "ansible" / "artifacts"


def test_check_mode_leaves_the_host_alone(adopted: tuple, fakehost: FakeHost) -> None:
    state, _ = adopted
    on_host = fakehost.upper / "var/tmp/mllb-fetch-test.txt"
    before = on_host.read_text() if on_host.exists() else None
    result = run_playbook(
        "fetch-test.yml",
        write_lab_inventory(state),
        lab=state.name,
        extravars={"fetch_test_content": "dry-run-only"},
        check=True,
    )
    assert result.ok and result.changed == 1  # it would change the file ...
    assert (on_host.read_text() if on_host.exists() else None) == before  # ... but did not


def test_facts_role_is_idempotent(adopted: tuple) -> None:
    """A second run changes nothing on the host; only the fetch into the new run dir is new.
    (Adoption itself reads the collector's result and writes no report: the role's own
    report path runs here, as a plain `ansible-playbook playbooks/facts.yml` would.)"""
    state, _ = adopted
    first = run_playbook("facts.yml", write_lab_inventory(state), lab=state.name)
    assert first.ok
    result = run_playbook("facts.yml", write_lab_inventory(state), lab=state.name)
    changed = [task for _, task, word in result.outcomes if word == "changed"]
    assert result.ok and changed == ["Fetch the report to the controller"]
    assert ("box1", "Write the report on the target", "ok") in result.outcomes


def test_declared_key_is_used_without_keyscan(
    lab_home: Path, fakehost: FakeHost, client_key: Path, tmp_path: Path
) -> None:
    inv = declare(tmp_path, fakehost, client_key, mllb_host_key=fakehost.host_key_pub)
    lines: list[str] = []

    class Recording(Progress):
        def say(self, text: str) -> None:
            lines.append(text)

    state = baremetal.adopt("declared", inv, Recording())
    assert state.status == "running"
    assert any("pinned declared host key" in line for line in lines)
    assert not any("trust on first use" in line for line in lines)
    baremetal.forget(state)


def test_wrong_declared_key_is_refused(
    lab_home: Path, fakehost: FakeHost, client_key: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    wrong = " ".join(other.with_suffix(".pub").read_text().split()[:2])
    inv = declare(tmp_path, fakehost, client_key, mllb_host_key=wrong)
    with pytest.raises(LabError) as err:
        baremetal.adopt("wrongkey", inv, Progress(quiet=True))
    assert "[box1] TASK Ping over SSH with the pinned host key: unreachable" in str(err.value)
    assert load("wrongkey").status == "failed"


def test_declared_topology_is_checked(
    lab_home: Path, fakehost: FakeHost, client_key: Path, tmp_path: Path
) -> None:
    inv = declare(tmp_path, fakehost, client_key, mllb_topology="2x14x2")
    with pytest.raises(UserError) as err:
        baremetal.adopt("wrongtopo", inv, Progress(quiet=True))
    assert err.value.field == "metal.yml: box1.mllb_topology"
    assert "declares 2x14x2 but the host reports" in err.value.problem


def test_changed_host_key_is_refused(
    lab_home: Path, client_key: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A reinstalled host (new key, same address) is refused, also when adopted again."""
    host = start_fakehost(tmp_path_factory.mktemp("rekey"), client_key)
    try:
        inv = declare(tmp_path, host, client_key)
        state = baremetal.adopt("rekey", inv, Progress(quiet=True))
        host.new_host_key()
        host.restart()
        with pytest.raises(LabError) as err:
            run_playbook("ping.yml", write_lab_inventory(state), lab="rekey")
        assert "unreachable" in str(err.value)
        assert "host key" in str(err.value).lower()
        with pytest.raises(LabError):
            baremetal.adopt("rekey", inv, Progress(quiet=True))
    finally:
        host.stop()


def test_forget_leaves_the_host_running(
    lab_home: Path, fakehost: FakeHost, client_key: Path, tmp_path: Path
) -> None:
    state = baremetal.adopt("forgetme", declare(tmp_path, fakehost, client_key), None)
    baremetal.forget(state)
    assert not lab_dir("forgetme").exists() and load("forgetme") is None
    assert fakehost.pids(), "forgetting a bare-metal lab must not stop the host"


def test_fakehost_teardown_leaves_nothing(client_key: Path, tmp_path: Path) -> None:
    host = start_fakehost(tmp_path, client_key)
    netns, workdir = host.netns, host.workdir
    assert host.netns_exists() and host.pids()
    host.stop()
    assert not host.netns_exists() and host.pids() == []
    assert not workdir.exists()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert netns[-6:] not in links


def test_cli_up_status_ssh_down(
    lab_home: Path, fakehost: FakeHost, client_key: Path, tmp_path: Path
) -> None:
    """The same commands as for guests: up (adopt), status, ssh, down (forget, host untouched)."""
    inventory = declare(tmp_path, fakehost, client_key)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mllb_lab", *args], capture_output=True, text=True, timeout=300
        )

    up = cli("up", "--backend", "baremetal", "--inventory", str(inventory), "--name", "clibox")
    assert up.returncode == 0, up.stderr
    assert "adopted 1 host(s): box1" in up.stdout
    rows = {r["name"]: r for r in json.loads(cli("status", "--json").stdout)}
    assert (rows["clibox"]["backend"], rows["clibox"]["status"]) == ("baremetal", "running")
    ssh = cli("ssh", "clibox", "--", "uname", "-r")
    assert (ssh.returncode, ssh.stdout.strip()) == (0, platform.release())
    down = cli("down", "clibox")
    assert (down.returncode, down.stdout.strip()) == (0, "lab 'clibox' is forgotten")
    assert not lab_dir("clibox").exists()
    assert fakehost.pids()  # forgetting never touches the host: sshd still runs

    for args, field in (
        (("up", "--backend", "baremetal"), "--inventory"),
        (("up", "--inventory", str(inventory)), "--inventory"),
        (
            ("up", "--backend", "baremetal", "--inventory", str(inventory), "--topology", "2x2x2"),
            "--topology",
        ),
    ):
        bad = cli(*args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert bad.stderr.startswith(f"mllb-lab: error: {field}:"), bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
