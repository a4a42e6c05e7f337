#!/bin/sh
# What the end-to-end test on real VMs needs, on a Debian 12 machine, as root: libvirt, QEMU
# (software emulation), vagrant-libvirt, and debootstrap plus a kernel for the box it builds
# (../shared/vagrant-libvirt.md), installed by the project's setup.sh with the rest. Nothing is
# started here: the test starts libvirt's daemons itself, inside a network namespace of its
# own. Safe to run again.
set -eu
LABTOOL_EXTRA_PACKAGES="vagrant-libvirt libvirt-daemon-system libvirt-clients dnsmasq-base
    qemu-system-x86 qemu-utils debootstrap linux-image-amd64" \
    exec "$(dirname "$0")/../../setup.sh"
