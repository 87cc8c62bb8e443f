"""The power interface every driver implements, and its action log (never holding secrets)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

State = Literal["on", "off", "unknown"]
ACTIONS = ("on", "off", "cycle", "status")


class PowerDriver(ABC):
    """One host's power. Actions raise LabError when the host or its controller fails."""

    kind: str = ""

    def __init__(self, host: str, log: Path) -> None:
        self.host = host
        self.log = log

    @abstractmethod
    def on(self) -> None: ...

    @abstractmethod
    def off(self) -> None: ...

    @abstractmethod
    def cycle(self) -> None: ...

    @abstractmethod
    def status(self) -> State: ...

    def run(self, action: str) -> State:
        """Do `action`, then report the state (what the CLI and the safe-boot path call)."""
        if action != "status":
            getattr(self, action)()
        state = self.status()
        self.note(f"{action}: now {state}")
        return state

    def note(self, text: str) -> None:
        """Append to the power log. Callers pass only secret-free text (argv without
        passwords, outputs scrubbed of them)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with self.log.open("a") as fh:
            fh.write(f"{stamp} {self.kind} {self.host} {text}\n")
