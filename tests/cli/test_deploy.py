"""deploy/: the Prometheus config and alert rules are what promtool accepts, and the alerts fire when they should."""

from __future__ import annotations

import subprocess
import textwrap

from tests.helpers.env import ROOT, require_tool

DEPLOY = ROOT / "deploy"


def promtool(*args: str, cwd=DEPLOY) -> subprocess.CompletedProcess:
    require_tool("promtool")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_the_scrape_config_and_rules_are_valid():
    for args in (("check", "config", "prometheus.yml"), ("check", "rules", "netlab-alerts.yml")):
        proc = promtool(*args)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_alerts_fire_on_a_full_queue_and_rising_overflows(tmp_path):
    """promtool's rule test: a queue full for 2 minutes fires after 1; overflows rising fire, flat ones do not."""
    (tmp_path / "netlab-alerts.yml").write_text((DEPLOY / "netlab-alerts.yml").read_text())
    (tmp_path / "test.yml").write_text(textwrap.dedent("""\
        rule_files: [netlab-alerts.yml]
        evaluation_interval: 15s
        tests:
          - interval: 15s
            input_series:
              - series: 'netlab_tcp_listener_accept_queue_full{instance="h1:10077",address="0.0.0.0",port="80",process="nginx"}'
                values: '0 0 1x12'
              - series: 'netlab_tcpext_listen_overflows_total{instance="h1:10077"}'
                values: '0+10x60'
              - series: 'netlab_tcpext_listen_overflows_total{instance="h2:10077"}'
                values: '5x60'
            alert_rule_test:
              - eval_time: 45s
                alertname: NetlabAcceptQueueFull
                exp_alerts: []
              - eval_time: 2m30s
                alertname: NetlabAcceptQueueFull
                exp_alerts:
                  - exp_labels: {severity: critical, instance: "h1:10077", address: "0.0.0.0", port: "80", process: nginx}
                    exp_annotations:
                      summary: "accept queue full on h1:10077 0.0.0.0:80 (nginx)"
                      description: "The listener's accept queue has been over its backlog for 1 minute. Look at netlab_tcp_listener_backlog_connections (listen() backlog, capped by net.core.somaxconn) and at the server's accept loop; `netlab backlog --watch 1 -p PORT` on the host shows it live."
              - eval_time: 12m
                alertname: NetlabListenOverflowsRising
                exp_alerts:
                  - exp_labels: {severity: warning, instance: "h1:10077"}
                    exp_annotations:
                      summary: "ListenOverflows rising on h1:10077: 200 in 5m"
                      description: "TcpExt ListenOverflows rose over the last 5 minutes: some listener's accept queue overflowed, in bursts if netlab_tcp_listener_accept_queue_full is 0 now. netlab_tcp_listener_accept_queue_connections shows which listener fills up."
        """))
    proc = promtool("test", "rules", "test.yml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_systemd_unit_is_valid(tmp_path):
    require_tool("systemd-analyze")
    unit = (DEPLOY / "netlab-exporter.service").read_text()
    # systemd-analyze wants the ExecStart binary to exist: any will do for checking the unit
    (tmp_path / "netlab-exporter.service").write_text(unit.replace("/usr/local/bin/netlab", "/bin/true"))
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "netlab-exporter.service")],
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in proc.stderr.splitlines() if "netlab-exporter.service" in line]
    assert not problems, proc.stderr
