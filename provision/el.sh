#!/bin/bash
# labtool provisioning recipe: Enterprise Linux 8 and 9 (AlmaLinux, Rocky; dnf).
# Usage: el.sh lb|web|client
set -euo pipefail
ROLE=${1:?usage: el.sh lb|web|client}
LB_PACKAGES="keepalived haproxy psmisc"
WEB_PACKAGES="httpd"
CLIENT_PACKAGES="curl"
# shellcheck source=provision/common.sh
. "$(dirname "$0")/common.sh"

missing=""
for package in $(packages_for "$ROLE"); do
    rpm -q "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086  # one word per package
    dnf install -y -q $missing
    changed "installed$missing"
else
    ok "packages"
fi
[ "$ROLE" = lb ] && lab_sysctls
# shellcheck source=provision/selinux-firewalld.sh
. "$(dirname "$0")/selinux-firewalld.sh"
finish
