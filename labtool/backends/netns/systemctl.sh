#!/bin/sh
# systemctl for a labtool netns node. There is no systemd inside a node, so this small script
# stands in for it: it starts, stops and reports the daemons of THIS node only (its own /run,
# /var/log and PID namespace), so the lab's own commands work verbatim:
#   systemctl start|stop|restart|reload|status|is-active|enable|disable keepalived|haproxy|httpd
# `enable` and `disable` are real: a unit is enabled by the link systemd makes, in the node's own
# /etc/systemd/system (a folder of the node's: never this machine's), and a node's boot
# (labtool up NODE) starts the enabled ones.
set -u
PACKAGES=${LABTOOL_PACKAGES:-/usr/local/sbin/.labtool-packages}

wants() {  # where the links are
    if [ -n "${LABTOOL_SYSTEMD_DIR:-}" ]; then dir=$LABTOOL_SYSTEMD_DIR
    elif mountpoint -q /etc/systemd/system 2>/dev/null; then dir=/etc/systemd/system
    else dir=/run/labtool-systemd  # (this machine has no /etc/systemd/system to mount over)
    fi
    echo "$dir/multi-user.target.wants"
}

usage() {
    echo "usage: systemctl start|stop|restart|reload|status|is-active|is-enabled|enable|disable SERVICE..." >&2
    echo "services on this node: keepalived haproxy httpd (alias apache2)" >&2
    exit 2
}

# unit name -> daemon name, pid file, log file
resolve() {
    unit=${1%.service}
    case "$unit" in
        keepalived) daemon=keepalived; pidfile=/run/keepalived.pid; log=/var/log/keepalived.log ;;
        haproxy) daemon=haproxy; pidfile=/run/haproxy.pid; log=/var/log/haproxy.log ;;
        httpd|apache2) daemon=apache2; pidfile=/run/apache2/apache2.pid; log=/var/log/apache2/error.log
            unit=httpd ;;  # (one unit by either name, as the lab's CentOS calls it)
        *) echo "Failed to $verb $1: Unit $1 not found." >&2; return 1 ;;
    esac
    package=$unit; [ "$daemon" = apache2 ] && package=httpd
    # A bare node lists the packages its yum installed: before, the unit does not exist.
    if [ -f "$PACKAGES" ] && ! grep -qx "$package" "$PACKAGES"; then
        echo "Failed to $verb $unit.service: Unit $unit.service not found." >&2
        return 1
    fi
}

mainpid() {
    [ -s "$pidfile" ] || return 1
    pid=$(head -n 1 "$pidfile")
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    [ -r "/proc/$pid/status" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" && return 1
    echo "$pid"
}

wait_gone() {  # up to 10 s
    n=0
    while [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; do
        n=$((n + 1)); [ "$n" -gt 200 ] && return 1
        sleep 0.05
    done
}

do_start() {
    if pid=$(mainpid); then return 0; fi
    rm -f "$pidfile"
    case "$daemon" in
        keepalived)
            # -n: stay in the foreground of our own session, -l: log to the node's log file.
            setsid keepalived -n -l -G -f /etc/keepalived/keepalived.conf -p "$pidfile" \
                </dev/null >>"$log" 2>&1 &
            ;;
        haproxy)
            # haproxy checks its configuration as it starts, and says what is wrong.
            haproxy -f /etc/haproxy/haproxy.cfg -D -p "$pidfile" </dev/null >>"$log" 2>&1 \
                || { tail -n 5 "$log" >&2; return 1; }
            ;;
        apache2)
            mkdir -p /var/log/apache2
            apache2ctl start || return 1
            ;;
    esac
    n=0
    until pid=$(mainpid); do
        n=$((n + 1))
        if [ "$n" -gt 100 ]; then
            echo "Job for $unit.service failed: $daemon did not start. See $log" >&2
            tail -n 5 "$log" >&2 2>/dev/null
            return 1
        fi
        sleep 0.02
    done
}

do_stop() {
    pid=$(mainpid) || { rm -f "$pidfile"; return 0; }
    case "$daemon" in
        apache2) apache2ctl stop >/dev/null 2>&1 || kill -TERM "$pid" ;;
        *) kill -TERM "$pid" ;;
    esac
    wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; wait_gone "$pid"; }
    rm -f "$pidfile"
}

do_reload() {
    pid=$(mainpid) || { echo "$unit.service is not active, cannot reload." >&2; return 1; }
    case "$daemon" in
        keepalived) kill -HUP "$pid" ;;
        haproxy)
            haproxy -c -q -f /etc/haproxy/haproxy.cfg || return 1
            # shellcheck disable=SC2046  # several worker PIDs, one per line
            haproxy -f /etc/haproxy/haproxy.cfg -D -p "$pidfile" -sf $(cat "$pidfile") \
                </dev/null >>"$log" 2>&1
            ;;
        apache2) apache2ctl graceful ;;
    esac
}

do_status() {
    if pid=$(mainpid); then
        echo "* $unit.service - $daemon on $(hostname) (labtool netns node)"
        echo "     Active: active (running)"
        echo "   Main PID: $pid ($daemon)"
        [ -r "$log" ] && { echo; tail -n 5 "$log"; }
        return 0
    fi
    echo "* $unit.service - $daemon on $(hostname) (labtool netns node)"
    echo "     Active: inactive (dead)"
    return 3
}

do_enable() {
    dir=$(wants)
    link="$dir/$unit.service"
    [ -L "$link" ] && return 0
    mkdir -p "$dir" || return 1
    ln -s "/usr/lib/systemd/system/$unit.service" "$link" || return 1
    echo "Created symlink from $link to /usr/lib/systemd/system/$unit.service."
}

do_disable() {
    link="$(wants)/$unit.service"
    [ -L "$link" ] || return 0
    rm -f "$link" && echo "Removed symlink $link."
}

is_enabled() {
    [ -L "$(wants)/$unit.service" ]
}

quiet=0
now=0
args=""
for arg in "$@"; do
    case "$arg" in
        -q|--quiet) quiet=1 ;;
        --now) now=1 ;;
        --no-pager|--no-block) ;;
        -*) echo "systemctl (labtool node): option $arg not supported" >&2; exit 2 ;;
        *) args="$args $arg" ;;
    esac
done
# shellcheck disable=SC2086  # unit names have no spaces
set -- $args
[ $# -ge 2 ] || usage
verb=$1; shift
if [ "$quiet" = 1 ]; then exec >/dev/null; fi
rc=0
for unit_arg in "$@"; do
    resolve "$unit_arg" || { rc=5; continue; }
    case "$verb" in
        start) do_start || rc=1 ;;
        stop) do_stop || rc=1 ;;
        restart) do_stop; do_start || rc=1 ;;
        reload) do_reload || rc=1 ;;
        status) do_status || rc=3 ;;
        is-active) if mainpid >/dev/null; then echo active; else echo inactive; rc=3; fi ;;
        is-enabled) if is_enabled; then echo enabled; else echo disabled; rc=1; fi ;;
        enable) do_enable || rc=1; [ "$now" = 1 ] && { do_start || rc=1; } ;;
        disable) do_disable || rc=1; [ "$now" = 1 ] && do_stop ;;
        *) usage ;;
    esac
done
exit "$rc"
