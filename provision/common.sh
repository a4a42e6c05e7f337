# labtool provisioning: helpers shared by the recipes (sourced, not run on its own).
# Every step is idempotent and says "changed: ..." or "ok: ...", so a second run reports
# "changes: 0". Run as root with the node's role: lb, web or client.

changes=0

changed() { echo "changed: $*"; changes=$((changes + 1)); }
ok() { echo "ok: $*"; }

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
