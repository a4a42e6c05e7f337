#!/bin/bash
# labtool provisioning recipe: Enterprise Linux 8 and 9 (AlmaLinux, Rocky; dnf).
# Usage: el.sh lb|web|client
set -euo pipefail
ROLE=${1:?usage: el.sh lb|web|client}
LB_PACKAGES="keepalived haproxy psmisc python3"  # psmisc: killall (track_script); python3: the probe agent
WEB_PACKAGES="httpd"
CLIENT_PACKAGES="curl python3"  # python3: the probe agent
# shellcheck source=provision/common.sh
. "$(dirname "$0")/common.sh"

rpm_install_missing dnf
# shellcheck source=provision/selinux-firewalld.sh
. "$(dirname "$0")/selinux-firewalld.sh"
finish
