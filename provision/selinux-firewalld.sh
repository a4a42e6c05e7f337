# labtool provisioning: SELinux and firewalld, where they apply (EL systems; sourced).

# SELinux: HAProxy may connect to the web nodes' port 80 and bind what the lab asks.
if [ "$ROLE" = lb ] && command -v getenforce >/dev/null 2>&1 &&
        [ "$(getenforce)" != Disabled ]; then
    if getsebool haproxy_connect_any 2>/dev/null | grep -q -- '--> on'; then
        ok "SELinux boolean haproxy_connect_any"
    else
        setsebool -P haproxy_connect_any 1
        changed "SELinux boolean haproxy_connect_any on"
    fi
fi

# firewalld: HTTP to the load balancers and web nodes, VRRP between the load balancers.
if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
    if [ "$ROLE" != client ] && ! firewall-cmd --permanent --query-service=http >/dev/null; then
        firewall-cmd --permanent --add-service=http >/dev/null
        changed "firewalld: http allowed"
    fi
    vrrp='rule protocol value="vrrp" accept'
    if [ "$ROLE" = lb ] && ! firewall-cmd --permanent --query-rich-rule="$vrrp" >/dev/null; then
        firewall-cmd --permanent --add-rich-rule="$vrrp" >/dev/null
        changed "firewalld: VRRP allowed"
    fi
    firewall-cmd --reload >/dev/null
    ok "firewalld"
fi
