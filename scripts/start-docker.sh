#!/usr/bin/env bash
# Start a Docker engine for the sandbox hosts when none is running. The engine gets no bridge
# network: sandbox containers use the host network and their own loopback ports.
set -euo pipefail

# Fifty systemd containers need more inotify instances than the default 128.
if [[ $(sysctl -n fs.inotify.max_user_instances) -lt 2048 ]]; then
  sysctl -q -w fs.inotify.max_user_instances=2048
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
mkdir -p /var/log
nohup dockerd --bridge=none --iptables=false --ip6tables=false >/var/log/labshift-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "the Docker engine did not start within 60 s; see /var/log/labshift-dockerd.log" >&2
exit 1
