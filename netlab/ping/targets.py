"""fping's ways to name many targets: -g (a CIDR block or a start and end address) and a file.

Only the host arguments are produced here (strings); resolve() turns them into
Targets as it does for hosts on the command line.
"""

from __future__ import annotations

import sys

from netlab.errors import UsageError

MAX_GENERATED = 65536  # a /16's worth: more is a scan, not a ping


def generate(args: list[str]) -> list[str]:
    """-g: ``CIDR`` (as fping: without the network and broadcast addresses below /31)
    or ``START END`` (inclusive). IPv4 only, as fping."""
    import ipaddress  # here: every `netlab ping` loads this module, few give -g (~1 ms of start-up)

    if len(args) == 1:
        try:
            network = ipaddress.ip_network(args[0], strict=False)
        except ValueError:
            raise UsageError(f"can't parse address {args[0]}", "-g takes ADDRESS/PREFIX, or a start and an end address") from None
        if network.version != 4:
            raise UsageError("-g works only with IPv4 addresses", "give an IPv4 block")
        if network.num_addresses > MAX_GENERATED + 2:
            raise UsageError(f"-g {args[0]}: {network.num_addresses} addresses", f"at most {MAX_GENERATED}: a /16")
        hosts = network.hosts() if network.prefixlen < 31 else iter(network)
        return [str(a) for a in hosts]
    if len(args) == 2:
        try:
            start, end = (ipaddress.IPv4Address(a) for a in args)
        except ValueError:
            raise UsageError(f"can't parse address range {args[0]} {args[1]}", "-g works only with IPv4 addresses") from None
        if end < start:
            raise UsageError(f"-g {args[0]} {args[1]}: the end is before the start", "give the lower address first")
        if int(end) - int(start) >= MAX_GENERATED:
            raise UsageError(f"-g {args[0]} {args[1]}: {int(end) - int(start) + 1} addresses", f"at most {MAX_GENERATED}")
        return [str(ipaddress.IPv4Address(n)) for n in range(int(start), int(end) + 1)]
    raise UsageError("-g takes one CIDR block, or a start and an end address", "e.g. -g 10.0.0.0/24 or -g 10.0.0.1 10.0.0.20")


def read_file(name: str) -> list[str]:
    """--file: a host per line (its first word), blank lines and # comments skipped; '-' is stdin."""
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8", errors="surrogateescape") as handle:
                text = handle.read()
    except OSError as err:
        raise UsageError(f"{name}: {err.strerror}", "give a readable file of hosts, or - for stdin") from None
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not valid UTF-8", "give a text file of hosts") from None
    hosts = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            hosts.append(words[0])
    if not hosts:
        raise UsageError(f"{name}: no host in it", "one host per line")
    return hosts
