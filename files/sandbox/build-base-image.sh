#!/usr/bin/env bash
# Build the Debian 12 systemd base image that sandbox hosts and molecule scenarios run on.
# The image is built locally with debootstrap because no image registry is reachable from the lab CI.
# Usage: build-base-image.sh [TAG]   (default labshift/debian12-systemd:1; rebuilt only when missing)
set -euo pipefail

tag=${1:-labshift/debian12-systemd:1}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag already present"
  exit 0
fi

# Use the same Debian mirror as the machine itself, read at run time.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [[ -z "$mirror" ]]; then
  mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
if [[ -z "$mirror" ]]; then
  echo "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
  exit 1
fi

root=$(mktemp -d /var/tmp/labshift-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-apt,systemd,systemd-sysv,dbus,ca-certificates,openssh-server,sudo,iproute2,gnupg,curl,procps,kmod \
  bookworm "$root" "$mirror"

# Containers reach the package registries through the host network, with the machine's mirror.
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" > "$root/etc/apt/sources.list"
# systemd units that cannot work inside a container are masked so the image boots to a clean state.
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
            getty@tty1.service console-getty.service systemd-logind.service sys-kernel-config.mount \
            systemd-modules-load.service systemd-remount-fs.service ssh.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
apt-get -o Dir="$root" clean 2>/dev/null || rm -rf "$root"/var/cache/apt/archives/*.deb

tar -C "$root" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - "$tag"
echo "built base image $tag"
