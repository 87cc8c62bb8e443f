"""The libvirt backend: the same guest as the qemu backend, as a transient libvirt domain.

Transient (createXML) rather than defined: a domain that is destroyed is gone, so `down` and a
failed `up` leave nothing registered in libvirtd. The daemons are not ours to start in normal use
(a real controller runs them under its init system); the tests start their own, see
mllb_lab/lab/libvirtd.py.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import jinja2

from mllb_lab import topology
from mllb_lab.errors import LabError
from mllb_lab.lab.backends.base import GuestSpec, PortInUse, Started
from mllb_lab.lab.backends.qemu import binary as qemu_binary
from mllb_lab.lab.state import LabState
from mllb_lab.paths import repo_root
from mllb_lab.progress import Progress

URI_ENV = "MLLB_LIBVIRT_URI"
DEFAULT_URI = "qemu:///system"
TEMPLATE = "libvirt-domain.xml.j2"
# The Intel models libvirt reports usable under TCG here are Nehalem and Westmere.
TCG_CPU_MODEL = "Westmere"
KILL_GRACE = 10.0


def uri() -> str:
    return os.environ.get(URI_ENV, DEFAULT_URI)


def _libvirt() -> Any:
    try:
        import libvirt  # optional dependency, only for this backend
    except ImportError:
        raise LabError(
            "libvirt-python is not installed (pip install 'mllb-lab[libvirt]')"
        ) from None
    # libvirt prints every error to stderr by default; ours become one-line LabErrors instead.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    return libvirt


def connect() -> Any:
    libvirt = _libvirt()
    try:
        return libvirt.open(uri())
    except libvirt.libvirtError as exc:
        raise LabError(
            f"cannot connect to libvirt at {uri()}: {exc.get_error_message()} "
            "(start the daemons: 'virtlogd -d && libvirtd -d' where no init system runs them)"
        ) from None


def domain_name(lab: str) -> str:
    return f"mllb-{lab}"


def render(spec: GuestSpec) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(repo_root() / "qemu"),
        autoescape=jinja2.select_autoescape(["xml.j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template(TEMPLATE).render(
        domain_type="kvm" if spec.accel.name == "kvm" else "qemu",
        domain=domain_name(spec.name),
        lab=spec.name,
        topology_spec=spec.topology.spec,
        memory_mib=spec.memory_mib,
        vcpus=spec.topology.vcpus,
        kernel=spec.kernel,
        initrd=spec.initrd,
        cmdline=spec.cmdline,
        tcg_cpu_model=TCG_CPU_MODEL,
        # Already XML, built by topology.py: not to be escaped again.
        topology_xml=jinja2.utils.markupsafe.Markup(topology.libvirt_topology_xml(spec.topology)),
        numa_xml=jinja2.utils.markupsafe.Markup(
            topology.libvirt_numa_xml(spec.topology, spec.memory_mib)
        ),
        emulator=qemu_binary(),
        overlay=spec.overlay,
        seed=spec.seed,
        serial_log=spec.serial_log,
        ssh_port=spec.ssh_port,
    )


class LibvirtBackend:
    name = "libvirt"
    # The domain XML has no setting for QEMU's `-accel tcg,thread=single`, and a second -accel
    # passed through <qemu:commandline> would clash with the one libvirt writes.
    accels = ("kvm", "tcg")

    def check_host(self) -> None:
        qemu_binary()
        connect().close()

    def describe(self, spec: GuestSpec) -> str:
        return f"libvirt domain on {uri()}:\n{render(spec)}"

    def start(self, spec: GuestSpec, progress: Progress) -> Started:
        libvirt = _libvirt()
        xml = render(spec)
        (spec.lab_dir / "domain.xml").write_text(xml)
        conn = connect()
        try:
            dom = conn.createXML(xml, 0)
        except libvirt.libvirtError as exc:
            message = exc.get_error_message() or str(exc)
            if "host forwarding rule" in message:
                raise PortInUse(spec.ssh_port) from None
            log = Path("/var/log/libvirt/qemu") / f"{domain_name(spec.name)}.log"
            raise LabError(f"libvirt could not start the guest: {message}", log=log) from None
        finally:
            conn.close()
        return Started(
            domain=dom.name(),
            files={"domain_xml": str(spec.lab_dir / "domain.xml")},
        )

    def alive(self, state: LabState) -> bool:
        return _lookup(state) is not None

    def stop(self, state: LabState, timeout: float) -> None:
        libvirt = _libvirt()
        dom = _lookup(state)
        if dom is None:
            return
        if timeout > 0:
            # ACPI power button (the guest has logind to act on it); on failure, destroy below
            with contextlib.suppress(libvirt.libvirtError):
                dom.shutdown()
            if _wait_gone(state, timeout):
                return
        with contextlib.suppress(libvirt.libvirtError):  # gone between lookup and destroy
            dom.destroy()
        if not _wait_gone(state, KILL_GRACE):
            raise LabError(f"libvirt domain {state.domain} survived destroy")


def _lookup(state: LabState) -> Any | None:
    """The running domain of this lab, or None (transient domains vanish when stopped)."""
    if not state.domain:
        return None
    libvirt = _libvirt()
    conn = connect()
    try:
        dom = conn.lookupByName(state.domain)
        return dom if dom.isActive() else None
    except libvirt.libvirtError:
        return None
    finally:
        conn.close()


def _wait_gone(state: LabState, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _lookup(state) is None:
            return True
        time.sleep(0.5)
    return _lookup(state) is None


BACKEND = LibvirtBackend()
