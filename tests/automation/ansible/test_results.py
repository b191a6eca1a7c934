"""What a playbook's events add up to, the playbook names allowed, and extra variables written
as data (no ansible run)."""

from __future__ import annotations

import pytest

from imas.automation.ansible import playbooks
from imas.automation.ansible.results import Results
from imas.automation.ansible.runner import unsafe_yaml


def outcome(event, host, task, uuid, **data):
    return {"event": event, "event_data": {"host": host, "task": task, "task_uuid": uuid, **data}}


def test_results_count_each_task_on_each_host():
    results = Results()
    results.add({"event": "playbook_on_task_start", "event_data": {"task": "a", "task_uuid": "1"}})
    results.add(outcome("runner_on_ok", "h1", "a", "1", res={"changed": True}))
    results.add(outcome("runner_on_skipped", "h2", "a", "1"))
    results.add({"event": "playbook_on_task_start", "event_data": {"task": "b", "task_uuid": "2"}})
    entry = results.add(outcome("runner_on_failed", "h1", "b", "2", res={"msg": "\x1b[31mno"}))
    results.add(outcome("runner_on_failed", "h2", "b", "2", ignore_errors=True, res={}))
    unreachable = results.add(
        outcome("runner_on_unreachable", "h3", "b", "2", res={"msg": "ssh: no route"})
    )

    assert entry is not None
    assert (entry.level, entry.message) == ("error", "failed: [h1] b: no")
    assert unreachable is not None
    assert unreachable.level == "error"
    assert results.counts() == {
        "tasks_total": 5,
        "tasks_successful": 1,
        "tasks_failed": 2,
        "tasks_skipped": 1,
        "tasks_ignored": 1,
    }
    assert results.failed_hosts() == ["h1", "h3"]
    assert results.hosts["h2"]["status"] == "ok"
    assert [t["name"] for t in results.tasks] == ["a", "b"]
    assert results.tasks[1]["hosts"]["h3"] == {"status": "unreachable", "message": "ssh: no route"}


def test_the_recap_is_one_line():
    entry = Results().add(
        {"event": "playbook_on_stats", "event_data": {"ok": {"h1": 2}, "failures": {"h1": 1}}}
    )
    assert entry is not None
    assert entry.message == (
        "PLAY RECAP h1: ok=2 changed=0 unreachable=0 failed=1 skipped=0 ignored=0"
    )


@pytest.mark.parametrize("name", ["deploy.yml", "deploy", "site.yaml", "a_b-c.1.yml"])
def test_bare_file_names_are_playbook_names(name):
    assert playbooks.problem(name) is None


@pytest.mark.parametrize(
    "name", ["../x.yml", "a/b.yml", "a\\b.yml", "..", "x..yml", ".hidden", "", "a b.yml", "x\x00"]
)
def test_names_with_paths_or_odd_characters_are_refused(name):
    assert playbooks.problem(name) is not None


def test_a_symlink_out_of_the_directory_is_not_a_playbook(settings, tmp_path):
    root = tmp_path / "playbooks"
    root.mkdir()
    outside = tmp_path / "secret.yml"
    outside.write_text("- hosts: all\n")
    (root / "link.yml").symlink_to(outside)
    (root / "ok.yml").write_text("- hosts: all\n")
    configured = settings.model_copy(update={"ansible_playbook_dir": root})

    with pytest.raises(playbooks.PlaybookNotFound):
        playbooks.resolve(configured, "link.yml")
    assert [p.name for p in playbooks.available(configured)] == ["ok.yml"]


def test_every_string_of_the_variables_is_unsafe():
    text = unsafe_yaml({"a": "{{ x }}", "b": [1, True, None, 'q"uote'], "c": {"d": 2.5}})
    assert text == (
        '{"a": !unsafe "{{ x }}", "b": [1, true, null, !unsafe "q\\"uote"], "c": {"d": 2.5}}'
    )


def test_what_ansible_prints_as_an_error_is_kept():
    results = Results()
    entry = results.add({"event": "verbose", "stdout": "ERROR! the playbook could not be read"})
    assert entry is not None
    assert entry.level == "error"
    assert results.last_error == "ERROR! the playbook could not be read"
