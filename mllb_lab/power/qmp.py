"""Power control of a QEMU lab guest over its QMP socket: cycle = system_reset (a hard reset,
like pressing the reset button; then `cont` if the guest was stopped), off = quit (the process
ends, like pulling the plug), status = query-status. QEMU cannot switch itself back on: `on`
after `off` is `mllb-lab up`."""

from __future__ import annotations

import contextlib
from pathlib import Path

from mllb_lab.errors import LabError, UserError
from mllb_lab.lab.backends.qmp import qmp_execute
from mllb_lab.power.base import PowerDriver, State


class QmpPower(PowerDriver):
    kind = "qmp"

    def __init__(self, host: str, log: Path, socket: Path, lab: str) -> None:
        super().__init__(host, log)
        self.socket = socket
        self.lab = lab

    def execute(self, command: str) -> dict:
        try:
            reply = qmp_execute(self.socket, command)
        except (OSError, ValueError) as exc:
            raise LabError(
                f"QMP {command} on lab '{self.lab}' failed: {exc}", log=self.log
            ) from None
        self.note(f"qmp {command} -> {'error' if 'error' in reply else 'ok'}")
        if "error" in reply:
            raise LabError(f"QMP {command} refused: {reply['error'].get('desc')}", log=self.log)
        return reply

    def on(self) -> None:
        if self.status() == "off":
            raise UserError(
                "on", f"lab '{self.lab}' is powered off", f"mllb-lab up --name {self.lab}"
            )
        if self.execute("query-status")["return"].get("status") == "paused":
            self.execute("cont")

    def off(self) -> None:
        with contextlib.suppress(LabError):  # QEMU may close the socket before it answers
            self.execute("quit")

    def cycle(self) -> None:
        if self.status() == "off":
            raise UserError(
                "cycle", f"lab '{self.lab}' is powered off", f"mllb-lab up --name {self.lab}"
            )
        self.execute("system_reset")
        # A stopped guest (QMP `stop`, a paused or panicked VM) stays stopped after the reset:
        # resume it, or the "cycled" host never boots.
        if not self.execute("query-status")["return"].get("running"):
            self.execute("cont")

    def status(self) -> State:
        if not self.socket.exists():
            return "off"
        try:
            reply = qmp_execute(self.socket, "query-status", timeout=5)
        except (OSError, ValueError):
            return "off"  # no QEMU behind the socket any more
        return "on" if reply.get("return", {}).get("running") else "unknown"
