"""Socket experiments (backlog, reuseaddr, ...) built on netlab.core; each returns plain records."""
