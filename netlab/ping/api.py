"""`netlab ping` for scripts: hosts and keyword options as the command line has them.

    import netlab
    for summary in netlab.ping.run("127.0.0.1", count=3, interval=0.2):
        print(summary.received, summary.as_dict())

    with netlab.ping.session(["127.0.0.1", "::1"], count=3) as pinger:
        for event in pinger.run():       # Reply, Timeout, ProbeError, ... as they come
            print(event)
        summaries = pinger.summaries()

``run`` is the whole run at once (it needs ``count`` or ``deadline``: without
either ping never ends); ``session`` streams the events. Values are checked
as the CLI checks them (UsageError with the same words).
"""

from __future__ import annotations

from collections.abc import Iterable  # not typing: a share of start-up

from netlab.errors import UsageError
from netlab.ping.base import Session
from netlab.ping.engine import PingSession
from netlab.ping.options import PingOptions, parse_interface, parse_pattern, parse_tos
from netlab.ping.records import Summary, Target
from netlab.ping.resolve import resolve


def _targets(hosts: str | Target | Iterable[str | Target], family: int | None = None,
            numeric: bool = False) -> list[Target]:
    """Host names or addresses (one or several) -> Targets, each resolved once."""
    if isinstance(hosts, (str, Target)):
        hosts = [hosts]
    return [h if isinstance(h, Target) else resolve(h, family, numeric) for h in hosts]


def _options(**keywords) -> PingOptions:
    """PingOptions from the CLI's values: interface a name or an address, pattern and tos as text too."""
    interface = keywords.pop("interface", None)
    if interface is not None and keywords.get("source") is None:
        keywords["source"], interface = parse_interface(interface)
    pattern, tos = keywords.get("pattern"), keywords.get("tos")
    if isinstance(pattern, str):
        keywords["pattern"] = parse_pattern(pattern)
    if isinstance(tos, str):
        keywords["tos"] = parse_tos(tos)
    try:
        return PingOptions(interface=interface, **keywords).validate()
    except TypeError as err:  # an unknown keyword: say which, as the CLI does for an unknown option
        raise UsageError(str(err).replace("PingOptions.__init__()", "ping"), "see help(netlab.ping.session)") from None


def session(hosts: str | Target | Iterable[str | Target], options: PingOptions | None = None, *,
            numeric: bool = False, **keywords) -> Session:
    """A ping session (ICMP, or TCP connect with ``tcp_port``): iterate ``run()``, then ``summaries()``.

    Keywords are PingOptions' fields: count (-c), interval (-i), timeout (-W),
    deadline (-w), size (-s), ttl (-t), tos (-Q), pmtudisc (-M), interface (-I),
    pattern (-p), flood (-f), family (4 or 6), outstanding (-O), tcp_port (--tcp),
    tcp_syn (--syn), audible (-a), adaptive (-A), broadcast (-b), strict_source (-B),
    so_debug (-d), ident (-e), flowlabel (-F), preload (-l), no_loop (-L), mark (-m),
    dont_route (-r), record_route (-R), timestamp (-T), prespec (-T tsprespec's hosts),
    sndbuf (-S), latency (-U), verbose (-v), report_interval (--summary-interval).
    A PingOptions may be given instead. Use it in a ``with`` block (or call
    ``close()``): it holds sockets.
    """
    if options is None:
        options = _options(**keywords)
    elif keywords:
        raise UsageError("give a PingOptions or keywords, not both", f"drop {', '.join(sorted(keywords))}")
    found = _targets(hosts, options.family, numeric)
    if options.tcp_syn:
        from netlab.ping.syn import SynPingSession

        return SynPingSession(found, options)
    if options.tcp_port is not None:
        from netlab.ping.tcp import TcpPingSession  # here: an ICMP ping need not load it

        return TcpPingSession(found, options)
    return PingSession(found, options)


def run(hosts: str | Target | Iterable[str | Target], **keywords) -> list[Summary]:
    """Ping until done and return one Summary per host (what the statistics lines say).

    Needs ``count`` or ``deadline``; the other keywords are session()'s.
    ``netlab.ping.exit_status(summaries, options)`` gives the CLI's verdict.
    """
    if keywords.get("count") is None and keywords.get("deadline") is None:
        raise UsageError("ping would never end", "give count= or deadline=")
    with session(hosts, **keywords) as pinger:
        for _ in pinger.run():
            pass
        return pinger.summaries()
