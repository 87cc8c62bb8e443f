"""mllb_lab.stats against independent computations: textbook formulas, exact enumeration,
and a coverage experiment (no expected numbers typed in by hand)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from mllb_lab.stats.compare import compare, mannwhitney_p, marker, welch_p
from mllb_lab.stats.direction import direction
from mllb_lab.stats.geomean import geomean_of_ratios
from mllb_lab.stats.summary import median_ci, summarize

RNG = np.random.default_rng(7)
A = RNG.normal(10.0, 1.0, 12)
B = RNG.normal(11.5, 2.0, 9)


def test_mean_ci_is_the_t_interval() -> None:
    s = summarize(A)
    n = len(A)
    sem = math.sqrt(sum((x - A.mean()) ** 2 for x in A) / (n - 1)) / math.sqrt(n)
    lo, hi = sps.t.interval(0.95, n - 1, loc=A.mean(), scale=sem)
    assert s.mean_ci == pytest.approx((lo, hi), rel=1e-12)
    ordered = sorted(A)
    assert s.median == pytest.approx((ordered[n // 2 - 1] + ordered[n // 2]) / 2)


def test_welch_p_matches_the_welch_satterthwaite_formula() -> None:
    va, vb = A.var(ddof=1) / len(A), B.var(ddof=1) / len(B)
    t = (A.mean() - B.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(A) - 1) + vb**2 / (len(B) - 1))
    assert welch_p(A, B) == pytest.approx(2 * sps.t.sf(abs(t), df), rel=1e-10)


def test_mann_whitney_p_matches_exact_enumeration() -> None:
    a, b = np.array([1.1, 2.3, 2.9, 4.0, 5.2]), np.array([3.1, 4.4, 6.0, 7.5])
    pooled = np.concatenate([a, b])
    ranks = sps.rankdata(pooled)
    u_obs = ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2
    us = [
        sum(ranks[list(c)]) - len(a) * (len(a) + 1) / 2
        for c in itertools.combinations(range(len(pooled)), len(a))
    ]
    mu = len(a) * len(b) / 2
    extreme = sum(1 for u in us if abs(u - mu) >= abs(u_obs - mu) - 1e-12)
    assert mannwhitney_p(a, b) == pytest.approx(extreme / len(us), rel=1e-9)


def test_median_ci_is_seeded_and_covers_the_true_median() -> None:
    x = RNG.normal(0, 1, 30)
    assert median_ci(x) == median_ci(x)  # the same sample always gives the same interval
    rng = np.random.default_rng(11)
    hits = 0
    trials = 200
    for _ in range(trials):
        lo, hi = median_ci(rng.normal(5.0, 2.0, 31), resamples=500)
        hits += lo <= 5.0 <= hi
    assert 0.88 <= hits / trials <= 0.995


def test_verdicts_follow_direction_significance_and_noise() -> None:
    slow = A * 1.3  # 30% slower on a lower-is-better metric
    c = compare("hackbench_s", "lower", A, slow)
    assert c.verdict == "worse" and c.marker.startswith("*")
    assert c.ratio == pytest.approx(slow.mean() / A.mean())
    assert compare("ops_per_s", "higher", A, slow).verdict == "better"
    # significant but inside the noise threshold: not flagged
    steady = 100 + RNG.normal(0, 0.05, 10)  # low noise, so a 1% change is significant
    tiny = steady * 1.01
    assert compare("x_s", "lower", steady, tiny, noise=0.05).verdict == "same"
    assert compare("x_s", "lower", steady, tiny, noise=0.0).verdict == "worse"
    assert compare("x_s", "lower", [1.0], [2.0]).verdict == "untested"
    assert marker(0.0005) == "***" and marker(0.004) == "**" and marker(0.2) == ""


def test_geomean_of_ratios_orients_lower_is_better() -> None:
    c1 = compare("a_s", "lower", [2.0, 2.0], [1.0, 1.0])  # twice as fast: 2
    c2 = compare("b_per_s", "higher", [4.0, 4.0], [2.0, 2.0])  # half the rate: 0.5
    c3 = compare("c_per_s", "higher", [1.0, 1.0], [3.0, 3.0])  # 3
    assert geomean_of_ratios([c1, c2, c3]) == pytest.approx((2 * 0.5 * 3) ** (1 / 3))


def test_direction_by_name() -> None:
    assert direction("can_migrate_task_latency_ns_mean") == "lower"
    assert direction("sysbench_events_per_s") == "higher"
    assert direction("cpu_bogo_ops") == "higher"
    assert direction("fibo_total_s") == "lower"
    assert direction("lb_migrations_per_s") == "lower"
    assert direction("can_migrate_task_latency_ns_p99") == "lower"
    assert direction("exit_code") is None
    assert direction("can_migrate_task_calls") is None
