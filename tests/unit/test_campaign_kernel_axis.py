"""The kernel axis of a campaign: entries, interleaved order with few boots, schema errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.campaign import kernels, schema
from mllb_lab.campaign.kernel_switch import KernelSwitch, check_lab
from mllb_lab.campaign.matrix import expand
from mllb_lab.errors import UserError
from mllb_lab.progress import Progress

REPO = Path(__file__).resolve().parents[2]
BASE = """\
name: k
targets: {lab: nolab}
capture: false
benchmetrics: true
repetitions: 3
workloads:
  - name: hackbench
  - name: stress-cpu
    params: {load: [50, 100]}
"""


def write(tmp_path: Path, text: str, blob: bool = True) -> Path:
    if blob:
        (tmp_path / "model.blob").write_bytes(b"not parsed by the schema")
    path = tmp_path / "c.yml"
    path.write_text(text)
    return path


def test_entries_parse_boot_kernel_and_switch() -> None:
    assert kernels.parse("stock") == kernels.KernelEntry("stock", "stock", None)
    on = kernels.parse("toggle-fixed:on")
    assert (on.boot, on.sched_mllb, on.model_decides) == ("toggle-fixed", 1, True)
    assert not kernels.parse("toggle-fixed:off").model_decides
    assert kernels.parse("replace-float-debug").model_decides  # REPLACE ignores the switch
    assert not kernels.parse("test-fixed").model_decides


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("replace-fixd", "neither stock nor a kernel variant"),
        ("toggle-fixed:maybe", "must be on or off"),
        ("stock:on", "stock kernel has no kernel.sched_mllb"),
    ],
)
def test_bad_entries_say_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        kernels.parse(text)


def test_repetitions_interleave_and_share_boots(tmp_path: Path) -> None:
    text = BASE + "model: model.blob\nkernels: [toggle-fixed:off, replace-fixed, toggle-fixed:on]\n"
    campaign, _ = schema.load(write(tmp_path, text))
    runs = expand(campaign, ["h"])
    assert len(runs) == 3 * 3 * 3 and len({r.run_id for r in runs}) == len(runs)
    assert [r.seq for r in runs] == list(range(len(runs)))
    # every repetition visits every kernel entry, the same workload order on each
    for rep in (1, 2, 3):
        of_rep = [r for r in runs if r.repetition == rep]
        assert {r.kernel for r in of_rep} == set(campaign.kernels or [])
        orders = {
            k: [(r.workload, str(r.params)) for r in of_rep if r.kernel == k]
            for k in {r.kernel for r in of_rep}
        }
        assert len({tuple(o) for o in orders.values()}) == 1
    # toggle on/off stay together (one boot); direction alternates: 3 reps x 1 switch + 1
    sequence = [kernels.parse(r.kernel).boot for r in runs]
    assert kernels.boots(sequence) == 3 * (2 - 1) + 1
    firsts = [next(r.kernel for r in runs if r.repetition == rep) for rep in (1, 2, 3)]
    assert firsts == ["toggle-fixed:off", "replace-fixed", "toggle-fixed:off"]


def test_without_kernels_the_runs_are_unchanged(tmp_path: Path) -> None:
    """Run ids of single-kernel campaigns stay what they were (resume of older ledgers)."""
    campaign, _ = schema.load(write(tmp_path, BASE))
    runs = expand(campaign, ["h"])
    assert {r.kernel for r in runs} == {"stock"} and len(runs) == 9
    assert campaign.benchmetrics and campaign.kernel_entries()[0].text == "stock"


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ("kernels: [stock, replace-fixd]\n", "kernels[1]", "neither stock nor a kernel variant"),
        ("kernels: [stock, stock]\n", "kernels", "listed twice"),
        ("kernels: []\n", "kernels", "at least 1"),
        ("kernel: 6.1.0-21-amd64\nkernels: [stock]\n", "kernels", "together with kernel"),
        ("kernels: [stock, toggle-fixed:on]\n", "kernels[1]", "campaign names none"),
        ("kernels: [replace-float]\n", "kernels[0]", "campaign names none"),
        ("model: missing.blob\nkernels: [replace-fixed]\n", "model", "does not exist"),
        ("benchmetrics: sometimes\n", "benchmetrics", "valid boolean"),
    ],
)
def test_bad_kernel_axis_names_the_field(
    tmp_path: Path, extra: str, field: str, problem: str
) -> None:
    with pytest.raises(UserError) as exc:
        schema.load(write(tmp_path, BASE + extra, blob=False))
    assert exc.value.field.endswith(f"c.yml: {field}"), exc.value.field
    assert problem in exc.value.problem


def test_model_is_found_next_to_the_campaign_file(tmp_path: Path) -> None:
    campaign, _ = schema.load(
        write(tmp_path, BASE + "model: model.blob\nkernels: [replace-fixed]\n")
    )
    assert schema.model_path(campaign, tmp_path) == (tmp_path / "model.blob").resolve()


def test_cli_exit_2_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "kernels: [stock, toggle-fixed:on]\n", blob=False)
    proc = subprocess.run(
        [sys.executable, "-m", "mllb_lab", "campaign", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "kernels[1]" in proc.stderr, proc.stderr


def test_shipped_bench_campaign(tmp_path: Path) -> None:
    """campaigns/bench.yml: the paper's four kernels, 3 boot kernels, 5 interleaved reps."""
    text = (REPO / "campaigns" / "bench.yml").read_text()
    campaign, _ = schema.load(write(tmp_path, text))
    assert campaign.benchmetrics and not campaign.capture
    runs = expand(campaign, ["h"])
    assert kernels.boots([kernels.parse(r.kernel).boot for r in runs]) == 5 * (3 - 1) + 1
    with pytest.raises(UserError, match="model"):  # shipped without a model: say how to get one
        schema.load(REPO / "campaigns" / "bench.yml")


def test_unbuilt_variant_and_non_lab_targets_are_refused_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path / "cache"))  # no builds in it
    monkeypatch.setenv("MLLB_LAB_HOME", str(tmp_path / "labs"))
    entries = [kernels.parse("stock"), kernels.parse("replace-fixed")]
    with pytest.raises(UserError) as exc:
        KernelSwitch.prepare("lab", entries, None, Progress(quiet=True))
    assert exc.value.field == "kernels[1]" and "not built" in exc.value.problem
    assert exc.value.fix == "run: mllb-lab kernel build --source 6.1 --mode replace --fixed-point"
    with pytest.raises(UserError, match="QEMU or libvirt lab"):
        check_lab("nolab", "kernels")
