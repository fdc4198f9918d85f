"""The container-runtime half of the kubelet for containers that run as local processes: what a container's
environment and command line are, how its logs are kept and read, how one probe runs and what a probe's results
add up to, and when a container that stopped starts again; Python containers forked from a zygote that has
preloaded their modules (zygote.py). The kubelet's pod workers call these; nothing here imports the controllers
or the API server (see sandbox/ARCHITECTURE.md)."""
