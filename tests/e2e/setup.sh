#!/bin/sh
# What the end-to-end test on real VMs needs, on a Debian 12 machine, as root: libvirt, QEMU
# (software emulation), vagrant-libvirt, and debootstrap plus a kernel for the box it builds
# (../shared/vagrant-libvirt.md). Nothing is started here: the test starts libvirt's daemons
# itself, inside a network namespace of its own. Safe to run again.
set -eu
PACKAGES="vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients dnsmasq-base
          qemu-system-x86 qemu-utils debootstrap linux-image-amd64"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "tests/e2e/setup.sh: installing$missing"
    apt-get update -qq
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
