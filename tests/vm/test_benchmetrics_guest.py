"""roles/benchmetrics in a real 2x2x2 TCG guest (the tier's shared stock guest, Debian's 6.1
kernel) around hackbench, with mllb-schedlat built on the controller: every metric the report
plots must come back and be read by mllb_lab.benchmetrics (latency histograms of
can_migrate_task and load_balance, run-queue lengths, imbalance sampled 10x/s, load average,
schedstat migrations), and status.txt must be empty (every collector attached).
The guest is left as found: collectors stopped, their files removed.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from mllb_lab.ansible import run_playbook
from mllb_lab.benchmetrics import read
from mllb_lab.benchmetrics.schedlat_build import ensure_schedlat
from mllb_lab.inventory import write_lab_inventory
from mllb_lab.lab.state import LabState

SECONDS = 12
BIN_DIR = "/var/lib/mllb-lab/bm-test-bin"
PLAYBOOK = f"""---
- name: Benchmark metrics around a workload
  hosts: all
  gather_facts: false
  vars:
    run_dir: /var/lib/mllb-lab/bm-test
  tasks:
    - name: Start the collectors
      ansible.builtin.include_role:
        name: benchmetrics
      vars:
        benchmetrics_run_dir: "{{{{ run_dir }}}}"
        benchmetrics_steps: [install, start]
        benchmetrics_bin_dir: {BIN_DIR}
        benchmetrics_schedlat_bin: "{{{{ schedlat_bin }}}}"
        benchmetrics_duration: 300
        benchmetrics_attach_timeout: 60
    - name: Run hackbench for {SECONDS} seconds
      ansible.builtin.shell:
        cmd: end=$((SECONDS+{SECONDS})); while [ $SECONDS -lt $end ]; do hackbench -g 2 -l 200; done
        executable: /bin/bash
      changed_when: true
    - name: Stop the collectors
      ansible.builtin.include_role:
        name: benchmetrics
      vars:
        benchmetrics_run_dir: "{{{{ run_dir }}}}"
        benchmetrics_bin_dir: {BIN_DIR}
        benchmetrics_steps: [stop]
    - name: Pack the output
      ansible.builtin.command:
        cmd: tar -czf /var/tmp/bm.tar.gz -C {{{{ run_dir }}}} benchmetrics
      changed_when: true
    - name: Fetch it
      ansible.builtin.fetch:
        src: /var/tmp/bm.tar.gz
        dest: "{{{{ mllb_fetch_dir }}}}/bm.tar.gz"
        flat: true
    - name: Leave the shared guest as found
      ansible.builtin.command:
        cmd: rm -rf -- {{{{ run_dir }}}} {BIN_DIR} /var/tmp/bm.tar.gz
      changed_when: true
"""


def test_benchmetrics_role_collects_every_metric_in_a_guest(
    shared_guest: LabState, tmp_path: Path
) -> None:
    book = tmp_path / "bm.yml"
    book.write_text(PLAYBOOK)
    result = run_playbook(
        str(book),
        write_lab_inventory(shared_guest),
        extravars={"schedlat_bin": str(ensure_schedlat())},
        lab=shared_guest.name,
        timeout=900,
    )
    assert result.ok, result.failures
    with tarfile.open(result.fetch_dir / "bm.tar.gz") as tar:
        tar.extractall(tmp_path / "artifacts")  # our own archive (3.11.2: no filter=)
    folder = tmp_path / "artifacts" / "benchmetrics"
    assert (folder / "status.txt").read_text() == "", (folder / "status.txt").read_text()
    bm = read.read(tmp_path / "artifacts", duration=SECONDS)
    assert bm is not None and bm.missing == [], bm.missing
    for func in ("can_migrate_task", "load_balance"):
        hist = bm.latency[func]
        assert hist.total > 0 and hist.unit == "ns"
        # a call takes longer than a nanosecond and less than a second, even under TCG
        assert 1 < bm.scalars[f"{func}_latency_ns_mean"] < 1e9
    # load_balance() calls can_migrate_task() for each candidate task: it is the slower one
    p50 = {f: bm.scalars[f"{f}_latency_ns_p50"] for f in ("can_migrate_task", "load_balance")}
    assert p50["load_balance"] >= p50["can_migrate_task"], p50
    # runqlen: 8 CPUs sampled at 99 Hz for more than SECONDS (a TCG guest's timers may lag)
    assert bm.runqlen is not None and bm.runqlen.total >= 8 * 20 * SECONDS
    assert bm.runqlen.counts[1:].sum() > 0  # hackbench keeps tasks waiting on run queues
    # 10 samples per second for the workload's seconds, at least (the sampler ran longer)
    assert bm.imbalance is not None and len(bm.imbalance) >= 5 * SECONDS
    assert bm.scalars["max_rq_imbalance_max"] >= 1  # hackbench piles tasks on run queues
    assert bm.scalars["loadavg_1m"] > 0
    assert bm.scalars["lb_migrations"] > 0  # Debian's 6.1 has CONFIG_SCHEDSTATS
