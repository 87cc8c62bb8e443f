"""The two kinds of failure users see, and their exit codes.

UserError: the input is wrong (exit 2); the message names the field and the fix.
LabError: the infrastructure failed (exit 3); the message says what, and where its log is.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_USER = 2
EXIT_LAB = 3
EXIT_INTERRUPTED = 130


class MllbError(Exception):
    exit_code = 1


class UserError(MllbError):
    """Bad input. `field` names what was wrong, e.g. '--topology' or 'workloads[2].duration'."""

    exit_code = EXIT_USER

    def __init__(self, field: str, problem: str, fix: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        text = f"{field}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class LabError(MllbError):
    """Infrastructure failure: a process died, a guest did not answer, a command failed."""

    exit_code = EXIT_LAB

    def __init__(self, what: str, log: Path | str | None = None) -> None:
        self.what = what
        self.log = Path(log) if log else None
        text = what if self.log is None else f"{what} (log: {self.log})"
        super().__init__(text)
