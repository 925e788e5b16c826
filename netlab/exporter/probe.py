"""/probe?target=HOST&module=NAME: one blackbox-style probe on netlab's ping engine.

The answer is its own small registry (probe_success, probe_duration_seconds,
RTT and loss over the module's probes), as blackbox_exporter answers, so
Prometheus scrapes it with relabelling (deploy/prometheus.yml). A target
must resolve into the config's allow-list, checked on the address that is
probed: without that check the exporter would probe anything anyone asks.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from netlab.errors import NetlabError
from netlab.exporter.config import Config, Module


class Refused(Exception):
    """The request is not served: (HTTP status, one-line reason)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


def check(config: Config, target: str | None, module: str | None):
    """The module and the resolved Target of a request, or Refused."""
    from netlab.ping.resolve import resolve

    if not target:
        raise Refused(400, "target= is missing")
    if not module:
        raise Refused(400, "module= is missing")
    if module not in config.modules:
        known = ", ".join(sorted(config.modules)) or "none: give a --config with [modules.NAME]"
        raise Refused(400, f"unknown module {module!r} (modules: {known})")
    if not config.allow:
        raise Refused(403, "probing is off: the config has no [probe] allow list")
    if len(target) > 255:
        raise Refused(400, "target is too long")
    try:
        resolved = resolve(target, None, numeric=True)
    except NetlabError as err:
        raise Refused(400, f"target {target!r}: {err.message}") from None
    if not config.allowed(resolved.address):
        raise Refused(403, f"target {target!r} ({resolved.address}) is not in the allow list")
    return config.modules[module], resolved


class _Result(Collector):
    def __init__(self, families: list) -> None:
        self._families = families

    def collect(self):
        return iter(self._families)


def run(module: Module, target) -> CollectorRegistry:
    """Probe once (module.count probes) and return the registry /probe answers with."""
    from netlab.ping.api import session

    started = time.perf_counter()
    keywords = dict(count=module.count, interval=module.interval, timeout=module.timeout,
                    deadline=module.longest_s + 1, keep_replies=False)
    if module.prober == "tcp":
        keywords["tcp_port"] = module.port
    with session(target, **keywords) as pinger:
        for _ in pinger.run():
            pass
        [summary] = pinger.summaries()
    elapsed = time.perf_counter() - started

    def gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, help_text, value=value)

    families = [
        gauge("probe_success", "1 if at least one probe was answered, else 0.", int(summary.received > 0)),
        gauge("probe_duration_seconds", "How long the probe took, all its probes included.", elapsed),
        gauge("probe_packets_sent", "Probes sent (ICMP echo requests or TCP connects).", summary.transmitted),
        gauge("probe_packets_received", "Probes answered.", summary.received),
        gauge("probe_loss_ratio", "Share of the probes not answered, 0 to 1.", summary.loss_pct / 100.0),
    ]
    if summary.rtt_avg_us is not None:
        rtt = GaugeMetricFamily("probe_rtt_seconds", "Round-trip time over the answered probes.", labels=["stat"])
        for stat, us in (("min", summary.rtt_min_us), ("avg", summary.rtt_avg_us), ("max", summary.rtt_max_us),
                         ("mdev", summary.rtt_mdev_us)):
            rtt.add_metric([stat], us / 1e6)
        families.append(rtt)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Result(families))
    return registry
