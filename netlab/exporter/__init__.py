"""`netlab exporter`: netlab's readings for Prometheus.

config: the TOML file (probe modules and the allow-list of probe targets);
metrics: the collector that reads the kernel at scrape time (listeners,
socket counts, TcpExt counters, named processes, its own scrape time);
probe: /probe?target=&module=, on netlab's ping engine; server: the HTTP
server around them. The CLI (netlab/cli/exporter.py) only parses options.
"""
