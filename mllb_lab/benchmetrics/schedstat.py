"""Load-balancer migrations from /proc/schedstat (version 15), before and after a run.

Each `domainN <mask> ...` line holds 8 load_balance() counters per idle type (CPU_IDLE,
CPU_NOT_IDLE, CPU_NEWLY_IDLE), then alb_count, alb_failed, alb_pushed, ... lb_gained (the
tasks pulled) is the 5th counter of each group; alb_pushed counts active-balance pushes.
"""

from __future__ import annotations

LB_GROUP = 8
LB_GAINED = 4
IDLE_TYPES = 3
ALB_PUSHED = IDLE_TYPES * LB_GROUP + 2


def migrations(text: str) -> dict[str, int]:
    """{'lb_calls', 'lb_migrations', 'alb_pushed'} summed over every CPU's domains."""
    out = {"lb_calls": 0, "lb_migrations": 0, "alb_pushed": 0}
    for line in text.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("domain"):
            continue
        counters = [int(v) for v in parts[2:]]
        if len(counters) <= ALB_PUSHED:
            continue  # a format this parser does not know: count nothing rather than guess
        for t in range(IDLE_TYPES):
            out["lb_calls"] += counters[t * LB_GROUP]
            out["lb_migrations"] += counters[t * LB_GROUP + LB_GAINED]
        out["alb_pushed"] += counters[ALB_PUSHED]
    return out


def version(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("version "):
            return int(line.split()[1])
    return None


def delta(before: str, after: str) -> dict[str, int]:
    a, b = migrations(before), migrations(after)
    return {k: b[k] - a[k] for k in a}
