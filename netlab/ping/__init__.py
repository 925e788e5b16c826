"""netlab's ping engine: ICMP (datagram or raw sockets) and TCP connect ping.

Use it from Python::

    from netlab.ping import PingOptions, resolve, session
    pinger = session([resolve("127.0.0.1")], PingOptions(count=3, interval=0.2).validate())
    for event in pinger.run():
        ...
    print(pinger.summaries()[0].as_dict())
    pinger.close()

``session()`` returns a PingSession (ICMP) or, with ``tcp_port`` set, a
TcpPingSession; both are a ``Session``. ``pinger.exit_status()`` (or
``exit_status(summaries, options)``) is the verdict `netlab ping` exits with:
ExitStatus.OK or ExitStatus.NEGATIVE, by iputils' rule.
"""

from netlab.ping.engine import PingSession
from netlab.ping.options import PingOptions
from netlab.ping.records import NoAnswerYet, ProbeError, Reply, Progress, StatusRequest, Summary, Target, Timeout
from netlab.ping.resolve import resolve
from netlab.ping.base import Session, exit_status
from netlab.ping.tcp import TcpPingSession


def session(targets: list[Target], options: PingOptions) -> Session:
    """The session the options ask for: TCP connect probes with --tcp, ICMP echo otherwise."""
    if options.tcp_port is not None:
        return TcpPingSession(targets, options)
    return PingSession(targets, options)


__all__ = ["PingOptions", "Session", "session", "exit_status", "PingSession", "TcpPingSession", "resolve", "Target", "Reply",
           "ProbeError", "Timeout", "NoAnswerYet", "Progress", "StatusRequest", "Summary"]
