#!/bin/bash
# labtool provisioning recipe: CentOS 7 (yum), the lab's own system. Usage: centos7.sh lb|web|client
set -euo pipefail
ROLE=${1:?usage: centos7.sh lb|web|client}
LB_PACKAGES="keepalived haproxy psmisc python3"  # psmisc: killall (track_script); python3: the probe agent
WEB_PACKAGES="httpd"
CLIENT_PACKAGES="curl python3"  # python3: the probe agent
# shellcheck source=provision/common.sh
. "$(dirname "$0")/common.sh"

# CentOS 7 is past its end of life: mirrorlist.centos.org is gone and yum fails. The packages
# are kept on vault.centos.org: point the repositories there, before any yum install.
if grep -qs '^mirrorlist=' /etc/yum.repos.d/CentOS-*.repo; then
    sed -i -e 's/^mirrorlist=/#mirrorlist=/' \
        -e 's|^#\{0,1\}baseurl=http://mirror.centos.org|baseurl=http://vault.centos.org|' \
        /etc/yum.repos.d/CentOS-*.repo
    yum clean all -q
    changed "yum repositories switched to vault.centos.org (CentOS 7 is past end of life)"
else
    ok "yum repositories"
fi

rpm_install_missing yum
# shellcheck source=provision/selinux-firewalld.sh
. "$(dirname "$0")/selinux-firewalld.sh"
finish
