"""The fast lane: run a common command line without importing click or typer.

Importing click and typer and building the typer command took most of a short
run (about 45 of the 55 ms of `netlab capture --count -r small.pcap`; tcpdump's
whole run is 3 ms). For the commands in netlab.cli.layouts (capture, conns,
ping) the fast lane parses the arguments from that layout (plain data, made
from the typer declarations by netlab.cli.layoutgen), checks each value with
the same rule typer's types use (netlab.cli.values), and calls the command's
body (netlab.commands) under the same guard (netlab.cli.guard).

It parses as click's parser does: clusters of short flags (-tan), a value
joined or apart (-c5, -c 5, --count=5), options and arguments in any order,
`--` ending the options. Whatever it is not sure of, it hands back before
running anything: --help, an unknown option, a value the rule refuses, a
missing value, an option with a callback (ping -V), options before the command,
shell completion. typer then parses the same arguments and gives its answer or
its one-line error; so the fast lane has no error of its own to get wrong, and
tests/unit/test_fastlane.py compares its parse with click's on many command
lines.
"""

from __future__ import annotations

import os
import sys

from netlab.cli.layouts import LAYOUTS

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable


class _HandBack(Exception):
    """This command line is typer's to parse."""


def run(argv: list[str]) -> int | None:
    """The exit status of the command, or None: typer must parse these arguments."""
    parsed = parse(argv)
    if parsed is None:
        return None
    body, options = parsed
    from netlab.cli import guard

    return guard.run(lambda: body(**options), os.environ.get("NETLAB_DEBUG", "") not in ("", "0"))


def parse(argv: list[str]) -> tuple[Callable, dict] | None:
    """(the command's body, its options by name), or None to hand the arguments back."""
    if not argv or argv[0] not in LAYOUTS or any(key.startswith("_NETLAB_COMPLETE") for key in os.environ):
        return None  # no command, options before it, an unknown one; or the shell asks for completions
    layout = LAYOUTS[argv[0]]
    try:
        options = _options(layout["params"], argv[1:])
    except _HandBack:
        return None
    module, _, name = layout["body"].partition(":")
    __import__(module)  # not importlib.import_module: the importlib package (and warnings) is ~0.7 ms of a start
    return getattr(sys.modules[module], name), options


def _options(params: tuple, args: list[str]) -> dict:
    by_flag = {flag: param for param in params for flag in param[1]}
    given: dict[str, object] = {}  # name -> what the command line said, before the rules
    words: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            words += rest
            break
        if arg[:1] == "-" and len(arg) > 1:
            _option(arg, rest, by_flag, given)
        else:
            words.append(arg)
    return _values(params, given, words)


def _option(arg: str, rest: list[str], by_flag: dict, given: dict) -> None:
    """One option word: a long option (--name, --name=value), else a cluster of short ones."""
    name, equals, value = arg.partition("=")
    param = by_flag.get(name)
    if param is not None and (len(name) > 2 or name[:2] == "--"):  # click's long options
        if param[2] in ("const", "count", "punt"):
            if equals or param[2] == "punt":
                raise _HandBack  # click: "does not take a value"; or typer's to answer
            _take(param, None, given)
            return
        if equals:
            rest.insert(0, value)
        _take(param, _value(param, rest), given)
        return
    if arg[:2] == "--":
        raise _HandBack  # an unknown long option
    for i, letter in enumerate(arg[1:], start=2):
        param = by_flag.get("-" + letter)
        if param is None or param[2] == "punt":
            raise _HandBack
        if param[2] in ("const", "count"):
            _take(param, None, given)
            continue
        if i < len(arg):  # the rest of the word is the value: -c5
            rest.insert(0, arg[i:])
        _take(param, _value(param, rest), given)
        return


def _value(param: tuple, rest: list[str]) -> str | None:
    """The option's value from the words left; None: an optional value left out."""
    if param[2] == "optional" and (not rest or (rest[0][:1] == "-" and len(rest[0]) > 1)):
        return None
    if not rest:
        raise _HandBack  # click: "requires an argument"
    return rest.pop(0)


def _take(param: tuple, value: str | None, given: dict) -> None:
    name, _, action = param[0], param[1], param[2]
    if action == "count":
        given[name] = given.get(name, 0) + 1
    elif action == "const":
        given[name] = param[3]
    elif action == "append":
        given.setdefault(name, []).append(value)
    elif action == "optional":
        given[name] = param[3][1] if value is None else value
    else:
        given[name] = value


def _values(params: tuple, given: dict, words: list[str]) -> dict:
    """Every option's value as the body takes it: checked by its rule, or its default."""
    from netlab.cli.values import rule_from_spec

    options = {}
    for name, _, action, detail, default in params:
        if action == "punt":
            continue
        if action == "arguments":
            raw = words
            words = []
        else:
            raw = given.get(name)
        if action in ("const", "count") or (raw is None and action != "arguments"):
            options[name] = default if raw is None else raw
            continue
        rule = rule_from_spec(detail[0] if action == "optional" else detail)
        if action in ("append", "arguments"):
            options[name] = [_checked(rule, text) for text in raw] if raw or default is not None else default
        else:
            options[name] = _checked(rule, raw)
    if words:
        raise _HandBack  # click: "unexpected extra argument"
    return options


def _checked(rule, text: str):
    if not rule.valid(text):
        raise _HandBack  # typer refuses it, in its one line
    return rule.parse(text)
