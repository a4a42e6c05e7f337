#!/bin/bash
# Build (once, cached by this recipe's hash) a Vagrant box for the libvirt provider: Debian 12
# with the lab's packages baked in (the VMs have no internet), booted by the host's Debian
# kernel (no bootloader in the image). Usage: build_box.sh CACHE_DIR  -> prints the .box path.
# Facts: ../shared/vagrant-libvirt.md.
set -euo pipefail
cache=${1:?usage: build_box.sh CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' | sort | tail -n 1)
version=${kernel#/boot/vmlinuz-}
key=$(cat "$here/build_box.sh" "$kernel" | sha256sum | cut -c1-16)
box="$cache/labtool-debian12-$key.box"
if [ -s "$box" ]; then echo "$box"; exit 0; fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
         echo http://deb.debian.org/debian)
packages=systemd-sysv,openssh-server,sudo,ifupdown,isc-dhcp-client,iproute2,python3,procps,
packages+=keepalived,haproxy,apache2,psmisc,curl,iptables,kmod,udev,dbus  # dbus: hostnamectl
debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >&2
# The vagrant user, Vagrant's well-known insecure key, passwordless sudo.
chroot "$root" useradd -m -s /bin/bash vagrant
install -d -m 700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
pub=$(find /usr/share -path '*vagrant*/keys/vagrant.pub' | head -n 1)
install -m 600 -o 1000 -g 1000 "$pub" "$root/home/vagrant/.ssh/authorized_keys"
echo "vagrant ALL=(ALL) NOPASSWD:ALL" > "$root/etc/sudoers.d/vagrant"
chmod 440 "$root/etc/sudoers.d/vagrant"
# Each VM its own identity: machine-id and SSH host keys made at first boot.
: > "$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
cat > "$root/etc/systemd/system/ssh-keygen-first-boot.service" <<'UNIT'
[Unit]
Description=SSH host keys at first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable ssh-keygen-first-boot.service >/dev/null 2>&1
# Installed but not running, as on a fresh EL system: provisioning starts what each role needs
# (apache2 left running on a load balancer would hold port 80 before HAProxy).
chroot "$root" systemctl disable apache2 haproxy keepalived >/dev/null 2>&1
printf 'auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n' \
    > "$root/etc/network/interfaces"
echo "/dev/vda / ext4 defaults 0 1" > "$root/etc/fstab"
echo "labtool-box" > "$root/etc/hostname"
mkdir -p "$root/lib/modules"
cp -a "/lib/modules/$version" "$root/lib/modules/"
chroot "$root" apt-get clean
truncate -s 4G "$work/disk.raw"
mkfs.ext4 -q -d "$root" "$work/disk.raw"
qemu-img convert -c -O qcow2 "$work/disk.raw" "$work/box.img"
echo '{"provider":"libvirt","format":"qcow2","virtual_size":4}' > "$work/metadata.json"
mkdir -p /var/lib/libvirt/boot
cp "$kernel" "/var/lib/libvirt/boot/labtool-vmlinuz-$version"
cp "/boot/initrd.img-$version" "/var/lib/libvirt/boot/labtool-initrd-$version"
cat > "$work/Vagrantfile" <<VAGRANT
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.kernel = "/var/lib/libvirt/boot/labtool-vmlinuz-$version"
    libvirt.initrd = "/var/lib/libvirt/boot/labtool-initrd-$version"
    libvirt.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0 biosdevname=0"
  end
end
VAGRANT
tar -C "$work" -czf "$box.tmp" metadata.json Vagrantfile box.img
mv "$box.tmp" "$box"
echo "$box"
