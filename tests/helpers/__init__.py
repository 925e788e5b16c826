"""What the tests share: env (paths, the CI rule), cli (run netlab), tcpdump (compare
with it), frames and pcapfile (build and read captures), recordings, traffic and
population (real traffic and sockets in namespaces), processes (what a test starts,
killed when it ends). Test modules import from here, never from each other."""
