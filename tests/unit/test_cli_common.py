"""The option checks and loops every command shares (netlab.cli.common)."""

from __future__ import annotations

import signal
import time

import pytest

from netlab.cli import common
from netlab.errors import ExitStatus, UsageError


def test_check_format_accepts_a_listed_format():
    assert common.check_format("json", ("table", "json", "csv")) == "json"


def test_check_format_names_the_choices_in_one_wording():
    with pytest.raises(UsageError) as caught:
        common.check_format("yaml", ("table", "json", "csv"))
    assert caught.value.one_line() == "netlab: error: unknown format 'yaml' (use table, json or csv)"
    with pytest.raises(UsageError) as caught:
        common.check_format("csv", ("table", "jsonl"), "for --watch")
    assert caught.value.one_line() == "netlab: error: unknown format 'csv' for --watch (use table or jsonl)"


def test_check_watch_pairs_iterations_with_watch():
    # Each value's range is its type's (netlab.cli.types): here only the pairing.
    assert common.check_watch(0.5, 3) == (0.5, 3)
    assert common.check_watch(None, None) == (None, None)
    with pytest.raises(UsageError) as caught:
        common.check_watch(None, 2)
    assert caught.value.one_line() == "netlab: error: --iterations needs --watch (add --watch SECONDS)"
    assert caught.value.exit_code == ExitStatus.USAGE


def test_every_yields_the_count_asked_at_the_pace_asked():
    started = time.monotonic()
    assert list(common.every(0.05, 4)) == [0, 1, 2, 3]
    took = time.monotonic() - started
    assert 0.15 <= took < 2.0  # three waits between four ticks, none after the last


def test_every_without_iterations_goes_on_until_the_caller_stops():
    ticks = common.every(0.001, None)
    assert [next(ticks) for _ in range(5)] == [0, 1, 2, 3, 4]


def test_handling_restores_the_old_handlers():
    before = signal.getsignal(signal.SIGUSR1)
    seen = []
    with common.handling({signal.SIGUSR1: lambda *_: seen.append(1)}):
        signal.raise_signal(signal.SIGUSR1)
    assert seen == [1]
    assert signal.getsignal(signal.SIGUSR1) is before


def test_redraw_keeps_redraws_apart_in_a_pipe(capsys):
    common.redraw("banner 1", "a\nb")
    common.redraw("banner 2", "c")
    assert capsys.readouterr().out == "banner 1\na\nb\n\nbanner 2\nc\n\n"


def test_redraw_clears_a_terminal_first(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    common.redraw("banner", "a")
    assert capsys.readouterr().out == common.CLEAR_SCREEN + "banner\na\n"


def test_redraw_without_stdout_draws_nothing(monkeypatch):
    monkeypatch.setattr("sys.stdout", None)
    common.redraw("banner", "a")  # started with stdout closed (>&-): no AttributeError


def test_stop_then_interrupt_asks_once_then_is_final():
    stops = []
    handlers = common.stop_then_interrupt(lambda: stops.append(1), (signal.SIGUSR1, signal.SIGUSR2))
    assert set(handlers) == {signal.SIGUSR1, signal.SIGUSR2}
    with common.handling(handlers):
        signal.raise_signal(signal.SIGUSR2)
        assert stops == [1]
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGUSR1)  # either signal counts as the second
    assert stops == [1]
