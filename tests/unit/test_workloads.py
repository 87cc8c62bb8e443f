"""Workloads: scaling to the target's CPUs and nodes, and parsers on real captured outputs
(tests/unit/data/workloads/, produced by running the real tools; see its README)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from mllb_lab.workloads import fibo, kbuild, registry
from mllb_lab.workloads.base import Target
from mllb_lab.workloads.cpuload import cpu_usage_metrics, with_cpu_usage

DATA = Path(__file__).parent / "data" / "workloads"
PAPER = Target(cpus=56, nodes=(tuple(range(28)), tuple(range(28, 56))))
SMALL = Target(cpus=8, nodes=((0, 1, 2, 3), (4, 5, 6, 7)))


def cmd(name: str, target: Target, duration: int = 10, **params: object) -> str:
    return registry.prepare(name, registry.parse_params(name, params), target, duration).command


def regime(name: str, target: Target, **params: object) -> str:
    return registry.prepare(name, registry.parse_params(name, params), target, 10).regime


def test_paper_stressor_levels_map_to_the_paper_regimes() -> None:
    # 30/60/120 stressors on 56 CPUs are the paper's ~50/100/200% load.
    for count, expected in ((30, "load50"), (60, "load100"), (120, "load200")):
        assert f"--cpu {count} " in cmd("stress-cpu", PAPER, stressors=count)
        assert regime("stress-cpu", PAPER, stressors=count) == expected


def test_load_scales_with_the_target() -> None:
    assert "--cpu 4 " in cmd("stress-cpu", SMALL, load=50)
    assert "--cpu 16 " in cmd("stress-cpu", SMALL, load=200)
    assert "--cpu 112 " in cmd("stress-oversub", PAPER)
    assert regime("stress-oversub", SMALL) == "load200"
    assert "-g 14 " in cmd("hackbench", PAPER) and "-g 2 " in cmd("hackbench", SMALL)
    assert "-t 56 " in cmd("fibo", PAPER) and "--threads=8 " in cmd("sysbench", SMALL)


def test_duty_cycle_makes_a_bursty_regime() -> None:
    assert "--cpu-load 40" in cmd("stress-cpu", SMALL, cpu_load=40)
    assert regime("stress-cpu", SMALL, cpu_load=40) == "bursty"
    assert regime("idle", SMALL) == "idle"


def test_matrix_is_pinned_to_one_node_and_sized_by_it() -> None:
    c = cmd("stress-matrix-node", PAPER, node=1)
    assert c.startswith("numactl --cpunodebind=1 --membind=1 ")
    assert "--matrix 28 " in c


def test_duration_reaches_every_command() -> None:
    for name in registry.names():
        assert "37" in cmd(name, SMALL, duration=37), name


def test_unknown_or_bad_params_are_refused() -> None:
    with pytest.raises(ValidationError):
        registry.parse_params("stress-cpu", {"stresors": 3})
    with pytest.raises(ValidationError):
        registry.parse_params("hackbench", {"loops": 0})
    with pytest.raises(ValidationError):
        registry.parse_params("stress-oversub", {"load": 100})  # not oversubscribed


def test_every_family_has_a_bursty_or_idle_load_beside_steady_hogs() -> None:
    regimes = {regime(n, SMALL) for n in registry.names()}
    assert {"idle", "bursty", "load100", "load200"} <= regimes


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_stress_ng_parser_on_real_output() -> None:
    m = registry.parse_output("stress-cpu", read("stress-cpu.txt"))
    assert m["cpu_bogo_ops"] > 0 and m["cpu_bogo_ops_per_s"] > 0
    assert m["completed_s"] == pytest.approx(2.0, abs=1.0)
    mixed = registry.parse_output("stress-mixed", read("stress-mixed.txt"))
    for stressor in ("cpu", "vm", "switch", "seek"):
        assert mixed[f"{stressor}_bogo_ops"] > 0, stressor
    storm = registry.parse_output("forkstorm", read("forkstorm.txt"))
    assert storm["fork_bogo_ops"] > 0 and storm["switch_bogo_ops"] > 0
    numa = registry.parse_output("stress-numa", read("stress-numa.txt"))
    assert "vm_bogo_ops" in numa


def test_hackbench_and_perf_bench_parsers_on_real_output() -> None:
    text = read("hackbench.txt")
    m = registry.parse_output("hackbench", text)
    assert m["hackbench_runs"] == text.count("Time:") > 1
    assert 0 < m["hackbench_min_s"] <= m["hackbench_mean_s"] <= m["hackbench_max_s"]
    p = registry.parse_output("perf-bench", read("perf-bench.txt"))
    assert p["perf_bench_runs"] > 1 and p["perf_bench_mean_s"] > 0


def test_sysbench_parser_on_real_output() -> None:
    m = registry.parse_output("sysbench", read("sysbench.txt"))
    assert m["sysbench_events"] > 0 and m["sysbench_total_time_s"] > 1
    assert m["sysbench_latency_min_ms"] <= m["sysbench_latency_avg_ms"]
    assert "sysbench_events_per_s" not in m  # the threads test does not print it
    cpu = registry.parse_output("sysbench", read("sysbench-cpu.txt"))
    assert cpu["sysbench_events_per_s"] > 0


def test_idle_parser_and_empty_output() -> None:
    assert "loadavg_1m" in registry.parse_output("idle", read("idle.txt"))
    assert registry.parse_output("stress-cpu", "") == {}


def test_fibo_builds_statically_and_its_output_parses(tmp_path: Path) -> None:
    binary = fibo.build(cache=tmp_path)
    assert fibo.build(cache=tmp_path) == binary  # cached by the source's content
    file_out = subprocess.run(["file", str(binary)], capture_output=True, text=True).stdout
    assert "statically linked" in file_out
    out = subprocess.run([str(binary), "-t", "3", "-n", "20", "-r", "2"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    m = registry.parse_output("fibo", out)
    assert m["fibo_round_runs"] == 2 and m["fibo_total_s"] > 0
    assert "threads=3 n=20" in out and "result=6765" in out  # fib(20)
    bad = subprocess.run([str(binary), "-n", "99"], capture_output=True, text=True)
    assert bad.returncode == 2 and "-n must be" in bad.stderr
    golden = registry.parse_output("fibo", read("fibo.txt"))
    assert golden["fibo_round_runs"] == read("fibo.txt").count("round=")


def test_kbuild_runner_compiles_in_rounds_until_the_duration(tmp_path: Path) -> None:
    """workloads/kbuild/run.sh for real (bash, gcc, timeout) on a tree of three tiny objects,
    one of which does not compile: rounds repeat until the duration, failures are counted."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.c").write_text(f"int {name}(int x) {{ return x * 3; }}\n")
    (tmp_path / "bad.c").write_text("this is not C\n")
    commands = [f"gcc -O2 -c -o {n}.o {n}.c" for n in ("a", "b", "bad")]
    (tmp_path / "commands.txt").write_text("\n".join(commands) + "\n")
    runner = Path(kbuild.__file__).resolve().parents[2] / kbuild.RUNNER
    out = subprocess.run(["bash", str(runner), str(tmp_path), "2", "3"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    m = registry.parse_output("kbuild", out)
    assert m["kbuild_rounds"] >= 2 and m["kbuild_objects"] >= 2 * m["kbuild_rounds"] - 2
    assert m["kbuild_failed"] >= m["kbuild_rounds"] - 1 and m["kbuild_failed"] >= 1
    assert m["kbuild_objects_per_s"] > 0 and m["kbuild_obj_mean_s"] > 0
    assert (tmp_path / "a.o").is_file() and "bad.c" in (tmp_path / "kbuild.err").read_text()


def test_kbuild_parser_counts_cut_compiles_apart() -> None:
    text = "kbuild_obj rc=0 seconds=1.5\nkbuild_obj rc=124 seconds=9\nkbuild_obj rc=0 seconds=2.5\n"
    m = registry.parse_output("kbuild", text + "kbuild_done rounds=1 elapsed=10\n")
    assert m == {
        "kbuild_objects": 2.0,
        "kbuild_failed": 0.0,
        "kbuild_cut": 1.0,
        "kbuild_obj_mean_s": 2.0,
        "kbuild_rounds": 1.0,
        "kbuild_objects_per_s": 0.2,
    }


def test_wakeups_are_unpinned_timer_tasks_in_the_idle_regime() -> None:
    c = cmd("wakeups", PAPER, duration=45)
    assert c.count("python3 -c ") == 1 and " 112 20000 500 45 " in c  # 2 per CPU, 20 ms, 0.5 ms
    assert "taskset" not in c and "sched_setaffinity" not in c  # balancing needs unpinned tasks
    assert " 3 10000 200 45 " in cmd("wakeups", SMALL, 45, tasks=3, interval_us=10000, busy_us=200)
    assert " 8 " in cmd("wakeups", SMALL, per_cpu=1)
    assert regime("wakeups", PAPER) == "idle"
    with pytest.raises(ValidationError):
        registry.parse_params("wakeups", {"interval_us": 10})  # a 10 us timer is a CPU hog


def test_wakeups_program_runs_here_and_wakes_every_task() -> None:
    # The real program on this host: 3 tasks, 50 ms period, 1 s.
    c = cmd("wakeups", SMALL, 1, tasks=3, interval_us=50_000, busy_us=100)
    run = subprocess.run(["bash", "-c", c], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    m = registry.parse_output("wakeups", run.stdout)
    assert m["tasks"] == 3 and m["tasks_failed"] == 0
    assert 10 <= m["wakeups_min_per_task"] <= 21 and m["wakeups"] >= 30  # ~20 periods in 1 s


def test_wakeups_and_idle_report_the_load_they_caused() -> None:
    m = registry.parse_output("wakeups", read("wakeups.txt"))
    assert m["wakeups"] == 4 * m["wakeups_min_per_task"] and m["tasks"] == 4
    assert 0 <= m["cpu_busy_pct"] <= 100 and m["loadavg_1m"] >= 0
    idle = registry.parse_output("idle", read("idle.txt"))
    assert 0 <= idle["cpu_busy_pct"] <= 100 and "loadavg_1m" in idle


def test_cpu_usage_wrapper_keeps_the_exit_status_and_measures_the_interval() -> None:
    run = subprocess.run(["bash", "-c", with_cpu_usage("exit 3")], capture_output=True, text=True)
    assert run.returncode == 3 and run.stdout.count("cpustat=") == 2
    text = "cpustat=100 1000\nnoise\ncpustat=150 1200\nloadavg=0.25\n"
    assert cpu_usage_metrics(text) == {"cpu_busy_pct": 25.0, "loadavg_1m": 0.25}
    assert cpu_usage_metrics("cpustat=1 2\n") == {}  # one snapshot: no interval
