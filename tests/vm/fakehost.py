"""A fake bare-metal host: sshd from a guest image rootfs, alone in a network namespace.

Real enough for the bare-metal path (real sshd, real host key, real network hop over a veth
pair), fake only in that it shares this machine's kernel and CPUs. Traffic stays on a private
/30 between this machine and the namespace. Everything is undone by `stop()`: every process in
the namespace is killed, the namespace (and with it the veth pair) deleted, the copy removed.

The rootfs is never written: an overlayfs (lower = image rootfs) is mounted inside a private
mount namespace that lives only as long as sshd, so even a crashed test leaves no mount behind.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# 10.199.0.0/16 split into /30s; each fake host takes one that is not in use on this machine.
POOL = ipaddress.ip_network("10.199.0.0/16")
SSHD_CONFIG = """\
Port 22
ListenAddress {address}
HostKey /etc/mllb-fakehost/ssh_host_ed25519_key
AuthorizedKeysFile /etc/mllb-fakehost/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
Subsystem sftp /usr/lib/openssh/sftp-server
"""


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def used_addresses() -> set[ipaddress.IPv4Address]:
    out = run("ip", "-4", "-o", "addr", "show")
    return {ipaddress.ip_interface(line.split()[3]).ip for line in out.splitlines()}


def free_subnet() -> ipaddress.IPv4Network:
    used = used_addresses()
    subnets = list(POOL.subnets(new_prefix=30))
    for _ in range(64):
        net = subnets[secrets.randbelow(len(subnets))]
        if not used.intersection(net.hosts()):
            return net
    raise RuntimeError("no free /30 in 10.199.0.0/16")


@dataclass
class FakeHost:
    rootfs: Path
    workdir: Path
    authorized_key: str
    netns: str = field(default_factory=lambda: f"mllbfh-{secrets.token_hex(3)}")
    subnet: ipaddress.IPv4Network = field(default_factory=free_subnet)
    sshd: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return str(list(self.subnet.hosts())[1])

    @property
    def host_side(self) -> str:
        return str(next(iter(self.subnet.hosts())))

    @property
    def upper(self) -> Path:
        return self.workdir / "upper"

    @property
    def host_key_pub(self) -> str:
        """The public host key in known_hosts form: 'ssh-ed25519 AAAA...'."""
        text = (self.upper / "etc/mllb-fakehost/ssh_host_ed25519_key.pub").read_text()
        return " ".join(text.split()[:2])

    def start(self) -> FakeHost:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for sub in ("upper", "work", "merged"):
            (self.workdir / sub).mkdir(exist_ok=True)
        self._write_config()
        self.new_host_key()
        self._make_network()
        self._start_sshd()
        return self

    def new_host_key(self) -> None:
        """Generate a fresh host key (a reinstalled machine looks exactly like this)."""
        key = self.upper / "etc/mllb-fakehost/ssh_host_ed25519_key"
        key.unlink(missing_ok=True)
        key.with_suffix(".pub").unlink(missing_ok=True)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", self.netns, "-f", str(key))

    def restart(self) -> None:
        self._stop_sshd()
        self._start_sshd()

    @property
    def host_if(self) -> str:
        return f"mfh{self.netns[-6:]}h"

    def stop(self) -> None:
        self._stop_sshd()
        # Deleting the netns frees its end of the veth pair lazily: delete ours explicitly.
        with contextlib.suppress(subprocess.CalledProcessError):
            run("ip", "link", "del", self.host_if)
        with contextlib.suppress(subprocess.CalledProcessError):
            run("ip", "netns", "del", self.netns)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def pids(self) -> list[int]:
        try:
            out = run("ip", "netns", "pids", self.netns)
        except subprocess.CalledProcessError:
            return []
        return [int(p) for p in out.split()]

    def netns_exists(self) -> bool:
        return self.netns in run("ip", "netns", "list").split()

    def _write_config(self) -> None:
        conf = self.upper / "etc/mllb-fakehost"
        conf.mkdir(parents=True, exist_ok=True, mode=0o755)
        (self.upper / "run/sshd").mkdir(parents=True, exist_ok=True, mode=0o755)
        (conf / "sshd_config").write_text(SSHD_CONFIG.format(address=self.address))
        (conf / "authorized_keys").write_text(self.authorized_key.strip() + "\n")
        os.chmod(conf / "authorized_keys", 0o600)

    def _make_network(self) -> None:
        host_if, ns_if = self.host_if, f"mfh{self.netns[-6:]}n"
        prefix = self.subnet.prefixlen
        run("ip", "netns", "add", self.netns)
        run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        run("ip", "link", "set", ns_if, "netns", self.netns)
        run("ip", "addr", "add", f"{self.host_side}/{prefix}", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        ns = ("ip", "netns", "exec", self.netns)
        run(*ns, "ip", "addr", "add", f"{self.address}/{prefix}", "dev", ns_if)
        run(*ns, "ip", "link", "set", ns_if, "up")
        run(*ns, "ip", "link", "set", "lo", "up")

    def _start_sshd(self) -> None:
        merged = self.workdir / "merged"
        # `ip netns exec` already gives a fresh mount namespace with the netns's /sys; unshare
        # makes mounts private so they disappear with the last process in it.
        script = (
            "set -e; "
            f"mount -t overlay overlay -o lowerdir={self.rootfs},upperdir={self.upper},"
            f"workdir={self.workdir / 'work'} {merged}; "
            f"mount -t proc proc {merged}/proc; "
            f"mount -t sysfs sysfs {merged}/sys; "
            f"mount --rbind /dev {merged}/dev; "
            f"exec chroot {merged} /usr/sbin/sshd -D -e -f /etc/mllb-fakehost/sshd_config"
        )
        log = open(self.workdir / "sshd.log", "ab")  # noqa: SIM115 - stays open with sshd
        self.sshd = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.netns,
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_for_port()

    def _wait_for_port(self, attempts: int = 100) -> None:
        for _ in range(attempts):
            if self.sshd is not None and self.sshd.poll() is not None:
                log = (self.workdir / "sshd.log").read_text(errors="replace")
                raise RuntimeError(f"sshd exited with {self.sshd.returncode}: {log}")
            with contextlib.suppress(OSError), socket.create_connection((self.address, 22), 1):
                return
            time.sleep(0.1)
        raise RuntimeError(f"sshd in {self.netns} did not listen on {self.address}:22")

    def _stop_sshd(self) -> None:
        # Session children of sshd are in the namespace too: kill them all, not just the parent.
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        if self.sshd is not None:
            self.sshd.wait(timeout=30)
            self.sshd = None
        for _ in range(100):
            if not self.pids():
                return
            time.sleep(0.1)
        raise RuntimeError(f"processes left in {self.netns}: {self.pids()}")
