"""Launchers for the programs of runnable images that are not Python: each runs inside a pod's process (with the
pod network's layer installed), turns the Kubernetes addresses on its command line into the real local ones, and
execs the real program (see sandbox/runtime/catalogue.py)."""
