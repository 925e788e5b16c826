"""`netlab lab` as a user meets it without running an experiment: the list, bad input, its help."""

from __future__ import annotations

import json

from netlab.lab import experiments
from tests.helpers.cli import run_netlab


def test_list_names_every_experiment_and_claim_without_running_anything():
    proc = run_netlab("lab", "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["EXPERIMENT", "CLAIM", "SEED"]
    for name in experiments.NAMES:
        for claim in experiments.get(name).claims:
            assert any(line.split()[:2] == [name, claim.claim_id] for line in lines), (name, claim.claim_id)


def test_list_as_json_and_jsonl_quotes_the_notes():
    doc = json.loads(run_netlab("lab", "list", "--format", "json").stdout)
    assert [e["experiment"] for e in doc] == list(experiments.NAMES)
    assert any(c["quote"] == "ACK号 = SEQ号 + 传输字节数 + 1" for e in doc for c in e["claims"])
    lines = run_netlab("lab", "list", "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == doc


def test_bad_input_is_one_line_and_exit_2():
    for args, words in ((["lab", "nosuch"], "unknown experiment 'nosuch'"),
                        (["lab", "handshake", "--format", "csv"], "unknown format 'csv'"),
                        (["lab", "list", "handshake"], "'list' runs nothing"),
                        (["lab", "udp", "--report", "/nonexistent/dir/r.md"], "cannot write the report")):
        proc = run_netlab(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
        assert proc.stderr.startswith("netlab: error: ") and words in proc.stderr, proc.stderr


def test_bare_lab_prints_its_help():
    proc = run_netlab("lab")
    assert "Usage: netlab lab" in proc.stdout + proc.stderr
