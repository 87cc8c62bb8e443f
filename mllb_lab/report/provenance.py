"""Where the numbers come from: per group, the hosts, topologies, kernel releases and config
hashes, campaign runs and tool versions of its runs."""

from __future__ import annotations

from collections import defaultdict

from mllb_lab.report.analysis import Analysis, group_of
from mllb_lab.report.load import RunData

FIELDS = ("campaign_run", "host", "topology", "kernel_release", "kernel_config_sha256")


def provenance(runs: list[RunData], a: Analysis) -> dict[str, dict[str, list[str]]]:
    """group -> field -> sorted distinct values (tools as 'name version')."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in runs:
        g = group_of(r, a.group_by)
        for f in FIELDS:
            value = str(r.row.get(f, ""))
            out[g][f].add(value[:16] if f == "kernel_config_sha256" else value)
        for tool, version in sorted(r.row.get("tools", {}).items()):
            out[g]["tools"].add(f"{tool} {version}")
    return {g: {f: sorted(v) for f, v in fs.items()} for g, fs in out.items()}
