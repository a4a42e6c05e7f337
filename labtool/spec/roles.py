"""What each role runs (layer 1, pure data): its services, the lab's sysctls, which file a
service re-reads. The one place the role-to-services mapping is written; provisioning, the
backends' status, a node's boot and the scenarios' repair all read it from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """One daemon of a role, under the lab's names."""

    name: str  # in status and JSON: the process that runs on this machine's nodes
    unit: str  # the lab's `systemctl` unit (CentOS 7's)
    debian_unit: str  # Debian's unit, used where its unit file exists
    config: str | None = None  # a file whose change means a restart

    def unit_script(self) -> str:
        """Shell that sets $unit to the node's name for this service."""
        if self.debian_unit == self.unit:
            return f"unit={self.unit}"
        return (
            f"unit={self.unit}; [ -e /lib/systemd/system/{self.debian_unit}.service ] "
            f"&& unit={self.debian_unit}"
        )


KEEPALIVED = Service("keepalived", "keepalived", "keepalived", "/etc/keepalived/keepalived.conf")
HAPROXY = Service("haproxy", "haproxy", "haproxy", "/etc/haproxy/haproxy.cfg")
STATS_SOCKET = "/var/lib/haproxy/stats"  # the lab's haproxy.cfg: stats socket
HTTPD = Service("apache2", "httpd", "apache2")  # the lab says httpd; Debian's is apache2

# In the order a node starts them (a load balancer's keepalived tracks its HAProxy).
ROLE_SERVICES: dict[str, tuple[Service, ...]] = {
    "lb": (HAPROXY, KEEPALIVED),
    "web": (HTTPD,),
    "client": (),
}

# The lab's sysctl lines for the load balancers (seed: "Déploiement HAPROXY1 et HAPROXY2").
ROLE_SYSCTLS: dict[str, dict[str, str]] = {
    "lb": {"net.ipv4.ip_forward": "1", "net.ipv4.ip_nonlocal_bind": "1"},
    "web": {},
    "client": {},
}


def services(role: str) -> tuple[Service, ...]:
    return ROLE_SERVICES[role]


def daemons(role: str) -> tuple[str, ...]:
    """The names status reports for a role's daemons."""
    return tuple(s.name for s in ROLE_SERVICES[role])


def service_named(name: str) -> Service:
    """A service by its status name, its unit or its Debian unit (httpd, apache2: HTTPD)."""
    for role_services in ROLE_SERVICES.values():
        for service in role_services:
            if name in (service.name, service.unit, service.debian_unit):
                return service
    raise KeyError(name)
