"""Reading a tracer output file: header checks, then the records as one numpy array.

Every malformed file becomes a UserError naming the file, what is wrong and what to do.
The records are a zero-copy view (np.frombuffer) of the file's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mllb_lab.capture.layout import (
    FORMAT_VERSION,
    HEADER_DTYPE,
    HEADER_SIZE,
    MAGIC,
    RECORD_DTYPE,
    RECORD_SIZE,
    capability_names,
)
from mllb_lab.errors import UserError


@dataclass(frozen=True)
class CaptureHeader:
    version: int
    record_size: int
    capabilities: list[str]
    nr_cpus: int
    nr_nodes: int
    start_realtime_ns: int
    records: int  # as counted by the tracer at stop (0 if it never stopped cleanly)
    lost: int  # ring buffer reserve failures: events that were NOT recorded
    complete: bool
    lbf_active_lb: int
    kernel_release: str
    attach: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Capture:
    path: Path
    header: CaptureHeader
    records: np.ndarray  # RECORD_DTYPE


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def parse_header(raw: bytes, where: str) -> CaptureHeader:
    if len(raw) < HEADER_SIZE:
        raise UserError(where, f"is {len(raw)} bytes, shorter than the header", _NOT_A_CAPTURE)
    h = np.frombuffer(raw, dtype=HEADER_DTYPE, count=1)[0]
    if bytes(h["magic"]) != MAGIC:
        raise UserError(where, "does not start with the MLLBDEC1 magic", _NOT_A_CAPTURE)
    if int(h["version"]) != FORMAT_VERSION:
        raise UserError(
            where,
            f"has format version {int(h['version'])}, this mllb-lab reads {FORMAT_VERSION}",
            "convert it with the mllb-lab version that built its tracer",
        )
    if int(h["record_size"]) != RECORD_SIZE or int(h["header_size"]) != HEADER_SIZE:
        raise UserError(
            where,
            f"record size {int(h['record_size'])}/header {int(h['header_size'])}, expected "
            f"{RECORD_SIZE}/{HEADER_SIZE}",
            "the tracer and mllb-lab disagree: rebuild the tracer",
        )
    return CaptureHeader(
        version=int(h["version"]),
        record_size=int(h["record_size"]),
        capabilities=capability_names(int(h["capabilities"])),
        nr_cpus=int(h["nr_cpus"]),
        nr_nodes=int(h["nr_nodes"]),
        start_realtime_ns=int(h["start_realtime_ns"]),
        records=int(h["records"]),
        lost=int(h["lost"]),
        complete=bool(h["complete"]),
        lbf_active_lb=int(h["lbf_active_lb"]),
        kernel_release=_text(bytes(h["release"])),
        attach=_text(bytes(h["attach"])),
    )


_NOT_A_CAPTURE = "give a file written by mllb-tracer (bpf/)"


def read_capture(path: Path | str) -> Capture:
    """Header and records of one tracer file; UserError naming the file when it is bad."""
    path = Path(path)
    where = f"capture file {path}"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(where, f"cannot be read ({exc.strerror})", "check the path") from None
    header = parse_header(raw, where)
    body = len(raw) - HEADER_SIZE
    warnings: list[str] = []
    if body % RECORD_SIZE:
        if header.complete:
            raise UserError(
                where,
                f"ends with a partial record ({body % RECORD_SIZE} stray bytes)",
                "the file was damaged after the tracer finished it: capture again",
            )
        # A tracer killed mid-write: keep the whole records, say so.
        warnings.append(f"dropped a partial last record ({body % RECORD_SIZE} bytes)")
    count = body // RECORD_SIZE
    if header.complete and count != header.records:
        raise UserError(
            where,
            f"holds {count} records but its header says {header.records}",
            "the file is truncated or was appended to: capture again",
        )
    if not header.complete:
        warnings.append("the tracer did not stop cleanly: lost-event count unknown")
    records = np.frombuffer(raw, dtype=RECORD_DTYPE, count=count, offset=HEADER_SIZE)
    header = CaptureHeader(**{**header.__dict__, "warnings": warnings})
    return Capture(path=path, header=header, records=records)
