"""Lab inventories (rendering, pinned-key ssh options) and declared bare-metal inventories."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mllb_lab.errors import EXIT_USER, UserError
from mllb_lab.inventory import (
    group_name,
    load_declared,
    render_inventory,
    ssh_options,
    write_lab_inventory,
)
from mllb_lab.lab.state import HostAccess, LabState
from mllb_lab.paths import repo_root

EXAMPLE = repo_root() / "inventory" / "xeon-pair.example.yml"


@pytest.fixture
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def lab_state(name: str = "numa-lab", key_file: str = "/keys/id_ed25519") -> LabState:
    return LabState(
        name=name,
        backend="qemu",
        status="running",
        hosts=[
            HostAccess("guest0", "127.0.0.1", 2222, "root", key_file, "/labs/numa-lab/kh"),
            HostAccess("guest1", "127.0.0.1", 2223, "root", key_file, ""),
        ],
    )


def options_of(args: str) -> dict[str, str]:
    words = shlex.split(args)
    pairs = [words[i + 1] for i, w in enumerate(words) if w == "-o"]
    return dict(p.split("=", 1) for p in pairs)


def test_rendered_hosts_have_pinned_key_options(lab_home: Path) -> None:
    inv = render_inventory(lab_state())
    hosts = inv["all"]["children"]["mllb_numa_lab"]["hosts"]
    assert set(hosts) == {"guest0", "guest1"}
    g0 = hosts["guest0"]
    assert (g0["ansible_host"], g0["ansible_port"], g0["ansible_user"]) == (
        "127.0.0.1",
        2222,
        "root",
    )
    assert g0["ansible_ssh_private_key_file"] == "/keys/id_ed25519"
    assert g0["ansible_python_interpreter"] == "/usr/bin/python3"
    opts = options_of(g0["ansible_ssh_common_args"])
    assert opts["StrictHostKeyChecking"] == "yes"
    assert opts["UserKnownHostsFile"] == "/labs/numa-lab/kh"
    assert opts["GlobalKnownHostsFile"] == "/dev/null"
    assert opts["HostKeyAlias"] == "guest0"
    assert opts["ControlMaster"] == "auto" and opts["ControlPersist"]
    # A host without its own known_hosts uses the lab's.
    g1 = options_of(hosts["guest1"]["ansible_ssh_common_args"])
    assert g1["UserKnownHostsFile"] == str(lab_home / "numa-lab" / "known_hosts")
    assert g1["HostKeyAlias"] == "guest1"


def test_host_key_checking_is_never_disabled(lab_home: Path) -> None:
    text = json.dumps(render_inventory(lab_state())).lower()
    assert "stricthostkeychecking=no" not in text
    assert "stricthostkeychecking=accept-new" not in text
    assert "userknownhostsfile=/dev/null" not in text


def test_connection_sharing_never_crosses_pins(lab_home: Path) -> None:
    """Multiplexed sessions skip host-key checks, so each pin gets its own ControlPath."""
    a = options_of(shlex.join(ssh_options(HostAccess("h", "10.0.0.1", known_hosts="/a"), "x")))
    b = options_of(shlex.join(ssh_options(HostAccess("h", "10.0.0.1", known_hosts="/b"), "x")))
    assert a["ControlPath"] != b["ControlPath"]
    assert a["ControlPath"].endswith("-%C")
    assert len(a["ControlPath"].replace("%C", "x" * 40)) < 104  # unix socket path limit


def test_no_key_file_means_no_key_options(lab_home: Path) -> None:
    hv = render_inventory(lab_state(key_file=""))["all"]["children"]["mllb_numa_lab"]["hosts"]
    assert "ansible_ssh_private_key_file" not in hv["guest0"]
    assert "IdentitiesOnly" not in hv["guest0"]["ansible_ssh_common_args"]


def test_group_name_is_a_valid_ansible_group() -> None:
    assert group_name("xeon-pair") == "mllb_xeon_pair"


def test_written_inventory_parses_with_ansible(lab_home: Path) -> None:
    """The real ansible-inventory reads what we wrote, with the same host vars."""
    path = write_lab_inventory(lab_state())
    assert path == lab_home / "numa-lab" / "inventory.yml"
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    parsed = json.loads(out.stdout)
    assert sorted(parsed["mllb_numa_lab"]["hosts"]) == ["guest0", "guest1"]
    hv = parsed["_meta"]["hostvars"]["guest1"]
    assert hv["ansible_port"] == 2223
    assert options_of(hv["ansible_ssh_common_args"])["StrictHostKeyChecking"] == "yes"


def test_example_inventory_loads_with_group_vars() -> None:
    hosts = {h.name: h for h in load_declared(EXAMPLE)}
    assert set(hosts) == {"xeon1", "xeon2"}
    assert hosts["xeon1"].user == "root" and hosts["xeon1"].topology == "2x14x2"
    assert hosts["xeon1"].host_key is not None and hosts["xeon1"].host_key.type == "ssh-ed25519"
    assert hosts["xeon2"].port == 2222 and hosts["xeon2"].host_key is None


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "declared.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def one_host(**hv: object) -> dict:
    return {"all": {"children": {"metal": {"hosts": {"box1": hv}}}}}


@pytest.mark.parametrize(
    ("hv", "field", "words"),
    [
        ({"ansible_user": "root"}, "all.children.metal.hosts.box1.ansible_host", "missing"),
        ({"ansible_host": "10.0.0.5"}, "all.children.metal.hosts.box1.ansible_user", "missing"),
        (
            {"ansible_host": "10.0.0.5", "ansible_user": "root", "ansible_port": 70000},
            "box1.ansible_port",
            "not a TCP port",
        ),
        (
            {"ansible_host": "10.0.0.5", "ansible_user": "root", "mllb_topology": "2x14"},
            "box1.mllb_topology",
            "SOCKETSxCORESxTHREADS",
        ),
        (
            {"ansible_host": "10.0.0.5", "ansible_user": "root", "mllb_host_key": "ssh-ed25519"},
            "box1.mllb_host_key",
            "not an SSH public key",
        ),
        (
            {
                "ansible_host": "10.0.0.5",
                "ansible_user": "root",
                "ansible_ssh_private_key_file": "/nonexistent/id",
            },
            "box1.ansible_ssh_private_key_file",
            "does not exist",
        ),
        (
            {
                "ansible_host": "10.0.0.5",
                "ansible_user": "root",
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no",
            },
            "box1.ansible_ssh_common_args",
            "managed by mllb-lab",
        ),
    ],
)
def test_bad_host_fields_name_host_and_field(
    tmp_path: Path, hv: dict, field: str, words: str
) -> None:
    with pytest.raises(UserError) as err:
        load_declared(write(tmp_path, one_host(**hv)))
    assert field in err.value.field
    assert err.value.field.startswith("declared.yml: ")
    assert words in err.value.problem
    assert err.value.fix
    assert err.value.exit_code == EXIT_USER
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("all: [unclosed", "not valid YAML at line"),
        ("- just\n- a list\n", "not an Ansible YAML inventory"),
        ({"all": {"hosts": {}}}, "declares no hosts"),
        ({"all": {"hostz": {}}}, "unknown key"),
        ({"all": {"hosts": ["box1"]}}, "must be a mapping"),
    ],
)
def test_bad_inventory_shapes(tmp_path: Path, content: object, words: str) -> None:
    with pytest.raises(UserError) as err:
        load_declared(write(tmp_path, content))
    assert words in str(err.value)


def test_missing_inventory_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        load_declared(tmp_path / "nope.yml")
    assert err.value.field == "--inventory"


def test_host_vars_override_group_vars(tmp_path: Path) -> None:
    data = {
        "all": {
            "vars": {"ansible_user": "admin", "ansible_port": 2200},
            "children": {
                "metal": {
                    "vars": {"ansible_port": 2201},
                    "hosts": {"a": {"ansible_host": "10.0.0.1", "ansible_port": 2202}},
                },
            },
            "hosts": {"b": {"ansible_host": "10.0.0.2"}},
        }
    }
    hosts = {h.name: h for h in load_declared(write(tmp_path, data))}
    assert (hosts["a"].user, hosts["a"].port) == ("admin", 2202)
    assert (hosts["b"].user, hosts["b"].port) == ("admin", 2200)


def test_declared_vars_pass_through_to_lab_inventory(lab_home: Path, tmp_path: Path) -> None:
    declared = write(
        tmp_path,
        one_host(
            ansible_host="10.0.0.5",
            ansible_user="root",
            ansible_ssh_common_args="-o ProxyJump=bastion",
            ansible_python_interpreter="/usr/bin/python3.11",
            site_rack="r7",
        ),
    )
    state = LabState(
        name="metal",
        backend="baremetal",
        status="running",
        hosts=[HostAccess("box1", "10.0.0.5")],
        files={"declared_inventory": str(declared)},
    )
    hv = yaml.safe_load(write_lab_inventory(state).read_text())["all"]["children"]["mllb_metal"]
    box = hv["hosts"]["box1"]
    assert box["site_rack"] == "r7"
    assert box["ansible_python_interpreter"] == "/usr/bin/python3.11"
    args = box["ansible_ssh_common_args"]
    # Ours first: ssh takes the first value of an option, so the pin cannot be overridden.
    assert args.index("StrictHostKeyChecking=yes") < args.index("ProxyJump=bastion")
