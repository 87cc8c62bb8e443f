"""IPMI power control through ipmitool. The password goes to ipmitool through its environment
(`-E` reads IPMI_PASSWORD), so it is on no command line (`ps`) and in no log."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mllb_lab.errors import LabError
from mllb_lab.power.base import PowerDriver, State
from mllb_lab.power.credentials import scrub

TIMEOUT = 60


class IpmiPower(PowerDriver):
    kind = "ipmi"

    def __init__(
        self, host: str, log: Path, address: str, user: str, password: str,
        interface: str = "lanplus",
    ) -> None:  # fmt: skip
        super().__init__(host, log)
        self.address = address
        self.user = user
        self.password = password
        self.interface = interface

    def argv(self, *words: str) -> list[str]:
        exe = shutil.which("ipmitool")
        if exe is None:
            raise LabError("ipmitool is not installed on the controller (apt install ipmitool)")
        return [exe, "-I", self.interface, "-H", self.address, "-U", self.user, "-E", *words]

    def ipmitool(self, *words: str) -> str:
        argv = self.argv(*words)
        env = {**os.environ, "IPMI_PASSWORD": self.password}
        try:
            proc = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            self.note(f"$ {' '.join(argv)}: timed out after {TIMEOUT}s")
            raise LabError(f"ipmitool {' '.join(words)} on {self.address} timed out",
                           log=self.log) from None  # fmt: skip
        out = scrub((proc.stdout + proc.stderr).strip(), self.password)
        self.note(f"$ {' '.join(argv)} -> rc {proc.returncode}: {out}")
        if proc.returncode != 0:
            raise LabError(f"ipmitool {' '.join(words)} on {self.address} failed: {out}",
                           log=self.log)  # fmt: skip
        return out

    def on(self) -> None:
        self.ipmitool("chassis", "power", "on")

    def off(self) -> None:
        self.ipmitool("chassis", "power", "off")

    def cycle(self) -> None:
        # `power cycle` is refused by BMCs when the host is off: switch it on instead.
        if self.status() == "off":
            self.on()
        else:
            self.ipmitool("chassis", "power", "cycle")

    def status(self) -> State:
        out = self.ipmitool("chassis", "power", "status").lower()
        return "on" if out.endswith(" on") else "off" if out.endswith(" off") else "unknown"
