"""--dry-run: the plan as rows (host, run id, workload, params, regime, command)."""

from __future__ import annotations

from typing import Any

from mllb_lab.campaign.kernels import boots
from mllb_lab.campaign.matrix import expand
from mllb_lab.campaign.schema import Campaign
from mllb_lab.workloads import registry
from mllb_lab.workloads.base import Target


def plan_rows(campaign: Campaign, hosts: list[str], facts: dict[str, dict]) -> list[dict[str, Any]]:
    rows = []
    for spec in expand(campaign, hosts):
        row: dict[str, Any] = {
            "host": spec.host,
            "seq": spec.seq,
            "run_id": spec.run_id,
            "kernel": spec.kernel,
            "workload": spec.workload,
            "params": spec.params,
            "duration": spec.duration,
            "capture": spec.capture,
            "repetition": spec.repetition,
            "regime": spec.regime,
            "command": None,
        }
        if spec.host in facts:  # sized only where the host's facts are known already
            params = registry.parse_params(spec.workload, spec.params)
            p = registry.prepare(
                spec.workload, params, Target.from_facts(facts[spec.host]), spec.duration
            )
            row["command"] = p.command
            row["regime"] = spec.regime or p.regime
        rows.append(row)
    return rows


def describe(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        params = " ".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
        head = (
            f"{r['host']:<12} {r['seq']:>3} {r['workload']:<18} {params:<22} rep {r['repetition']}"
        )
        head += f" {r['duration']}s capture={'on' if r['capture'] else 'off'}"
        head += f" regime={r['regime'] or '?'} kernel={r['kernel']}"
        lines.append(head)
        lines.append(f"    $ {r['command'] or '(sized from the host facts at run time)'}")
    entries = {r["kernel"] for r in rows}
    if len(entries) > 1:  # a kernel axis: say what the interleaving costs in boots
        per_host: dict[str, list[str]] = {}
        for r in rows:
            per_host.setdefault(r["host"], []).append(r["kernel"].split(":")[0])
        n = max(boots(seq) for seq in per_host.values())
        lines.append(f"{len(entries)} kernel entries, {n} boot(s) per host (the first included)")
    return "\n".join(lines)
