"""The agreement harvest (issue 5; roles/agreement): what a run's agreement.json adds to its
metrics, so `results list` and reports see ML-vs-CFS agreement next to the workload's figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mllb_lab.errors import LabError

FILE = "agreement.json"
CELLS = ("cfs0_ml0", "cfs0_ml1", "cfs1_ml0", "cfs1_ml1", "no_model")


def metrics_of(artifacts: Path) -> dict[str, Any]:
    """agreement, agreement_decisions and one agreement_<cell> per counter; {} without a
    harvest. A harvest file that cannot be read fails the run (it was asked for)."""
    path = artifacts / FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        counters = {c: int(data["counters"][c]) for c in CELLS}
        decisions = int(data["decisions"])
    except (ValueError, KeyError, TypeError) as exc:
        raise LabError(f"unreadable agreement harvest ({exc})", log=path) from None
    agree = counters["cfs0_ml0"] + counters["cfs1_ml1"]
    return {
        "agreement": agree / decisions if decisions else None,
        "agreement_decisions": decisions,
        "agreement_mode": str(data.get("mode", "unknown")),
        **{f"agreement_{c}": v for c, v in counters.items()},
    }
