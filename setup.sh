#!/bin/sh
# Set up labtool on a Debian machine, as root: the distribution's daemons and tools the lab
# runs, then labtool itself in .venv/, linked as /usr/local/bin/labtool. Safe to run again.
set -eu
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (e.g. sudo ./setup.sh): it installs packages" >&2
    exit 3
fi

# keepalived, haproxy, apache2: the lab's daemons. tini: PID 1 of each node. psmisc: killall
# (the lab's track_script). iproute2, util-linux, procps: namespaces, links, sysctl. curl: the
# client's requests. nftables: the split-brain scenario cuts VRRP on the LAN.
# Package shellcheck: tests check the node's systemctl script and the provisioning recipes.
# vagrant: `labtool vagrantfile` output is checked by the real `vagrant validate`.
# openssh-server: the SSH transport is tested against a real sshd inside a lab node.
# iputils-ping, vim: the lab's own commands on a bare node (ping the VIP, edit with vim).
# uidmap: newuidmap/newgidmap give a normal user's lab its range of ids (/etc/subuid).
# tmux: tests press Ctrl-C through a real terminal. chromium, fonts-liberation: tests open
# `labtool watch`'s page in a real (headless) browser and keep its screenshots.
# $LABTOOL_EXTRA_PACKAGES: more to install the same way (tests/e2e/setup.sh uses it).
PACKAGES="keepalived haproxy apache2 tini psmisc iproute2 util-linux procps curl nftables
          python3 python3-venv shellcheck vagrant openssh-server openssh-client iputils-ping vim
          tmux chromium fonts-liberation uidmap
          ${LABTOOL_EXTRA_PACKAGES:-}"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup.sh: installing$missing"
    apt-get update -qq
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test]'
ln -sf "$(pwd)/.venv/bin/labtool" /usr/local/bin/labtool
echo "setup.sh: labtool $(.venv/bin/labtool --version | cut -d' ' -f2) installed as /usr/local/bin/labtool"
