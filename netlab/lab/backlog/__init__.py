"""`netlab backlog` as a Python API: what listen(backlog) and somaxconn do, measured.

    import netlab
    report = netlab.backlog.probe(backlogs=[0, 5, 128], somaxconns=[4096, 8])
    for point in report.points: ...

(``netlab.backlog`` is this package.) ``probe`` builds a Plan from its keywords
(or takes one: ``probe(Plan(...))``), checks it (resolve_plan), then runs the
experiments it asks for, each point on sockets opened for it alone (see
probes for where they live):

  connect            always: listen(b) without accept(), N loopback connects
  syn-queue          half-open SYNs fill the SYN queue, then N real connects
                     (needs privilege: raw socket and a private namespace)
  abort-on-overflow  handshakes completing against a full accept queue, with
                     tcp_abort_on_overflow 0 and 1 (needs privilege)
  timeline           a listener that accepts late; stuck clients' SYN retransmissions

and judges the study notes' claims against the points (verdicts).
The watch mode for real servers is netlab.lab.backlog.watch.
"""

import importlib

# Looked up on first use (PEP 562): `netlab backlog --watch` imports backlog.watch
# alone and does not pay for the probe engine's modules.
_EXPORTS = {"Plan": "plan", "resolve_plan": "plan", "ProbePoint": "probes", "Report": "engine",
            "listener_backlogs": "engine", "probe": "api"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
