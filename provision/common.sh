# labtool provisioning: helpers shared by the recipes (sourced, not run on its own).
# Every step is idempotent and says "changed: ..." or "ok: ...", so a second run reports
# "changes: 0". Run as root with the node's role: lb, web or client.

changes=0

changed() { echo "changed: $*"; changes=$((changes + 1)); }
ok() { echo "ok: $*"; }

# The lab's sysctl lines for the load balancers (seed: "Déploiement HAPROXY1 et HAPROXY2").
lab_sysctls() {
    touch /etc/sysctl.conf
    added=0
    for line in "net.ipv4.ip_forward=1" "net.ipv4.ip_nonlocal_bind=1"; do
        if ! grep -qx "$line" /etc/sysctl.conf; then
            echo "$line" >> /etc/sysctl.conf
            added=1
        fi
    done
    if [ "$added" = 1 ]; then
        sysctl -p >/dev/null
        changed "ip_forward and ip_nonlocal_bind in /etc/sysctl.conf (sysctl -p)"
    else
        ok "sysctl"
    fi
}

packages_for() {
    case "$1" in
        lb) echo "$LB_PACKAGES" ;;
        web) echo "$WEB_PACKAGES" ;;
        client) echo "$CLIENT_PACKAGES" ;;
        *) echo "unknown role '$1': use lb, web or client" >&2; exit 2 ;;
    esac
}

# EL systems: install the role's packages rpm does not know yet, with yum or dnf ($1).
rpm_install_missing() {
    missing=""
    for package in $(packages_for "$ROLE"); do
        rpm -q "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    if [ -n "$missing" ]; then
        # shellcheck disable=SC2086  # one word per package
        "$1" install -y -q $missing
        changed "installed$missing"
    else
        ok "packages"
    fi
}

finish() { echo "changes: $changes"; }
