"""The option value types (netlab.cli.types): what each takes, what each refuses, in which words."""

from __future__ import annotations

import click
import pytest
import typer

from netlab.cli import app as cli_app
from netlab.cli.types import FileName, Integer, IntegerList, Seconds, Spec, Text, Word, shown
from netlab.errors import ExitStatus, UsageError

NETLAB_TYPES = (Integer, IntegerList, Seconds, Text, Word, FileName, Spec)


def command_params() -> list[tuple[str, click.Parameter]]:
    """Every parameter that takes a value, of every command, from the real click objects."""
    cli_app.register_commands()
    group = typer.main.get_command(cli_app.app)
    found = []
    for name, command in group.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and (param.is_flag or param.count):
                continue  # takes no value
            found.append((name, param))
    return found


def test_every_value_of_every_command_has_a_netlab_type():
    # A new option declared with a plain str, int or float would skip the checks.
    untyped = [f"{name} {param.opts[0]}: {param.type!r}" for name, param in command_params()
               if not isinstance(param.type, NETLAB_TYPES)]
    assert untyped == []
    assert len(command_params()) >= 40


def refusal(type_: click.ParamType, text: str, opts=("-c", "--count")) -> str:
    param = click.Option(list(opts))
    with pytest.raises(UsageError) as caught:
        type_.convert(text, param, None)
    assert caught.value.exit_code == ExitStatus.USAGE
    return caught.value.one_line()


@pytest.mark.parametrize("text", ["0", "-1", "256", "\uff11", "\u00b2", "1_0", " 1", "1 ", "0x10", "1.0", "", "9" * 5000])
def test_integer_refuses_in_one_wording(text):
    assert refusal(Integer(1, 255), text) == f"netlab: error: invalid -c/--count {shown(text)} (give an integer from 1 to 255)"


@pytest.mark.parametrize("text,value", [("1", 1), ("+7", 7), ("255", 255), ("007", 7)])
def test_integer_takes_ascii_digits(text, value):
    assert Integer(1, 255).convert(text, None, None) == value
    assert Integer(1, 255).valid(text)


def test_hex_integer():
    tos = Integer(0, 255, hex=True)
    assert tos.convert("0x20", None, None) == 32 and tos.convert("32", None, None) == 32
    assert refusal(tos, "0x100").endswith("(give an integer from 0 to 255, decimal or 0x hex)")


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "1e999", "0.001", "87000", "\uff11", "1_0", "", "0x1", "1.5s"])
def test_seconds_refuse_in_one_wording(text):
    assert refusal(Seconds(0.01, 86400), text, ("--watch",)) == (
        f"netlab: error: invalid --watch {shown(text)} (give seconds from 0.01 to 86400)")


@pytest.mark.parametrize("text,value", [("1", 1.0), ("0.5", 0.5), (".5", 0.5), ("1e2", 100.0), ("86400", 86400.0)])
def test_seconds_take_finite_decimals(text, value):
    assert Seconds(0.01, 86400).convert(text, None, None) == value


def test_integer_list():
    backlogs = IntegerList(0, 65535)
    assert backlogs.convert("0, 5,128", None, None) == [0, 5, 128]
    for text in ("5,x", "70000", "", "5,", "5,\uff15", "1_000"):
        assert refusal(backlogs, text, ("-b", "--backlog")).endswith(
            "(give integers from 0 to 65535, separated by commas)")


def test_text_refuses_bytes_that_are_not_utf8_and_shows_them_as_typed():
    assert Text().convert("é ²", None, None) == "é ²"
    # what Python makes of argv bytes ff fe: surrogate escapes
    assert refusal(Text(), b"a\xff\xfe".decode("utf-8", "surrogateescape"), ("--user",)) == (
        "netlab: error: invalid --user 'a\\xff\\xfe' (not valid UTF-8)")


def test_text_that_names_something_refuses_the_empty_value():
    assert Text().convert("", None, None) == ""
    assert refusal(Text("an interface name"), "", ("-i", "--interface")) == (
        "netlab: error: invalid -i/--interface '' (give an interface name)")


def test_word_takes_its_words_in_any_case_and_refuses_the_rest_with_its_hint():
    direction = Word(("in", "out", "inout"), "give in, out or inout")
    assert direction.convert("IN", None, None) == "IN" and direction.valid("InOut")
    for text in ("", "i", "inoutx", "in ", b"in\xff".decode("utf-8", "surrogateescape")):
        assert not direction.valid(text)
    assert refusal(direction, "up", ("-Q", "--direction")) == (
        "netlab: error: invalid -Q/--direction 'up' (give in, out or inout)")
    assert refusal(direction, "", ("-Q", "--direction")).endswith("(give in, out or inout)")
    known = Word(lambda text: text.upper() == "EN10MB", "not a link type libpcap knows")
    assert known.convert("en10mb", None, None) == "en10mb"
    assert refusal(known, "FOO", ("-y",)) == "netlab: error: invalid -y 'FOO' (not a link type libpcap knows)"


def test_file_name_refuses_only_the_empty_name():
    name = FileName("input")
    odd = b"\xff.pcap".decode("utf-8", "surrogateescape")  # Linux names are bytes: allowed
    assert name.convert(odd, None, None) == odd and name.convert("-", None, None) == "-"
    assert refusal(name, "", ("-r",)) == "netlab: error: invalid -r '' (give a file name, or '-' for standard input)"


def test_shown_keeps_the_line_one_line_and_short():
    assert shown("a\nb") == "'a\\nb'"
    assert shown("x" * 500) == "'" + "x" * 60 + "...'"


def test_bounds_held_by_the_cli_are_the_engines():
    from netlab.cli import backlog as backlog_cli
    from netlab.cli import ping as ping_cli
    from netlab.lab.backlog import plan, timeline
    from netlab.ping import options

    assert (ping_cli.MAX_TIMING, ping_cli.MAX_DEADLINE, ping_cli.MAX_SIZE) == (
        options.MAX_TIMING, options.MAX_DEADLINE, options.MAX_SIZE_V6)
    assert (backlog_cli.MAX_BACKLOG, backlog_cli.MAX_CONNECTS, backlog_cli.MAX_ACCEPT_DELAY_S,
            backlog_cli.MAX_TIMELINE_CLIENTS) == (plan.MAX_BACKLOG, plan.MAX_CONNECTS, timeline.MAX_ACCEPT_DELAY_S,
                                                  timeline.MAX_CLIENTS)


def test_spec_reads_a_value_with_its_parser_and_refuses_in_its_words():
    from netlab.capture.statspec import parse_follow, parse_stats

    stats = Spec(parse_stats)
    assert stats.convert("io,0.5,tcp,udp port 53", None, None).filters == ("tcp", "udp port 53")
    assert stats.convert("conv", None, None).layers == ("eth", "ip", "tcp", "udp")
    assert Spec(parse_follow).convert("tcp,[fd77::1]:80,10.0.0.1:5", None, None).ends == (("fd77::1", 80), ("10.0.0.1", 5))
    for bad in ("conv,ipx", "io", "io,0", "io,-1", "io,1,", "tcp,1", "", "io,1e3", "io,\udcff"):
        assert not stats.valid(bad)
        with pytest.raises(UsageError):
            stats.convert(bad, None, None)
    for bad in ("tcp", "tcp,-1", "tcp,1,2", "udp,0", "tcp,1.2.3.4:70000,1.2.3.4:1", "tcp,[1.2.3.4]:1,::1:2"):
        assert not Spec(parse_follow).valid(bad)


def test_the_hand_read_decimal_takes_what_its_pattern_takes():
    # netlab.cli.values reads seconds without re (start-up); the pattern stays as the spec.
    import itertools
    import re

    from netlab.cli.values import _DECIMAL, _decimal

    words = ["".join(t) for n in range(6) for t in itertools.product("09.eE+-x", repeat=n)]
    words += ["٣", "1²", "1_0", " 1", "1\n", "inf", "nan", "0x1p3", "1e٣", ".e1", "+.5E-3"]
    assert [w for w in words if _decimal(w) != (re.match(_DECIMAL, w) is not None)] == []
