"""Each judge of `netlab lab`, fed evidence where its claim holds and evidence where it does not.

The evidence is what the experiment's measure() returns (the same keys); here it
is written by hand, so every verdict a judge can give is seen at least once.
"""

from __future__ import annotations

import re

import pytest

from netlab.lab import experiments
from netlab.lab.experiments import boundaries, handshake, teardown, udp
from netlab.lab.experiments.record import DEPENDS, FAILS, HOLDS, PARTLY, UNMEASURED, VERDICTS, judge
from tests.helpers.env import SHARED

J, K = 1000, 5000
C, S = 40000, 8001


def seg(t, sport, dport, flags, seq, ack, payload=0):
    return {"t_ms": t, "proto": "tcp", "sport": sport, "dport": dport, "flags": flags, "seq": seq, "ack": ack,
            "payload": payload}


def handshake_evidence(**change):
    ev = {"client_port": C, "server_port": S, "data_sent": 5, "data_received": 5, "j": J, "k": K,
          "calls_ms": {"connect_called": 0.0, "connect_returned": 0.09, "accept_called": -20.0, "accept_returned": 0.2},
          "segments": [seg(0.05, C, S, "S", J, 0), seg(0.06, S, C, "S.", K, J + 1), seg(0.07, C, S, ".", J + 1, K + 1),
                       seg(1.0, C, S, "P.", J + 1, K + 1, 5), seg(1.01, S, C, ".", K + 1, J + 6)]}
    ev.update(change)
    return ev


def test_handshake_numbers_hold_on_sin_j_k_and_fail_on_other_numbers():
    assert handshake.judge_numbers(handshake_evidence())[0] == HOLDS
    bad = handshake_evidence()
    bad["segments"][1] = seg(0.06, S, C, "S.", K, J + 2)
    assert handshake.judge_numbers(bad)[0] == FAILS
    assert handshake.judge_numbers(handshake_evidence(segments=None))[0] == UNMEASURED


def test_connect_and_accept_returns_are_judged_against_the_segment_times():
    assert handshake.judge_connect(handshake_evidence())[0] == HOLDS
    assert handshake.judge_accept(handshake_evidence())[0] == HOLDS
    early = handshake_evidence(calls_ms={"connect_called": 0.0, "connect_returned": 0.055, "accept_called": -1.0,
                                         "accept_returned": 0.065})
    assert handshake.judge_connect(early)[0] == FAILS
    assert handshake.judge_accept(early)[0] == FAILS
    verdict, why = handshake.judge_connect(handshake_evidence())
    assert "after the third too" in why


def test_data_ack_is_seq_plus_bytes_not_plus_one():
    verdict, why = handshake.judge_data_ack(handshake_evidence())
    assert verdict == FAILS and "S+5" in why
    plus_one = handshake_evidence()
    plus_one["segments"][4] = seg(1.01, S, C, ".", K + 1, J + 7)
    assert handshake.judge_data_ack(plus_one)[0] == HOLDS


def close_run(port, segments, wait_ms=0.0, read=0, states=(), before=None):
    return {"client_port": port, "server_wait_ms": wait_ms, "read_returned": read, "states_after": list(states),
            "close_segments": segments, "states_before_server_close": before or {}}


X, Y = 2000, 7000
THREE = [seg(0.0, C, S, "F.", X, Y), seg(0.1, S, C, "F.", Y, X + 1), seg(0.2, C, S, ".", X + 1, Y + 1)]
FOUR = [seg(0.0, C + 1, S, "F.", X, Y), seg(0.3, S, C + 1, ".", Y, X + 1), seg(200.0, S, C + 1, "F.", Y, X + 1),
        seg(200.1, C + 1, S, ".", X + 1, Y + 1)]
NOTES_FOUR = [seg(0.0, C + 1, S, "F.", X, Y), seg(0.3, S, C + 1, ".", Y, X + 1), seg(200.0, S, C + 1, "F.", Y + 1, X + 1),
              seg(200.1, C + 1, S, ".", X + 1, Y + 2)]


CROSSED = {"client_port": C + 3, "path": [{"t_ms": 3.0, "states": {"client": "CLOSING", "server": "FIN-WAIT-2"}},
                                         {"t_ms": 200.0, "states": {"client": "TIME-WAIT", "server": "TIME-WAIT"}}]}


def teardown_evidence(prompt=THREE, late=FOUR, states=None, half=None, unread=None, together=CROSSED):
    tw = [{"local_port": C, "remote_port": S, "state": "TIME-WAIT", "timer_ms": 59990.0}]
    return {"server_port": S,
            "prompt": close_run(C, prompt, states=tw if states is None else states),
            "late": close_run(C + 1, late, 200.0, before={"client": "FIN-WAIT-2", "server": "CLOSE-WAIT"}),
            "simultaneous": together,
            "half_close": half or {"server_read": 0, "server_sent": 10, "client_received": 10},
            "unread": unread or {"client_port": C + 2, "unread_bytes": 10, "client_recv": "ECONNRESET",
                                 "segments": [seg(13.0, S, C + 2, "R.", Y, X)]}}


def test_four_segments_depends_on_when_the_peer_closes():
    assert teardown.judge_four(teardown_evidence())[0] == DEPENDS
    assert teardown.judge_four(teardown_evidence(prompt=FOUR))[0] == HOLDS
    assert teardown.judge_four(teardown_evidence(late=THREE))[0] == PARTLY
    assert teardown.judge_four(teardown_evidence(prompt=None))[0] == UNMEASURED


def test_yyyy_plus_2_fails_on_the_wire_and_holds_on_the_notes_numbers():
    verdict, why = teardown.judge_fin_numbers(teardown_evidence())
    assert verdict == FAILS and "yyyy+1" in why
    assert teardown.judge_fin_numbers(teardown_evidence(late=NOTES_FOUR))[0] == HOLDS
    assert teardown.judge_fin_plus_one(teardown_evidence())[0] == HOLDS
    plus_two = FOUR[:3] + [seg(200.1, C + 1, S, ".", X + 1, Y + 2)]
    assert teardown.judge_fin_plus_one(teardown_evidence(late=plus_two))[0] == FAILS


def test_one_side_passive_depends_on_who_closes_first():
    verdict, why = teardown.judge_active_passive(teardown_evidence())
    assert verdict == DEPENDS and "CLOSE-WAIT" in why and "CLOSING -> TIME-WAIT" in why
    plain = {"client_port": C + 3, "path": [{"t_ms": 3.0, "states": {"client": "FIN-WAIT-2", "server": "CLOSE-WAIT"}}]}
    assert teardown.judge_active_passive(teardown_evidence(together=plain))[0] == HOLDS
    assert teardown.judge_active_passive(teardown_evidence(together=None))[0] == UNMEASURED


def test_time_wait_side_read_zero_half_close_and_unread():
    assert teardown.judge_time_wait(teardown_evidence())[0] == HOLDS
    server_tw = [{"local_port": S, "remote_port": C, "state": "TIME-WAIT", "timer_ms": 59990.0}]
    assert teardown.judge_time_wait(teardown_evidence(states=server_tw))[0] == FAILS
    assert teardown.judge_time_wait(teardown_evidence(states=[]))[0] == FAILS
    waited = teardown_evidence()
    waited["prompt"]["time_wait_lasted_ms"] = 60012.5
    verdict, why = teardown.judge_time_wait(waited)
    assert verdict == HOLDS and "lasted 60.0 s" in why
    assert teardown.judge_read_zero(teardown_evidence())[0] == HOLDS
    ev = teardown_evidence()
    ev["prompt"]["read_returned"] = 3
    assert teardown.judge_read_zero(ev)[0] == FAILS
    assert teardown.judge_half_close(teardown_evidence())[0] == HOLDS
    assert teardown.judge_half_close(teardown_evidence(half={"server_read": 0, "server_sent": 10,
                                                             "client_received": 0}))[0] == FAILS
    verdict, why = teardown.judge_unread(teardown_evidence())
    assert verdict == HOLDS and "RST" in why
    fin = {"client_port": C + 2, "unread_bytes": 10, "client_recv": "returned 0",
           "segments": [seg(13.0, S, C + 2, "F.", Y, X)]}
    assert teardown.judge_unread(teardown_evidence(unread=fin))[0] == FAILS


def boundaries_evidence(reads=(11,), big_reads=5, udp_reads=(3, 3, 5), zero_readable=False, zero_received=0):
    return {"tcp": {"sends": [3, 3, 5], "reads": list(reads), "big_send": 262144, "big_reads": big_reads,
                    "segment_sizes": [3, 3, 5], "zero_send_returned": 0, "zero_send_readable": zero_readable,
                    "zero_send_segments": 0},
            "udp": {"sends": [3, 3, 5], "reads": list(udp_reads), "zero_received": zero_received,
                    "datagrams": [3, 3, 5, 0]}}


def test_boundaries_judges():
    assert boundaries.judge_tcp_stream(boundaries_evidence())[0] == HOLDS
    assert boundaries.judge_tcp_stream(boundaries_evidence(reads=(3, 3, 5), big_reads=1))[0] == FAILS
    assert boundaries.judge_udp(boundaries_evidence())[0] == HOLDS
    assert boundaries.judge_udp(boundaries_evidence(udp_reads=(11,)))[0] == FAILS
    assert boundaries.judge_zero(boundaries_evidence())[0] == HOLDS
    assert boundaries.judge_zero(boundaries_evidence(zero_received=None))[0] == FAILS
    assert boundaries.judge_zero(boundaries_evidence(zero_readable=True))[0] == FAILS


def udp_evidence(**change):
    ev = {"name_before_sendto": "0.0.0.0:0", "sendto_returned": 5, "name_after_sendto": "0.0.0.0:41000",
          "peer_after_sendto": "ENOTCONN", "stranger_to_unconnected": "returned 8", "closed_port": 50000,
          "peer_after_connect": "127.0.0.1:50000", "stranger_to_connected": "timed out",
          "connected_recv_after_unreachable": "ECONNREFUSED", "unconnected_recv_after_unreachable": "timed out",
          "first_datagram_source": "127.0.0.1:41000", "packets_during_connect": 0, "icmp_unreachable": 2}
    ev.update(change)
    return ev


def test_udp_judges():
    assert udp.judge_source_port(udp_evidence())[0] == PARTLY
    assert udp.judge_source_port(udp_evidence(name_after_sendto="127.0.0.1:41000"))[0] == HOLDS
    assert udp.judge_source_port(udp_evidence(name_after_sendto="0.0.0.0:0"))[0] == FAILS
    assert udp.judge_connect(udp_evidence())[0] == PARTLY
    assert udp.judge_connect(udp_evidence(packets_during_connect=1))[0] == FAILS
    assert udp.judge_connect(udp_evidence(packets_during_connect=None))[0] == UNMEASURED
    assert udp.judge_connect(udp_evidence(connected_recv_after_unreachable="timed out",
                                          stranger_to_connected="returned 8"))[0] == HOLDS
    assert udp.judge_three_steps(udp_evidence())[0] == HOLDS
    assert udp.judge_three_steps(udp_evidence(peer_after_sendto="127.0.0.1:9"))[0] == FAILS


def _spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", experiments.NAMES)
def test_every_quote_is_the_notes_own_words(name):
    """Each fragment of a quote (between '…') is in its seed file, spaces aside."""
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"no study notes at {seeds}")
    experiment = experiments.get(name)
    assert experiment.claims
    for claim in experiment.claims:
        assert claim.claim and callable(claim.judge)
        notes = _spaced((seeds / claim.seed).read_text(encoding="utf-8"))
        for fragment in claim.quote.split(" … "):
            assert _spaced(fragment) in notes, (claim.claim_id, fragment)


def test_a_judge_that_answers_outside_the_vocabulary_is_a_bug():
    claim = experiments.get("handshake").claims[0]
    odd = type(claim)(claim.claim_id, claim.seed, claim.quote, claim.claim, lambda ev: ("maybe", "?"))
    with pytest.raises(ValueError):
        judge(odd, {})
    assert set(VERDICTS) == {"holds", "partly_holds", "does_not_hold", "not_measured", "depends"}


def byteorder_evidence(**change):
    from netlab.lab.experiments.byteorder import Sockaddr, SockaddrIn, _layout

    ev = {"machine": "x86_64", "byteorder": "little", "port": 8001, "port_host_bytes": "41 1f",
          "port_network_bytes": "1f 41", "htons": 16671, "htons_bytes": "1f 41", "ntohs_of_htons": 8001,
          "wire_port_bytes": "1f 41", "wire_dst_addr_bytes": "7f 00 00 01", "inet_aton": "c0 a8 06 de",
          "inet_pton": "c0 a8 06 de", "inet_ntoa": "192.168.6.222", "loopback_aton": "7f 00 00 01",
          "ctypes_sockaddr_in": {"size": 16, "fields": _layout(SockaddrIn)},
          "ctypes_sockaddr": {"size": 16, "fields": _layout(Sockaddr)},
          "kernel_sockaddr_in_len": 16, "kernel_sockaddr_in_bytes": "02 00 1f 41 7f 00 00 01 00 00 00 00 00 00 00 00",
          "kernel_family_first_2_bytes": 2, "af_inet": 2, "inaddr_any": 0, "accepted_local": "127.0.0.1:8001"}
    ev.update(change)
    return ev


def test_byteorder_judges():
    from netlab.lab.experiments import byteorder as b

    ev = byteorder_evidence()
    assert b.judge_network_order(ev)[0] == HOLDS
    assert b.judge_network_order(byteorder_evidence(wire_port_bytes="41 1f"))[0] == FAILS
    assert b.judge_network_order(byteorder_evidence(wire_port_bytes=None))[0] == UNMEASURED
    assert b.judge_x86(ev)[0] == HOLDS
    assert b.judge_x86(byteorder_evidence(byteorder="big"))[0] == FAILS
    assert b.judge_x86(byteorder_evidence(machine="aarch64"))[0] == UNMEASURED
    assert b.judge_htons(ev)[0] == HOLDS
    assert b.judge_htons(byteorder_evidence(htons_bytes="41 1f"))[0] == FAILS
    assert b.judge_inet_aton(ev)[0] == HOLDS
    assert b.judge_inet_aton(byteorder_evidence(inet_aton="de 06 a8 c0"))[0] == FAILS
    verdict, why = b.judge_sockaddr_in(ev)
    assert verdict == FAILS and "16 bytes, not 22" in why
    notes_layout = {"sin_len": {"offset": 0, "size": 4}, "sin_family": {"offset": 4, "size": 4},
                    "sin_port": {"offset": 8, "size": 2}, "sin_addr": {"offset": 10, "size": 4},
                    "sin_zero": {"offset": 14, "size": 8}}
    bsd = byteorder_evidence(ctypes_sockaddr_in={"size": 22, "fields": notes_layout}, kernel_sockaddr_in_len=22)
    assert b.judge_sockaddr_in(bsd)[0] == HOLDS
    assert b.judge_sin_len(ev)[0] == HOLDS
    assert b.judge_sin_len(bsd)[0] == FAILS
    assert b.judge_sa_data(ev)[0] == HOLDS
    assert b.judge_sa_data(bsd)[0] == FAILS
    assert b.judge_inaddr_any(ev)[0] == HOLDS
    assert b.judge_inaddr_any(byteorder_evidence(accepted_local="0.0.0.0:8001"))[0] == FAILS


def test_socket_call_judges():
    from netlab.lab.experiments import socketcall as s

    def row(domain, kind, result="fd", protocol=None, asked=0):
        return {"domain": domain, "type": kind, "protocol_asked": asked, "result": result, "protocol": protocol}

    linux = {"sockets": [row("AF_INET", "SOCK_STREAM", protocol="tcp"), row("AF_INET", "SOCK_DGRAM", protocol="udp"),
                         row("AF_INET", "SOCK_RAW", "EPROTONOSUPPORT")]}
    assert s.judge_defaults(linux)[0] == HOLDS
    assert s.judge_deprecated(linux)[0] == FAILS
    other = {"sockets": [row("AF_INET", "SOCK_STREAM", protocol="sctp"), row("AF_INET", "SOCK_DGRAM", protocol="udp")]}
    assert s.judge_defaults(other)[0] == FAILS
    gone = {"sockets": [row("AF_INET", "SOCK_STREAM", "EINVAL"), row("AF_INET", "SOCK_DGRAM", "EINVAL")]}
    assert s.judge_deprecated(gone)[0] == HOLDS


def buffers_evidence(send_q=32768, blocked_ms=210.0, outcome="returned 57344", read_back=(49152, 196608),
                     received=45056, unsent=32768):
    rows = [{"option": name, "default": 16384, "set": size, "read_back": back}
            for name in ("SO_SNDBUF", "SO_RCVBUF") for size, back in zip((24576, 98304), read_back)]
    return {"fill": {"write_accepted_bytes": 45056, "client_send_q": send_q, "server_recv_q": 16384},
            "blocking_write": {"asked_bytes": 8388608, "outcome": outcome, "blocked_ms": blocked_ms,
                               "sndtimeo_ms": 200.0},
            "close_with_unsent": {"write_accepted_bytes": 45056, "send_q_at_close": unsent,
                                  "peer_received_bytes": received, "peer_read_end": "EOF"},
            "set_and_read": rows}


def test_buffers_judges():
    from netlab.lab.experiments import buffers as b

    assert b.judge_write_returns(buffers_evidence())[0] == HOLDS
    assert b.judge_write_returns(buffers_evidence(send_q=0))[0] == FAILS
    assert b.judge_blocks(buffers_evidence())[0] == HOLDS
    assert b.judge_blocks(buffers_evidence(blocked_ms=3.0, outcome="returned 8388608"))[0] == FAILS
    verdict, why = b.judge_sndbuf(buffers_evidence())
    assert verdict == HOLDS and "doubles" in why
    assert b.judge_sndbuf(buffers_evidence(read_back=(131072, 131072)))[0] == FAILS
    assert b.judge_sent_after_close(buffers_evidence())[0] == HOLDS
    assert b.judge_sent_after_close(buffers_evidence(received=16384))[0] == FAILS
    assert b.judge_sent_after_close(buffers_evidence(unsent=0))[0] == PARTLY


def point(backlog, somaxconn, effective, accept_queue, syn_sent, connects=12):
    return {"mode": "connect", "backlog": backlog, "somaxconn": somaxconn, "effective_backlog": effective,
            "connects": connects, "established": accept_queue, "syn_sent": syn_sent, "accept_queue": accept_queue,
            "syn_recv": 0, "counters": {}, "syncookies": 1, "max_syn_backlog": 2048, "abort_on_overflow": 0}


def client_events(*pairs):
    return [{"client": i, "local_port": 40000 + i, "established_ms": est, "accepted_ms": acc, "syn_retransmits": 0,
             "retransmit_ms": []} for i, (est, acc) in enumerate(pairs)]


def queue_timeline(events=None):
    return {"backlog": 1, "effective_backlog": 1, "clients": 4, "accept_delay_ms": 400.0, "duration_ms": 1031.0,
            "counters": {}, "events": events or client_events((4.0, 400.6), (4.0, 400.6), (1031.0, 1030.9),
                                                              (1031.0, 1030.9))}


def listen_evidence(**change):
    ev = {"descriptors": {"listener_fd": 4, "accepted_fd": 6, "client_fd_before_connect": 5,
                          "client_fd_after_connect": 5, "listener_state_after_accept": ["LISTEN"],
                          "listener_readable": {"no_client": False, "client_waiting": True, "after_accept": False}},
          "served_at_once": {"backlog": 1, "clients": 6, "answered": 6, "server_connections_open_at_once": 6},
          "backlog_points": [point(1, 4096, 1, 2, 10), point(16, 8, 8, 9, 3)],
          "queue_timeline": queue_timeline(),
          "default_backlogs": [{"who": "Python socket.listen()", "backlog": 128},
                               {"who": "Python socketserver.TCPServer", "backlog": 5},
                               {"who": "Python asyncio.start_server()", "backlog": 100},
                               {"who": "net.core.somaxconn", "backlog": 4096}]}
    ev.update(change)
    return ev


def test_listen_accept_judges():
    from netlab.lab.experiments import listen_accept as la

    assert la.judge_new_fd(listen_evidence())[0] == HOLDS
    same = listen_evidence()
    same["descriptors"] = {**same["descriptors"], "listener_state_after_accept": []}
    assert la.judge_new_fd(same)[0] == FAILS
    assert la.judge_readable(listen_evidence())[0] == HOLDS
    never = listen_evidence()
    never["descriptors"] = {**never["descriptors"], "listener_readable": {"no_client": False, "client_waiting": False,
                                                                          "after_accept": False}}
    assert la.judge_readable(never)[0] == FAILS
    assert la.judge_concurrency_bound(listen_evidence())[0] == FAILS
    bound = listen_evidence(served_at_once={"backlog": 1, "clients": 6, "answered": 2,
                                            "server_connections_open_at_once": 2})
    assert la.judge_concurrency_bound(bound)[0] == HOLDS
    somaxconn = next(c for c in la.EXPERIMENT.claims if c.claim_id == "somaxconn_cap").judge
    assert somaxconn(listen_evidence())[0] == HOLDS
    assert somaxconn(listen_evidence(backlog_points=[point(16, 8, 16, 17, 0)]))[0] == FAILS
    queues = next(c for c in la.EXPERIMENT.claims if c.claim_id == "queues_sum").judge
    assert queues(listen_evidence())[0] == FAILS
    assert queues(listen_evidence(backlog_points=[point(1, 4096, 1, 1, 11)]))[0] == HOLDS


def test_accept_dequeues_and_the_queue_picture():
    from netlab.lab.experiments import listen_accept as la

    verdict, why = la.judge_accept_dequeues(listen_evidence())
    assert verdict == HOLDS and "2 queued" in why and "1031" in why
    stuck = queue_timeline(client_events((4.0, None), (4.0, None), (None, None), (None, None)))
    assert la.judge_accept_dequeues(listen_evidence(queue_timeline=stuck))[0] == FAILS
    never = queue_timeline(client_events((4.0, 400.6), (4.0, 400.6), (None, None), (None, None)))
    assert la.judge_accept_dequeues(listen_evidence(queue_timeline=never))[0] == PARTLY
    picture = la.queue_picture(queue_timeline()).splitlines()
    queue = next(line for line in picture if line.startswith("queue"))
    assert "2" in queue and queue.rstrip().endswith("0")
    assert picture[-1].startswith("client 3") and picture[-1].rstrip().endswith("#") and "q" not in picture[-1]


def test_usually_five_is_judged_on_the_stated_sample_only():
    from netlab.lab.experiments import listen_accept as la

    verdict, why = la.judge_usually_five(listen_evidence())
    assert verdict == PARTLY and "1 uses 5" in why and "4096" in why
    fives = [{"who": f"server {n}", "backlog": 5} for n in range(3)] + [{"who": "x", "backlog": 128}]
    assert la.judge_usually_five(listen_evidence(default_backlogs=fives))[0] == HOLDS
    assert la.judge_usually_five(listen_evidence(default_backlogs=[{"who": "x", "backlog": 128}]))[0] == FAILS
    assert la.judge_usually_five(listen_evidence(default_backlogs=[]))[0] == UNMEASURED


def reuse_rows(new_only_bind="EADDRINUSE", both_bind="ok", plain_bind="EADDRINUSE"):
    rows = []
    for scenario, states in (("server-killed", ["server:FIN-WAIT-2", "client:CLOSE-WAIT"]),
                             ("server-closes-first", ["server:TIME-WAIT"])):
        for old, new, bind in ((False, False, plain_bind), (False, True, new_only_bind), (True, True, both_bind)):
            rows.append({"scenario": scenario, "old_reuseaddr": old, "new_reuseaddr": new, "old_states": states,
                         "bind": bind, "listen": "ok" if bind == "ok" else None})
    return {"rows": rows}


def test_reuseaddr_judges_say_which_socket_needs_the_flag():
    from netlab.lab.experiments import reuseaddr as r

    assert r.judge_restart_fails(reuse_rows())[0] == HOLDS
    assert r.judge_restart_fails(reuse_rows(plain_bind="ok"))[0] == FAILS
    verdict, why = r.judge_before_bind(reuse_rows())
    assert verdict == PARTLY and "old server socket" in why
    assert r.judge_before_bind(reuse_rows(new_only_bind="ok"))[0] == HOLDS
    assert r.judge_time_wait(reuse_rows(both_bind="EADDRINUSE"))[0] == FAILS
    assert r.judge_time_wait({"rows": []})[0] == UNMEASURED


def server_run(kind, latencies, hold=100.0):
    return {"server": kind, "clients": len(latencies), "hold_ms": hold, "latencies_ms": latencies,
            "answered": len(latencies), "served_at_once": sum(1 for x in latencies if x < 2 * hold), "errors": []}


def test_concurrency_judges():
    from netlab.lab.experiments import concurrency as c

    serial, parallel = [101.0, 201.0, 302.0, 403.0], [101.0, 102.0, 103.0, 104.0]
    measured = {"servers": [server_run("iterative", serial), server_run("fork", parallel),
                            server_run("thread", parallel), server_run("select", parallel)]}
    verdict, why = c.judge_one_at_a_time(measured)
    assert verdict == DEPENDS and "iterative" in why
    assert c.judge_one_at_a_time({"servers": [server_run(k, serial) for k in c.SERVERS]})[0] == HOLDS
    assert c.judge_one_at_a_time({"servers": [server_run(k, parallel) for k in c.SERVERS]})[0] == FAILS
    assert c.judge_threads_processes(measured)[0] == HOLDS
    no_fork = {"servers": [server_run("fork", serial), server_run("thread", parallel)]}
    assert c.judge_threads_processes(no_fork)[0] == PARTLY
    assert c.judge_threads_processes({"servers": [server_run(k, serial) for k in c.SERVERS]})[0] == FAILS
