"""Matrix expansion, ledger transitions and what a resumed campaign still has to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mllb_lab.campaign.ledger import Ledger, TransitionError
from mllb_lab.campaign.matrix import duplicates, expand
from mllb_lab.campaign.schema import Campaign


def campaign(**over: object) -> Campaign:
    data = {
        "name": "m",
        "duration": 5,
        "repetitions": 2,
        "seed": 7,
        "workloads": [
            {"name": "idle", "capture": False},
            {"name": "stress-cpu", "params": {"load": [50, 100, 200]}, "duration": 3},
            {"name": "hackbench", "params": {"mode": ["process", "threads"], "loops": 5}},
        ],
    }
    return Campaign.model_validate({**data, **over})


def test_matrix_is_the_full_product() -> None:
    runs = expand(campaign(), ["h1", "h2"])
    assert len(runs) == 2 * 2 * (1 + 3 + 2)  # hosts x repetitions x variants
    assert not duplicates(runs)
    h1 = [r for r in runs if r.host == "h1"]
    assert [r.seq for r in h1] == list(range(12))
    loads = sorted(r.params["load"] for r in h1 if r.workload == "stress-cpu")
    assert loads == [50, 50, 100, 100, 200, 200]
    by_name = {r.workload: r for r in h1}
    assert by_name["stress-cpu"].duration == 3 and by_name["idle"].duration == 5
    assert not by_name["idle"].capture and by_name["hackbench"].capture
    assert {r.params["loops"] for r in h1 if r.workload == "hackbench"} == {5}


def test_ids_are_stable_and_order_follows_the_seed() -> None:
    a, b = expand(campaign(), ["h1"]), expand(campaign(), ["h1"])
    assert [r.run_id for r in a] == [r.run_id for r in b]
    other = expand(campaign(seed=8), ["h1"])
    assert {r.run_id for r in other} == {r.run_id for r in a}  # same runs...
    assert [r.run_id for r in other] != [r.run_id for r in a]  # ...in another order
    rep1 = [r.workload + str(r.params) for r in a if r.repetition == 1]
    rep2 = [r.workload + str(r.params) for r in a if r.repetition == 2]
    assert sorted(rep1) == sorted(rep2)


def test_same_workload_listed_twice_is_a_duplicate() -> None:
    c = campaign(workloads=[{"name": "idle"}, {"name": "idle"}], repetitions=1)
    assert len(duplicates(expand(c, ["h"]))) == 1


def ledger_with(tmp_path: Path) -> tuple[Ledger, list[str]]:
    runs = expand(campaign(repetitions=1), ["h1"])
    ledger = Ledger(tmp_path / "ledger.sqlite")
    assert ledger.plan(runs) == len(runs)
    assert ledger.plan(runs) == 0  # planning again adds nothing and keeps states
    return ledger, [r.run_id for r in runs]


def test_transitions(tmp_path: Path) -> None:
    ledger, ids = ledger_with(tmp_path)
    ledger.move(ids[0], "running")
    ledger.move(ids[0], "fetched")
    ledger.move(ids[0], "ingested")
    with pytest.raises(TransitionError):
        ledger.move(ids[0], "running")  # done is done
    with pytest.raises(TransitionError):
        ledger.move(ids[1], "ingested")  # planned cannot skip running
    ledger.move(ids[1], "running")
    ledger.move(ids[1], "failed", "unreachable")
    ledger.move(ids[1], "running")
    entry = {e.run_id: e for e in ledger.entries()}[ids[1]]
    assert (entry.state, entry.attempts) == ("running", 2)
    assert ledger.counts()["ingested"] == 1


def test_resume_selection(tmp_path: Path) -> None:
    ledger, ids = ledger_with(tmp_path)
    ledger.move(ids[0], "running")
    ledger.move(ids[0], "fetched")
    ledger.move(ids[0], "ingested")  # done: never again
    ledger.move(ids[1], "running")  # killed mid-run: again
    ledger.move(ids[2], "running")
    ledger.move(ids[2], "fetched")  # fetched, not ingested: ingest again
    for _ in range(3):  # failed three times: given up at max_attempts 3
        ledger.move(ids[3], "running")
        ledger.move(ids[3], "failed", "boom")
    ledger.move(ids[4], "running")
    ledger.move(ids[4], "failed", "ssh drop")  # failed once: retried
    pending = {e.run_id for e in ledger.pending(max_attempts=3)}
    assert pending == {ids[1], ids[2], ids[4], *ids[5:]}
    assert ids[3] in {e.run_id for e in ledger.pending(max_attempts=4)}


def test_state_survives_kill_9(tmp_path: Path) -> None:
    """A process that commits a transition and is then SIGKILLed leaves it committed."""
    ledger, ids = ledger_with(tmp_path)
    ledger.close()
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from mllb_lab.campaign.ledger import Ledger\n"
        "l = Ledger(Path(sys.argv[1]))\n"
        "l.move(sys.argv[2], 'running')\n"
        "l.db.execute('BEGIN IMMEDIATE')\n"  # an open transaction must not survive
        "l.db.execute(\"UPDATE runs SET state = 'ingested'\")\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ledger.sqlite"), ids[0]])
    assert proc.returncode == -9
    states = {e.run_id: e.state for e in Ledger(tmp_path / "ledger.sqlite").entries()}
    assert states[ids[0]] == "running"
    assert set(states.values()) == {"running", "planned"}
    assert os.path.exists(tmp_path / "ledger.sqlite")
