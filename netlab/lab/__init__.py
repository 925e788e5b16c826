"""Experiments on real kernel sockets (listen backlog, SO_REUSEADDR, ...), built on netlab.core.

Each experiment is an engine: it opens sockets (in a private network namespace
when it may), measures what the kernel does, and returns plain records. It
never prints; the CLI layer renders the records.
"""
