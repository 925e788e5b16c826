"""Experiments on real kernel sockets (listen backlog, SO_REUSEADDR, ...), built on netlab.core.

Each experiment is an engine: it opens sockets (in a private network namespace
when it may), measures what the kernel does, and returns plain records. It
never prints; its text module makes the strings the CLI layer writes.

One package per experiment, with the helpers they share here once:

  backlog/     `netlab backlog`: probe points, the SYN queue, abort-on-overflow,
               the timeline, the watch of real listeners, the verdicts, text
  reuseaddr/   `netlab reuseaddr-demo`: scenarios, runners, sentences, checks,
               port search, the TIME-WAIT lifetime probe, text
  experiments/ `netlab lab`: one module per experiment of the study notes, its
               claims and their judges; the site, capture and ladder they share
  place.py     where an experiment runs: a private namespace or the current one
  settle.py    looking again (bounded) until the kernel has finished
  counters.py  TcpExt/Tcp counter deltas over an experiment
  serverproc.py  a tiny TCP server in its own process, to be killed by PID
"""
