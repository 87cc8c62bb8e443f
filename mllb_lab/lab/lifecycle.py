"""up / down / status: the life of a lab, whatever the backend.

`up` validates everything before creating anything, is a no-op for a running lab with the same
request, and on any failure (or Ctrl-C) stops the guest, keeps the serial console under
$MLLB_LAB_HOME/.failed/ and removes what it created. `down` powers off (ACPI, then kill) and
removes the lab's temporary files; keys, pinned host keys, logs and state stay.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from mllb_lab import facts, topology
from mllb_lab.errors import LabError, UserError
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab import accel as accel_mod
from mllb_lab.lab import baremetal, ssh
from mllb_lab.lab import state as lab_state
from mllb_lab.lab.backends import get_backend
from mllb_lab.lab.backends.base import Backend, GuestSpec, PortInUse
from mllb_lab.lab.disks import OVERLAY, SEED, prepare_guest_disks
from mllb_lab.lab.image import Image, ensure_image, plan_image
from mllb_lab.lab.kernels import boot_cmdline, resolve_kernel
from mllb_lab.lab.keys import ensure_keys
from mllb_lab.lab.memory import guest_memory_mib
from mllb_lab.lab.ports import free_port
from mllb_lab.lab.state import HostAccess, LabState, lab_dir
from mllb_lab.paths import lab_home
from mllb_lab.progress import Progress
from mllb_lab.topology import Topology

PORT_ATTEMPTS = 3
SERIAL_LOG = "serial.log"
# Files that exist only while a guest runs; `down` and a failed `up` remove them.
TEMPORARY = ("overlay", "seed", "qmp", "pidfile")


@dataclass(frozen=True)
class UpRequest:
    topology: str
    name: str | None = None
    memory: str | None = None
    backend: str = "qemu"
    accel: str = "auto"
    image: str = "bookworm"
    kernel: str = "stock"
    boot_timeout: float = 300.0


@dataclass(frozen=True)
class UpPlan:
    name: str
    topology: Topology
    memory_mib: int
    backend: Backend
    accel: accel_mod.Accel
    image: Image
    kernel: Path
    initrd: Path | None  # None: a variant kernel with its drivers built in
    cmdline_extra: str = ""  # appended to the kernel command line (safe boot: panic=N)
    no_reboot: bool = False  # a guest reset ends QEMU instead of rebooting (safe boot)


def parse_topology_arg(text: str) -> Topology:
    """SxCxT, or a lab file (YAML) whose `topology:` has nodes_per_socket / distances."""
    path = Path(text)
    if text.endswith((".yml", ".yaml")) or path.is_file():
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise UserError("--topology", f"cannot read lab file {path}: {exc}") from None
        if not isinstance(data, dict) or "topology" not in data:
            raise UserError(f"{path}: topology", "missing", "add a topology: mapping")
        return Topology.from_dict(data["topology"], where=f"{path}: topology")
    return topology.parse(text)


def plan_up(req: UpRequest) -> UpPlan:
    """Every check that needs no side effect; bad input raises before anything exists."""
    topo = parse_topology_arg(req.topology)
    name = lab_state.check_name(req.name or f"mllb-{topo.spec}")
    backend = get_backend(req.backend)
    memory_mib = guest_memory_mib(topo, req.memory)
    accel = accel_mod.choose(req.accel)
    if accel.name not in backend.accels:
        raise UserError(
            "--accel",
            f"the {backend.name} backend cannot run a guest with {accel.name}",
            f"use --backend qemu, or --accel {' or '.join(backend.accels)}",
        )
    image = plan_image(req.image)
    kernel, initrd = resolve_kernel(req.kernel, image)
    backend.check_host()
    return UpPlan(name, topo, memory_mib, backend, accel, image, kernel, initrd)


def _spec(plan: UpPlan, port: int) -> GuestSpec:
    folder = lab_dir(plan.name)
    return GuestSpec(
        name=plan.name,
        lab_dir=folder,
        topology=plan.topology,
        memory_mib=plan.memory_mib,
        accel=plan.accel,
        kernel=plan.kernel,
        initrd=plan.initrd,
        cmdline=" ".join(
            filter(None, [boot_cmdline(plan.image.cmdline, plan.initrd), plan.cmdline_extra])
        ),
        overlay=folder / OVERLAY,
        seed=folder / SEED,
        ssh_port=port,
        serial_log=folder / SERIAL_LOG,
        no_reboot=plan.no_reboot,
    )


def describe_plan(plan: UpPlan) -> str:
    image_state = "cached" if plan.image.ready else "not built yet; up builds it first"
    topo = plan.topology
    return "\n".join(
        [
            f"lab:      {plan.name} in {lab_dir(plan.name)}",
            f"topology: {topo.spec}, {topo.nodes} NUMA nodes, {topo.vcpus} vCPUs, "
            f"{plan.memory_mib} MiB",
            f"accel:    {plan.accel.name} ({plan.accel.reason})",
            f"image:    {plan.image.key} ({image_state})",
            f"kernel:   {plan.kernel}",
            f"backend:  {plan.backend.name}",
            plan.backend.describe(_spec(plan, free_port())),
        ]
    )


def _same_request(state: LabState, plan: UpPlan) -> bool:
    return (
        state.backend == plan.backend.name
        and state.topology == plan.topology.to_dict()
        and state.memory_mib == plan.memory_mib
        and state.files.get("kernel") == str(plan.kernel)
    )


def live_status(state: LabState) -> str:
    """The recorded status, corrected when a 'running' guest has in fact gone."""
    if state.backend == baremetal.BACKEND:
        return state.status  # no process of ours to check; adoption checked reachability
    if state.status in ("running", "starting") and not get_backend(state.backend).alive(state):
        return "dead"
    return state.status


def up(plan: UpPlan, boot_timeout: float, progress: Progress) -> tuple[LabState, bool]:
    """Boot the planned lab; returns (state, False), or (state, True) if it already ran."""
    existing = lab_state.load(plan.name)
    if existing is not None and live_status(existing) in ("running", "starting"):
        if _same_request(existing, plan):
            return existing, True
        raise UserError(
            "--name",
            f"lab '{plan.name}' is already running ({existing.backend}, "
            f"{Topology.from_dict(existing.topology).spec}, {existing.memory_mib} MiB)",
            f"choose another --name or run 'mllb-lab down {plan.name}' first",
        )
    if existing is not None:
        _release(existing)  # leftovers of a guest that died without `down`
    image = ensure_image(plan.image.release, progress)
    folder = lab_dir(plan.name)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    state: LabState | None = None
    try:
        state = _start(plan, image, progress)
        with progress.step(f"waiting for SSH on 127.0.0.1:{state.hosts[0].port}"):
            alive = partial(plan.backend.alive, state)
            ssh.wait_for_ssh(state, boot_timeout, alive, Path(state.files["serial_log"]))
        with progress.step("verifying the guest's topology"):
            verify_guest(state, plan.topology, plan.memory_mib)
        state.status = "running"
        lab_state.save(state)
        write_lab_inventory(state)
        facts.gather(state, progress)
        return state, False
    except BaseException as exc:
        kept = _undo_failed_up(plan, folder, created, state)
        if isinstance(exc, LabError):
            log = kept / exc.log.name if exc.log and (kept / exc.log.name).exists() else None
            raise LabError(f"{exc.what}; console and logs kept in {kept}", log=log) from None
        raise


def start_guest(plan: UpPlan, progress: Progress) -> LabState:
    """Start the planned guest on fresh disks without waiting for it: for callers that wait
    and verify their own way (safe boot, lab/safeboot.py)."""
    return _start(plan, ensure_image(plan.image.release, progress), progress)


def _start(plan: UpPlan, image: Image, progress: Progress) -> LabState:
    folder = lab_dir(plan.name)
    with progress.step("preparing keys and disks"):
        keys = ensure_keys(folder, plan.name)
        files = prepare_guest_disks(image, folder, plan.name, keys)
        (folder / SERIAL_LOG).unlink(missing_ok=True)
    for _ in range(PORT_ATTEMPTS):
        spec = _spec(plan, free_port())
        try:
            with progress.step(
                f"starting {plan.backend.name} guest {plan.topology.spec} ({plan.accel.name})"
            ):
                started = plan.backend.start(spec, progress)
            break
        except PortInUse:
            progress.say(f"port {spec.ssh_port} was taken meanwhile; trying another")
    else:
        raise LabError(f"no free local port for SSH after {PORT_ATTEMPTS} attempts")
    host = HostAccess(
        name=plan.name,
        address="127.0.0.1",
        port=spec.ssh_port,
        key_file=str(keys.client_key),
        known_hosts=str(keys.known_hosts),
    )
    state = LabState(
        name=plan.name,
        backend=plan.backend.name,
        status="starting",
        topology=plan.topology.to_dict(),
        memory_mib=plan.memory_mib,
        accel=plan.accel.name,
        hosts=[host],
        pid=started.pid,
        domain=started.domain,
        files={
            **files,
            **started.files,
            "serial_log": str(spec.serial_log),
            "kernel": str(plan.kernel),
            "initrd": str(plan.initrd or ""),
            "image": plan.image.release,
            "image_key": plan.image.key,
        },
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    lab_state.save(state)
    return state


def verify_guest(state: LabState, topo: Topology, memory_mib: int) -> None:
    mark = "==MLLB-NODES=="
    out = ssh.check_output(state, f"LC_ALL=C lscpu; echo {mark}; {topology.NODE_DUMP_COMMAND}")
    lscpu_text, _, node_text = out.partition(mark)
    mismatches = topology.verify(topo, memory_mib, lscpu_text, topology.parse_node_dump(node_text))
    if mismatches:
        raise LabError(
            f"the guest's topology is not {topo.spec}: " + "; ".join(mismatches),
            log=state.files.get("serial_log"),
        )


def _undo_failed_up(plan: UpPlan, folder: Path, created: bool, state: LabState | None) -> Path:
    """Stop the guest, keep its logs under .failed/, remove what this `up` created."""
    if state is not None:
        plan.backend.stop(state, timeout=0)
        _release(state)
    kept = lab_home() / ".failed" / f"{plan.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    kept.mkdir(parents=True, exist_ok=True)
    for log in (SERIAL_LOG, "qemu.log"):
        if (folder / log).exists():
            shutil.copyfile(folder / log, kept / log)
    if created:
        shutil.rmtree(folder, ignore_errors=True)
    elif state is not None:
        state.status, state.pid = "stopped", None
        lab_state.save(state)
    return kept


def _release(state: LabState) -> None:
    """Close the SSH master and remove the files that only a running guest needs."""
    if state.hosts:
        ssh.close_master(state)
    for key in TEMPORARY:
        if key in state.files:
            Path(state.files[key]).unlink(missing_ok=True)


def down(name: str, timeout: float, progress: Progress) -> LabState:
    state = lab_state.load(name)
    if state is None:
        raise UserError("NAME", f"there is no lab named '{name}'", "see 'mllb-lab status'")
    if state.backend == baremetal.BACKEND:
        with progress.step(f"forgetting bare-metal lab '{name}' (its hosts keep running)"):
            baremetal.forget(state)
        state.status = "forgotten"
        return state
    backend = get_backend(state.backend)
    if backend.alive(state):
        with progress.step(f"powering off lab '{name}'"):
            backend.stop(state, timeout)
    _release(state)
    if state.status != "stopped" or state.pid is not None:
        state.status, state.pid = "stopped", None
        lab_state.save(state)
    return state


def down_all(timeout: float, progress: Progress) -> list[LabState]:
    return [down(state.name, timeout, progress) for state in lab_state.all_labs()]


def status_rows() -> list[dict[str, Any]]:
    rows = []
    for state in lab_state.all_labs():
        topo = Topology.from_dict(state.topology) if state.topology else None
        host = state.hosts[0] if state.hosts else None
        rows.append(
            {
                "name": state.name,
                "backend": state.backend,
                "status": live_status(state),
                "topology": topo.spec if topo else None,
                "nodes": topo.nodes if topo else None,
                "vcpus": topo.vcpus if topo else None,
                "memory_mib": state.memory_mib,
                "accel": state.accel,
                "ssh": f"{host.user}@{host.address}:{host.port}" if host else None,
                "pid": state.pid,
                "serial_log": state.files.get("serial_log"),
            }
        )
    return rows
