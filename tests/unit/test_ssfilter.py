"""ss's filter language: how words parse, and the bytecode they compile to, op for op as ss lays it out.

What the filters select is compared with ss itself in tests/netns/test_conns_filter_vs_ss.py;
here the parse trees and bytes, which need no sockets.
"""

from __future__ import annotations

import ipaddress
import struct

import pytest

from netlab.core.bytecode import BC_AUTO, BC_D_COND, BC_DEV_COND, BC_JMP, BC_S_COND, BC_S_LE, compile_filter
from netlab.core.ssfilter import And, AutoBound, Dev, HostCond, Not, Or, PortCmp, parse, words
from netlab.errors import UsageError


def test_words_split_at_blanks_and_a_backslash_escapes():
    assert words(["( dport = :443 or", "sport = :443 )"]) == ["(", "dport", "=", ":443", "or", "sport", "=", ":443", ")"]
    assert words(["src unix:/tmp/a\\ b"]) == ["src", "unix:/tmp/a b"]
    assert words(["\t", ""]) == []


def test_and_or_apply_left_to_right_as_in_ss():
    a, b, c = (HostCond("s", port=p) for p in (1, 2, 3))
    assert parse(["sport = :1 or sport = :2 and sport = :3"]).node == And(Or(a, b), c)
    assert parse(["sport = :1 sport = :2"]).node == And(a, b)  # side by side: and
    assert parse(["sport = :1 or ( sport = :2 and sport = :3 )"]).node == Or(a, And(b, c))
    assert parse(["! sport = :1 or sport = :2"]).node == Or(Not(a), b)


def test_comparisons_become_what_ss_makes_of_them():
    assert parse(["sport gt :1024"]).node == Not(PortCmp("s", "le", 1024))
    assert parse(["dport < :10"]).node == Not(PortCmp("d", "ge", 10))
    assert parse(["dport", "!=", ":0x50"]).node == Not(HostCond("d", port=80))
    assert parse(["sport", "=", ":010"]).node == HostCond("s", port=8)  # strtol base 0: octal
    assert parse(["sport", ":https"]).node == HostCond("s", port=443)
    assert parse(["autobound"]).node == AutoBound()
    assert parse(["dev", "lo"]).node == Dev(1)


def test_hosts():
    net = ipaddress.ip_network
    assert parse(["dst 10.0.0.0/8"]).node == HostCond("d", (net("10.0.0.0/8"),))
    assert parse(["src 127.0.0.1:22"]).node == HostCond("s", (net("127.0.0.1/32"),), 22)
    assert parse(["src [::1]:22"]).node == HostCond("s", (net("::1/128"),), 22)
    assert parse(["src *:22"]).node == HostCond("s", (), 22)
    assert parse(["dst fe80::/10"]).node == HostCond("d", (net("fe80::/10"),))
    sel = parse(["src unix:/run/*"])
    assert sel.node == HostCond("s", unix_pattern="/run/*") and sel.families == {"unix"}


def test_state_and_exclude_lead():
    assert parse(["state", "established", "state", "time-wait"]).states == {"ESTAB", "TIME-WAIT"}
    assert parse(["exclude", "listening"]).states == parse(["state", "all"]).states - {"LISTEN"}
    assert parse(["state", "bucket"]).states == {"SYN-RECV", "TIME-WAIT"}
    assert parse(["state", "established"]).node is None


@pytest.mark.parametrize("text", ["( sport = :1", "sport = :1 )", "and", "sport", "src != 1.2.3.4", "sport = :x1y",
                                  "dst 300.1.1.1", "state nosuch", "fwmark 1", "cgroup /", "src link:eth0",
                                  "(sport = :1)", "sport = :1 state listening"])
def test_bad_expressions_are_usage_errors(text):
    with pytest.raises(UsageError) as err:
        parse([text])
    assert "\n" not in err.value.one_line()


def _op(code, yes, no):
    return struct.pack("=BBH", code, yes, no)


def _cond(code, port, family=0, prefix=0, addr=b"\0" * 4):
    body = struct.pack("=BBxxi", family, prefix, port) + addr
    return _op(code, 4 + len(body), 4 + len(body) + 4) + body


def test_bytecode_is_laid_out_as_ss_lays_it_out():
    one = _cond(BC_S_COND, 22)
    assert compile_filter(parse(["sport = :22"]).node) == one
    two = _cond(BC_D_COND, 80)
    # or: A, a JMP over B, B
    assert compile_filter(parse(["sport = :22 or dport = :80"]).node) == one + _op(BC_JMP, 4, len(two) + 4) + two
    # and: A with its rejecting jump moved past B, then B
    patched = bytearray(one)
    struct.pack_into("=H", patched, 2, len(one) + 4 + len(two))
    assert compile_filter(parse(["sport = :22 and dport = :80"]).node) == bytes(patched) + two
    # not: A, then a JMP that skips the accepting end
    assert compile_filter(parse(["not sport = :22"]).node) == one + _op(BC_JMP, 4, 8)
    assert compile_filter(parse(["sport <= :1024"]).node) == _op(BC_S_LE, 8, 12) + _op(0, 0, 1024)
    assert compile_filter(parse(["autobound"]).node) == _op(BC_AUTO, 4, 8)
    assert compile_filter(parse(["dev", "1"]).node) == _op(BC_DEV_COND, 8, 12) + struct.pack("=I", 1)
    v6 = compile_filter(parse(["dst ::1/128"]).node)
    assert v6 == _cond(BC_D_COND, -1, 10, 128, ipaddress.ip_address("::1").packed)
    assert compile_filter(parse(["src unix:/x"]).node) is None  # UNIX patterns: Python only
