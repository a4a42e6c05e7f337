#!/bin/bash
# labtool provisioning recipe: Debian 12 (apt). Usage: debian.sh lb|web|client
set -euo pipefail
ROLE=${1:?usage: debian.sh lb|web|client}
LB_PACKAGES="keepalived haproxy psmisc python3"  # psmisc: killall (track_script); python3: the probe agent
WEB_PACKAGES="apache2"
CLIENT_PACKAGES="curl python3"  # python3: the probe agent
# shellcheck source=provision/common.sh
. "$(dirname "$0")/common.sh"

missing=""
for package in $(packages_for "$ROLE"); do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $package"
done
if [ -n "$missing" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    changed "installed$missing"
else
    ok "packages"
fi
# A labtool netns node (a bare one) keeps the packages its own `yum` installed: the role's are
# installed there too, as the other recipes install them on a machine.
if [ -f /usr/local/sbin/.labtool-packages ] && [ -x /usr/local/sbin/yum ]; then
    case "$ROLE" in lb) lab="keepalived haproxy" ;; web) lab="httpd" ;; *) lab="" ;; esac
    for package in $lab; do
        grep -qx "$package" /usr/local/sbin/.labtool-packages && continue
        /usr/local/sbin/yum install -y "$package" >/dev/null && changed "installed $package"
    done
fi
finish
