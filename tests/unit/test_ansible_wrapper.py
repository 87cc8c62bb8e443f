"""The ansible-runner wrapper, run for real against this machine (connection: local).

No SSH here (that path is in tests/vm): these runs check the wrapper itself, i.e. its per-run
private dir and ident, artifacts and their rotation, events -> progress lines, failures ->
LabError, check mode, and that ansible-playbook is found through the interpreter's bin dir.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mllb_lab.ansible import EventProgress, run_playbook, runner_env
from mllb_lab.errors import EXIT_LAB, LabError, UserError
from mllb_lab.progress import Progress

PLAYBOOK = """\
- name: Wrapper test
  hosts: all
  gather_facts: false
  tasks:
    - name: Write a marker
      ansible.builtin.copy:
        content: "{{ marker }}\\n"
        dest: "{{ target }}"
        mode: "0644"
    - name: Fetch the marker back
      ansible.builtin.fetch:
        src: "{{ target }}"
        dest: "{{ mllb_fetch_dir }}/marker.txt"
        flat: true
      when: not ansible_check_mode
    - name: Fail on purpose
      ansible.builtin.fail:
        msg: "boom from {{ inventory_hostname }}"
      when: fail | default(false) | bool
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "books" / "wrapper-test.yml"
    path.parent.mkdir()
    path.write_text(PLAYBOOK)
    return path


@pytest.fixture
def local_inventory() -> dict:
    hv = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    return {"all": {"hosts": {"local1": hv}}}


def test_run_writes_fetches_and_reports(
    tmp_path: Path, book: Path, local_inventory: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "marker"
    result = run_playbook(
        str(book),
        local_inventory,
        extravars={"marker": "hello-1", "target": str(target)},
        base_dir=tmp_path / "ansible",
        progress=Progress(),
    )
    assert result.ok and result.rc == 0 and result.status == "successful"
    assert (result.fetch_dir / "marker.txt").read_text() == "hello-1\n"
    # private_data_dir per run, named by its ident, with the runner's layout
    assert result.run_dir == tmp_path / "ansible" / "runs" / result.ident
    assert {"env", "inventory", "project"} <= {p.name for p in result.run_dir.iterdir()}
    assert result.artifact_dir == tmp_path / "ansible" / "artifacts" / result.ident
    assert "Write a marker" in result.stdout.read_text()
    assert any((result.artifact_dir / "job_events").iterdir())
    # suppress_env_files: nothing from the environment is written into env/
    assert list((result.run_dir / "env").iterdir()) == []
    err = capsys.readouterr().err
    assert "[local1] TASK Write a marker: changed" in err
    assert "[local1] TASK Fetch the marker back: changed" in err
    assert "[local1] TASK Fail on purpose: skipped" in err
    assert result.changed == 2 and result.events > 5


def test_failure_names_host_task_and_stdout(
    tmp_path: Path, book: Path, local_inventory: dict
) -> None:
    with pytest.raises(LabError) as err:
        run_playbook(
            str(book),
            local_inventory,
            extravars={"marker": "x", "target": str(tmp_path / "m"), "fail": True},
            base_dir=tmp_path / "ansible",
        )
    text = str(err.value)
    assert "[local1] TASK Fail on purpose: failed: boom from local1" in text
    assert err.value.exit_code == EXIT_LAB
    assert err.value.log is not None and err.value.log.name == "stdout"
    assert "boom from local1" in err.value.log.read_text()


def test_failure_can_be_returned_instead(tmp_path: Path, book: Path, local_inventory: dict) -> None:
    result = run_playbook(
        str(book),
        local_inventory,
        extravars={"marker": "x", "target": str(tmp_path / "m"), "fail": True},
        base_dir=tmp_path / "ansible",
        raise_on_failure=False,
    )
    assert not result.ok and result.rc != 0
    assert [(f.host, f.task, f.kind) for f in result.failures] == [
        ("local1", "Fail on purpose", "failed")
    ]


def test_check_mode_changes_nothing(tmp_path: Path, book: Path, local_inventory: dict) -> None:
    target = tmp_path / "marker"
    result = run_playbook(
        str(book),
        local_inventory,
        extravars={"marker": "dry", "target": str(target)},
        base_dir=tmp_path / "ansible",
        check=True,
    )
    assert result.ok and not target.exists()
    command = json.loads((result.artifact_dir / "command").read_text())["command"]
    assert "--check" in command and "--diff" in command


def test_artifacts_and_run_dirs_are_rotated(
    tmp_path: Path, book: Path, local_inventory: dict
) -> None:
    idents = []
    for n in range(3):
        result = run_playbook(
            str(book),
            local_inventory,
            extravars={"marker": f"m{n}", "target": str(tmp_path / "m")},
            base_dir=tmp_path / "ansible",
            keep=2,
        )
        idents.append(result.ident)
    assert len(set(idents)) == 3
    runs = sorted(p.name for p in (tmp_path / "ansible" / "runs").iterdir())
    artifacts = sorted(p.name for p in (tmp_path / "ansible" / "artifacts").iterdir())
    assert runs == idents[1:]
    assert artifacts == idents[1:]


def test_limit_and_tags_reach_ansible(tmp_path: Path, book: Path) -> None:
    hv = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"hosts": {"a": hv, "b": hv}}}
    result = run_playbook(
        str(book),
        inventory,
        extravars={"marker": "x", "target": str(tmp_path / "m")},
        base_dir=tmp_path / "ansible",
        limit="b",
        tags="never-matches",
    )
    command = json.loads((result.artifact_dir / "command").read_text())["command"]
    assert command[command.index("--limit") + 1] == "b"
    assert command[command.index("--tags") + 1] == "never-matches"
    assert result.changed == 0  # no task carries that tag


def test_host_key_checking_stays_on(tmp_path: Path, book: Path, local_inventory: dict) -> None:
    """ansible-runner defaults ANSIBLE_HOST_KEY_CHECKING to False; the wrapper must not."""
    result = run_playbook(
        str(book),
        local_inventory,
        extravars={"marker": "x", "target": str(tmp_path / "m")},
        base_dir=tmp_path / "ansible",
    )
    env = json.loads((result.artifact_dir / "command").read_text())["env"]
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "True"


def test_runner_env_finds_ansible_playbook_in_this_venv() -> None:
    env = runner_env()
    first = env["PATH"].split(os.pathsep)[0]
    assert first == str(Path(sys.executable).parent)
    assert (Path(first) / "ansible-playbook").exists()
    assert env["ANSIBLE_PIPELINING"] == "True"


def test_missing_playbook_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        run_playbook("no-such-playbook.yml", {"all": {}}, base_dir=tmp_path)
    assert err.value.field == "playbook"


def test_unreachable_and_ignored_events() -> None:
    """Event shapes as ansible-runner delivers them (from a recorded job_events file)."""
    handler = EventProgress(None)
    handler(
        {
            "event": "runner_on_unreachable",
            "event_data": {"host": "h1", "task": "Ping", "res": {"msg": "Host key verification"}},
        }
    )
    handler(
        {
            "event": "runner_on_failed",
            "event_data": {"host": "h2", "task": "T", "res": {"msg": "x"}, "ignore_errors": True},
        }
    )
    assert [(f.host, f.kind) for f in handler.failures] == [("h1", "unreachable")]
    assert "Host key verification" in str(handler.failures[0])


def test_missing_inventory_is_a_user_error(tmp_path: Path, book: Path) -> None:
    with pytest.raises(UserError) as err:
        run_playbook(str(book), tmp_path / "nope.yml", base_dir=tmp_path / "ansible")
    assert err.value.field == "inventory"
    assert not (tmp_path / "ansible").exists()


def test_kept_task_results_carry_the_facts_without_a_report_file(
    tmp_path: Path, local_inventory: dict
) -> None:
    """facts.gather's path, run for real on this machine: the facts role's collector result
    comes back through the events; nothing is written on the target or fetched."""
    from mllb_lab import facts

    remote = tmp_path / "remote"
    result = run_playbook(
        "facts.yml",
        local_inventory,
        extravars={"facts_write_report": False, "facts_remote_dir": str(remote)},
        keep_results=(facts.COLLECT_TASK,),
        base_dir=tmp_path / "ansible",
    )
    assert result.ok and set(result.task_results) == {"local1"}
    found = facts.read_report(result, "local1")
    assert found["cpus"] == os.cpu_count() and found["kernel"] == os.uname().release
    assert not remote.exists() and not (result.fetch_dir / "facts").exists()
    with pytest.raises(LabError, match="no facts came back from other"):
        facts.read_report(result, "other")
