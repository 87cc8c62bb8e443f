"""The campaign file: pydantic models with extra="forbid", errors as one line naming the field.

name: smoke
targets: {lab: smoke}          # or {group: xeons} with --inventory FILE
kernel: stock                  # or a kernel release the targets must be running
kernels: [toggle-fixed:off, replace-fixed]   # or: a lab boots each in turn (campaign/kernels.py)
model: model.blob              # exported blob, loaded with mllb.ko after each JC_SCHED boot
benchmetrics: true             # roles/benchmetrics around every workload
agreement: true                # JC_SCHED kernels: ML-vs-CFS counters per run (roles/agreement)
recover: true                  # power-cycle a host that hangs, retry its run (default)
capture: true                  # default for every workload
duration: 20                   # seconds, default for every workload
repetitions: 1
seed: 1                        # shuffles run order within a repetition, recorded per run
workloads:
  - name: stress-cpu
    params: {load: [50, 100, 200]}   # lists expand into the matrix
    duration: 15
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mllb_lab import yamlfile
from mllb_lab.campaign import kernels as kernel_axis
from mllb_lab.errors import UserError
from mllb_lab.lab.state import NAME_RE
from mllb_lab.workloads import registry

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,40}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(Strict):
    lab: str | None = None
    group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]+$")

    @field_validator("lab")
    @classmethod
    def lab_name(cls, value: str | None) -> str | None:
        if value is not None and not NAME_RE.match(value):
            raise ValueError("not a lab name (lowercase letters, digits, '-')")
        return value

    @model_validator(mode="after")
    def one_kind(self) -> Targets:
        if self.lab and self.group:
            raise ValueError("give either lab or group, not both")
        return self


class WorkloadEntry(Strict):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    duration: int | None = Field(default=None, gt=0, le=86400)
    capture: bool | None = None
    regime: str | None = Field(default=None, pattern=NAME_PATTERN)

    @field_validator("name")
    @classmethod
    def known(cls, value: str) -> str:
        if value not in registry.WORKLOADS:
            raise ValueError(f"unknown workload '{value}' (known: {', '.join(registry.names())})")
        return value

    def combinations(self) -> list[dict[str, Any]]:
        """Lists in params expand (cartesian product, in key order) into one dict each."""
        keys = sorted(self.params)
        values = [v if isinstance(v, list) else [v] for v in (self.params[k] for k in keys)]
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def kernel_text(text: str) -> str:
    kernel_axis.parse(text)  # ValueError names what is wrong
    return text


KernelText = Annotated[str, AfterValidator(kernel_text)]


class Campaign(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    targets: Targets = Field(default_factory=Targets)
    kernel: str = Field(default="stock", pattern=r"^[A-Za-z0-9._+-]+$")
    capture: bool = True
    duration: int = Field(default=30, gt=0, le=86400)
    timeout_margin: int = Field(default=120, ge=0, le=86400)
    repetitions: int = Field(default=1, ge=1, le=1000)
    seed: int = Field(default=0, ge=0)
    max_attempts: int = Field(default=3, ge=1, le=100)
    workloads: list[WorkloadEntry] = Field(min_length=1)
    # The kernel axis (issue 6): a lab boots each entry in turn, repetitions interleaved.
    kernels: list[KernelText] | None = Field(default=None, min_length=1)
    model: str | None = None  # a blob from `mllb-lab export --format blob`
    benchmetrics: bool = False  # roles/benchmetrics around each run's workload
    agreement: bool = False  # roles/agreement: TEST mode on, counters read around the workload
    # A host that stops answering is power-cycled and its run retried (campaign/recovery.py).
    recover: bool = True

    @field_validator("kernels")
    @classmethod
    def no_twice(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("an entry is listed twice")
        return value

    def kernel_entries(self) -> list[kernel_axis.KernelEntry]:
        """The kernel axis: the `kernels` entries, or the single `kernel` (booted by nobody)."""
        if self.kernels is None:
            return [kernel_axis.KernelEntry(self.kernel, self.kernel, None)]
        return [kernel_axis.parse(t) for t in self.kernels]


def field_path(loc: tuple[int | str, ...]) -> str:
    """('workloads', 1, 'duration') -> 'workloads[1].duration'"""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def problem_of(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (misspelled?)"
    if kind == "missing":
        return "required"
    msg = str(error.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def user_error(source: str, exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> UserError:
    first = exc.errors()[0]
    loc = prefix + tuple(p for p in first["loc"] if not str(p).startswith("function-"))
    return UserError(f"{source}: {field_path(loc)}", problem_of(first), "see docs/campaigns.md")


def load(path: Path) -> tuple[Campaign, str]:
    """Read and validate a campaign file; returns it and the sha256 of its bytes."""
    if not path.is_file():
        raise UserError("FILE", f"{path} does not exist", "give a campaign YAML file")
    raw = path.read_bytes()
    data = yamlfile.parse(raw, str(path))
    if not isinstance(data, dict):
        raise UserError(str(path), "not a mapping", "start with 'name:' and 'workloads:'")
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        raise user_error(str(path), exc) from None
    check_params(str(path), campaign)
    check_kernel_axis(str(path), campaign, path.parent)
    return campaign, hashlib.sha256(raw).hexdigest()


def model_path(campaign: Campaign, folder: Path) -> Path | None:
    """`model:` relative to the campaign file's folder (absolute paths as they are)."""
    if campaign.model is None:
        return None
    return (folder / Path(campaign.model).expanduser()).resolve()


def check_kernel_axis(source: str, campaign: Campaign, folder: Path) -> None:
    """kernel and kernels exclude each other; kernels under which a model decides need one; a
    named model must exist."""
    if campaign.kernels is not None and campaign.kernel != "stock":
        raise UserError(
            f"{source}: kernels",
            "given together with kernel (a release the hosts must already run)",
            "keep one: kernels (booted in turn) or kernel",
        )
    path = model_path(campaign, folder)
    if path is not None and not path.is_file():
        raise UserError(
            f"{source}: model",
            f"{path} does not exist",
            "export one with mllb-lab export MODEL_DIR --format blob",
        )
    if path is None and campaign.kernels is not None:
        for i, entry in enumerate(campaign.kernel_entries()):
            if entry.model_decides:
                raise UserError(
                    f"{source}: kernels[{i}]",
                    f"{entry.text} decides with a model, but the campaign names none",
                    "add model: PATH (mllb-lab export MODEL_DIR --format blob)",
                )


def check_params(source: str, campaign: Campaign) -> None:
    """Each expanded parameter set must pass the workload's own schema."""
    for i, entry in enumerate(campaign.workloads):
        for combo in entry.combinations():
            try:
                registry.parse_params(entry.name, combo)
            except ValidationError as exc:
                raise user_error(source, exc, ("workloads", i, "params")) from None
