"""Shell helpers: repeat a short benchmark until the run's duration is used up.

hackbench and perf bench finish in well under a second on idle machines; repeating them keeps
the sleep/wake storm going for the whole capture window and yields one timing per repetition.
"""

from __future__ import annotations

import re

NUMBER = r"([0-9]+(?:\.[0-9]+)?)"


def repeat_for(duration: int, command: str) -> str:
    """bash: run `command` again and again until `duration` seconds have passed (at least once)."""
    loop = f"do {command} || exit $?; [ $SECONDS -lt $end ] || break; done"
    return f"end=$((SECONDS+{duration})); while :; {loop}"


def timing_stats(prefix: str, values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        f"{prefix}_runs": float(len(values)),
        f"{prefix}_mean_s": sum(values) / len(values),
        f"{prefix}_min_s": min(values),
        f"{prefix}_max_s": max(values),
    }


def all_numbers(pattern: str, text: str) -> list[float]:
    return [float(v) for v in re.findall(pattern, text)]
