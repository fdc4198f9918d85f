"""The container runtime half of the kubelet: containers (and commands run in them) as local processes."""
