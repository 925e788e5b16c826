"""The fast lane parses as typer does, or hands the command line back: never a third answer.

netlab.cli.fastlane runs capture, conns and ping without click or typer, from the
layouts that netlab.cli.layoutgen writes from the typer declarations. These tests
hold the three together: the layouts are current, each body takes exactly the
layout's options, the fast lane imports neither click nor typer, and on thousands
of command lines (common ones, and random mixes of every option with good and
bad values) the fast lane's options equal what typer hands the body, or the fast
lane hands the line back.
"""

from __future__ import annotations

import inspect
import random
import subprocess
import sys

import click
import pytest
import typer

from netlab.cli import app, fastlane, layoutgen
from netlab.cli.layouts import LAYOUTS
from tests.helpers.env import ROOT

COMMANDS = tuple(LAYOUTS)
PCAP = "/nonexistent.pcap"  # never opened: the bodies are replaced by a recorder

# Lines people type: each must take the fast lane.
COMMON = {
    "capture": ["-n -r F", "-r F", "--count -r F", "-nr F", "-nn -v -r F tcp port 80", "-vvv -e -x -r F",
                "-i lo -c 10", "-i any -w out.pcap -c 1000", "-r F --stats conv --top 5", "-r F --stats",
                "-r F --stats io,1 --chart", "-tttt -#XX -r F", "-c5 -s 96 -r F -- not port 22",
                "-r F --format jsonl", "-Q in -i lo -c 1", "--count -r F udp or icmp", "-S -K -vv -r F",
                "-w F -C 1 -W 3 -i lo", "-r F --follow tcp,0"],
    "conns": ["", "-tan", "-tanp", "-tl", "-ulnp", "-s", "-x", "-t state established", "-t --format json",
              "state established '( dport = :443 or sport = :443 )'", "--count-by remote_addr --top 10",
              "-tan --port 80 --port 443", "-e -i -o -m", "--watch 1 --iterations 2", "-H -4", "-0"],
    "ping": ["127.0.0.1", "-c 3 127.0.0.1", "-c1 -W1 127.0.0.1", "-c 2 127.0.0.1 ::1", "--tcp 22 -c 3 localhost",
             "-c 5 --format jsonl 127.0.0.1", "-f -c 1000 127.0.0.1", "-i 0.2 -s 100 -t 64 -q ::1",
             "-g 10.0.0.0/30 --alive", "-A -D -O -n 127.0.0.1", "-Q 0x10 -m 7 -e 99 127.0.0.1"],
}

# Values that some options take and others refuse, and words that are not options.
VALUES = ["1", "5", "0", "-1", "+3", "0x10", "65536", "99999999999", "1.5", ".5", "1e3", "nan", "abc", "",
          "in", "IN", "inout", "table", "json", "jsonl", "csv", "yaml", "conv", "conv,ip", "io,1", "io", "tcp,0",
          "talkers", "tcp", "lo", "eth0", "-", "--", "-n", "-x", "--stats", "\udcff", "²", "１", "x" * 50,
          "established", ":80", "10.0.0.0/8", "127.0.0.1", "remote_addr", "recv_q", "EN10MB", "bogus"]
WORDS = ["tcp", "port", "80", "state", "established", "127.0.0.1", "::1", "-", "--", "--bogus", "-Z9", "-h",
         "--help", "-V", "(", ")", "dst", "10.0.0.0/8"]


def _typer_command() -> click.Group:
    app.register_commands(COMMANDS)
    return typer.main.get_command(app.app)


def test_the_layouts_are_what_the_typer_declarations_make():
    # after changing an option of capture, conns or ping: python -m netlab.cli.layoutgen
    assert layoutgen.LAYOUTS_PATH.read_text() == layoutgen.source()


@pytest.mark.parametrize("command", COMMANDS)
def test_each_body_takes_exactly_the_options_of_its_layout(command):
    body, _ = fastlane.parse([command])
    taken = [name for name, _, action, _, _ in LAYOUTS[command]["params"] if action != "punt"]
    assert list(inspect.signature(body).parameters) == taken


def test_the_fast_lane_imports_neither_click_nor_typer():
    program = (
        "import sys\n"
        "from netlab.cli import fastlane\n"
        "for line in (['capture', '-n', '-r', 'F', '--stats', 'conv'], ['conns', '-tanp'], ['ping', '-c', '1', 'h']):\n"
        "    assert fastlane.parse(line) is not None, line\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'typer', 'scapy', 'pcapy')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


class _Recorder:
    """Stands for a command's body: keeps the options it is given."""

    def __init__(self):
        self.options = None

    def __call__(self, **options):
        self.options = options
        return 0


def _typer_options(root: click.Group, command: str, args: list[str], monkeypatch) -> dict | None:
    """What typer hands the body for these arguments; None where it refuses them or answers itself."""
    import importlib

    recorder = _Recorder()
    monkeypatch.setattr(importlib.import_module(f"netlab.commands.{command}"), command, recorder)
    try:
        root.main(args=[command, *args], prog_name="netlab", standalone_mode=False)
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
        return None
    except Exception as err:  # a refusal of netlab's own type checks (netlab.errors.UsageError)
        if type(err).__name__ != "UsageError":
            raise
        return None
    return recorder.options


def _fast_options(command: str, args: list[str]) -> dict | None:
    parsed = fastlane.parse([command, *args])
    return None if parsed is None else parsed[1]


def _random_line(rng: random.Random, command: str) -> list[str]:
    params = [p for p in LAYOUTS[command]["params"] if p[1]]
    args: list[str] = []
    for _ in range(rng.randint(0, 6)):
        name, flags, action, _, _ = rng.choice(params)
        flag = rng.choice(flags)
        value = rng.choice(VALUES)
        shape = rng.random()
        if action in ("const", "count", "punt"):
            if shape < 0.3 and len(flag) == 2:  # a cluster of short flags
                shorts = [f for p in params for f in p[1] if len(f) == 2]
                args.append("-" + "".join(rng.choice(shorts)[1] for _ in range(rng.randint(1, 4))))
            elif shape < 0.35:
                args.append(f"{flag}={value}")  # a value where none is taken: click refuses it
            else:
                args.append(flag)
        elif shape < 0.5:
            args += [flag, value]
        elif shape < 0.7 and flag.startswith("--"):
            args.append(f"{flag}={value}")
        elif shape < 0.8 and len(flag) == 2:
            args.append(flag + value)  # -c5
        elif shape < 0.9:
            args.append(flag)  # the value left out, or taken from what follows
        else:
            args += [flag, value, rng.choice(WORDS)]
        if rng.random() < 0.25:
            args.append(rng.choice(WORDS))
    return args


@pytest.mark.parametrize("command", COMMANDS)
def test_common_lines_take_the_fast_lane_with_typer_s_options(command, monkeypatch):
    root = _typer_command()
    for line in COMMON[command]:
        args = ["/tmp/F.pcap" if word == "F" else word for word in _split(line)]
        fast = _fast_options(command, args)
        assert fast is not None, f"handed back: netlab {command} {line}"
        assert fast == _typer_options(root, command, args, monkeypatch), line


@pytest.mark.parametrize("command", COMMANDS)
def test_random_lines_parse_as_typer_parses_them_or_are_handed_back(command, monkeypatch, capsys):
    root = _typer_command()
    rng = random.Random(f"fastlane {command}")
    taken = 0
    for _ in range(1500):
        args = _random_line(rng, command)
        fast = _fast_options(command, args)
        if fast is None:
            continue
        taken += 1
        assert fast == _typer_options(root, command, args, monkeypatch), args
    capsys.readouterr()  # typer's help and refusals, printed on the way
    assert taken > 200  # the lines the fast lane took, and compared: enough to mean something


def _split(line: str) -> list[str]:
    import shlex

    return shlex.split(line)
