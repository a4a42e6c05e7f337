# ruff: noqa: E501  (the report is Markdown data: its table rows are long lines)
"""Submissions built for the grading tests and the benchmark: a correct one, and one per
pitfall the lint rules and the rubric know (each a small edit of the correct one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

KEEPALIVED = """global_defs {
   enable_script_security
   script_user root
}

vrrp_script chk_haproxy {
    script "/usr/bin/killall -0 haproxy"
    interval 1
}

vrrp_instance VI_1 {
    virtual_router_id 100
    state {state}
    priority {priority}
    advert_int 1
    interface eth1
    virtual_ipaddress {
        10.0.0.10/32 brd 10.0.0.255 scope global
    }
    track_script {
        chk_haproxy
    }
}
"""

HAPROXY = """global
    log         127.0.0.1 local2
    chroot      /var/lib/haproxy
    maxconn     4000
    user        haproxy
    group       haproxy
    daemon
    stats socket /var/lib/haproxy/stats

defaults
    mode                    http
    log                     global
    option                  httplog
    retries                 3
    timeout connect         10s
    timeout client          1m
    timeout server          1m
    timeout check           10s

frontend main
    bind *:80
    default_backend app

backend app
    balance     roundrobin
    server  app1 10.0.0.21:80 check
    server  app2 10.0.0.22:80 check
"""

REPORT = """# Compte rendu : cluster web

| Evenement | Evenement attendu | Evenement obtenu |
| --- | --- | --- |
| Perte du premier noeud WEB | HAProxy détecte que web1 est DOWN après 3 contrôles ratés, puis envoie tout à web2 | web1 déclaré DOWN en 10.8 s ; ensuite toutes les requêtes sont servies par web2 ; la VIP reste sur haproxy1 |
| Perte du premier noeud HAPROXY | keepalived de haproxy2 ne reçoit plus les annonces VRRP et prend la VIP | la VIP 10.0.0.10 a basculé sur haproxy2 en 3.2 s, coupure de 3.3 s |

## Questions

**Est-ce que l'architecture déployée permet de faire du loadbalancing sur les deux services WEB ?**

Oui : les requêtes alternent entre web1 et web2 (balance roundrobin).

**Quel est le rôle du service Keepalived dans notre infrastructure ?**

Keepalived porte l'IP virtuelle 10.0.0.10 avec le protocole VRRP : si le maître tombe, le
backup prend le relais, le load balancer n'est plus un SPOF.

**Quel est le rôle du service HAPROXY dans notre infrastructure ?**

HAProxy répartit les requêtes HTTP entre les serveurs web et les contrôle (check) pour écarter
un serveur en panne.
"""

Files = dict[str, str]


def correct() -> Files:
    return {
        "haproxy1/etc/keepalived/keepalived.conf": KEEPALIVED.replace("{state}", "MASTER").replace(
            "{priority}", "101"
        ),
        "haproxy2/etc/keepalived/keepalived.conf": KEEPALIVED.replace("{state}", "BACKUP").replace(
            "{priority}", "100"
        ),
        "haproxy1/etc/haproxy/haproxy.cfg": HAPROXY,
        "haproxy2/etc/haproxy/haproxy.cfg": HAPROXY,
        "web1/var/www/html/index.html": "test web1\n",
        "web2/var/www/html/index.html": "test web2\n",
        "report.md": REPORT,
    }


KA2 = "haproxy2/etc/keepalived/keepalived.conf"
KA1 = "haproxy1/etc/keepalived/keepalived.conf"
HA = "haproxy1/etc/haproxy/haproxy.cfg"


def edit(path: str, old: str, new: str, *also: str) -> Callable[[Files], Files]:
    def apply(files: Files) -> Files:
        changed = dict(files)
        for target in (path, *also):
            assert old in changed[target], (target, old)
            changed[target] = changed[target].replace(old, new)
        return changed

    return apply


IP_A = """
## ip a sur haproxy1

```
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: enp0s3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic enp0s3
3: enp0s8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 10.0.0.11/24 brd 10.0.0.255 scope global enp0s8
```
"""
SECOND = (
    "\nvrrp_instance VI_2 {{\n    virtual_router_id {vrid}\n    state BACKUP\n"
    "    priority {priority}\n    interface eth1\n    virtual_ipaddress {{\n        10.0.0.20/32\n"
    "    }}\n}}\n"
)
AUTH = "    advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n"
BOTH_HA = ("haproxy2/etc/haproxy/haproxy.cfg",)

# pitfall -> (how to plant it, a text the finding's message must contain)
PITFALLS: dict[str, tuple[Callable[[Files], Files], str]] = {
    "vrid-differs": (
        edit(KA2, "virtual_router_id 100", "virtual_router_id 51"),
        "virtual_router_id 51",
    ),
    "auth-differs": (
        lambda f: edit(KA2, "    advert_int 1\n", AUTH.replace("secret", "other"))(
            edit(KA1, "    advert_int 1\n", AUTH)(f)
        ),
        "PASS/other",
    ),
    "vip-differs": (edit(KA2, "10.0.0.10/32", "10.0.0.50/32"), "10.0.0.50"),
    "advert-differs": (edit(KA2, "advert_int 1", "advert_int 3"), "advert_int 3"),
    "both-master": (edit(KA2, "state BACKUP", "state MASTER"), "state MASTER"),
    "equal-priorities": (edit(KA1, "priority 101", "priority 100"), "priority 100"),
    "wrong-nic": (edit(KA1, "interface eth1", "interface enp0s8"), "enp0s8"),
    "track-undefined": (
        edit(KA1, "        chk_haproxy\n", "        reload_haproxy\n"),
        "reload_haproxy",
    ),
    "script-no-path": (edit(KA1, "/usr/bin/killall -0", "killall -0", KA2), "killall"),
    "lvs-sync": (
        edit(
            KA1, "    interface eth1\n", "    lvs_sync_daemon_interface eth1\n    interface eth1\n"
        ),
        "lvs_sync_daemon_interface",
    ),
    "pass-auth": (
        lambda f: edit(KA2, "    advert_int 1\n", AUTH)(edit(KA1, "    advert_int 1\n", AUTH)(f)),
        "auth_type PASS",
    ),
    "frontend-port": (edit(HA, "bind *:80", "bind *:5000", *BOTH_HA), "*:5000"),
    "frontend-address": (
        edit(HA, "frontend main\n    bind *:80\n", "frontend main *:80\n", *BOTH_HA),
        "frontend main *:80",
    ),
    "web-missing": (edit(HA, "    server  app2 10.0.0.22:80 check\n", "", *BOTH_HA), "web2"),
    "no-check": (edit(HA, "10.0.0.22:80 check", "10.0.0.22:80", *BOTH_HA), "app2"),
    "balance-source": (
        edit(HA, "balance     roundrobin", "balance     source", *BOTH_HA),
        "balance source",
    ),
    "slow-detection": (
        edit(
            HA,
            "    balance     roundrobin\n",
            "    balance     roundrobin\n    default-server inter 10s fall 5\n",
            *BOTH_HA,
        ),
        "up to",
    ),
    "same-pages": (edit("web2/var/www/html/index.html", "test web2", "test web1"), "same page"),
    "row-empty": (
        edit("report.md", "la VIP 10.0.0.10 a basculé sur haproxy2 en 3.2 s, coupure de 3.3 s", ""),
        "observed",
    ),
    "row-wrong-time": (edit("report.md", "coupure de 3.3 s", "coupure de 45 s"), "45 s"),
    "answer-no-vrrp": (edit("report.md", "avec le protocole VRRP ", ""), "vrrp"),
    "answer-missing": (
        edit(
            "report.md", "Oui : les requêtes alternent entre web1 et web2 (balance roundrobin).", ""
        ),
        "question 1",
    ),
    # what breaks failover in practice
    "weight-gap": (
        edit(KA1, "    interval 1\n", "    interval 1\n    weight -1\n", KA2),
        "never moves the vip",
    ),
    "advert-slow": (edit(KA1, "advert_int 1", "advert_int 3", KA2), "advert_int 3"),
    "auth-ah": (
        lambda f: edit(KA2, "    advert_int 1\n", AUTH.replace("PASS", "AH"))(
            edit(KA1, "    advert_int 1\n", AUTH.replace("PASS", "AH"))(f)
        ),
        "auth_type AH",
    ),
    "no-timeouts": (
        edit(
            HA,
            "    timeout connect         10s\n    timeout client          1m\n"
            "    timeout server          1m\n",
            "",
            *BOTH_HA,
        ),
        "no timeout",
    ),
    "script-unused": (
        edit(KA1, "    track_script {\n        chk_haproxy\n    }\n", "", KA2),
        "no track_script uses it",
    ),
    # what the daemons refuse although a parser takes it in
    "dup-backend": (
        edit(
            HA,
            "    server  app2 10.0.0.22:80 check\n",
            "    server  app2 10.0.0.22:80 check\n\nbackend app\n    server  x "
            "127.0.0.1:5001 check\n",
            *BOTH_HA,
        ),
        "'backend app' twice",
    ),
    "shell-line": (
        edit(
            HA,
            "    server  app2 10.0.0.22:80 check\n",
            "    server  app2 10.0.0.22:80 check\nsudo systemctl restart haproxy\n",
            *BOTH_HA,
        ),
        "shell command",
    ),
    "nic-differs": (edit(KA2, "interface eth1", "interface eth0"), "eth0"),
    "nic-not-real": (lambda f: {**f, "report.md": f["report.md"] + IP_A}, "enp0s8"),
    "static-left": (
        edit(
            HA,
            "    default_backend app\n",
            "    acl url_static path_end -i .css\n"
            "    use_backend static if url_static\n    default_backend app\n\n"
            "backend static\n    server static 127.0.0.1:4331 check\n",
            *BOTH_HA,
        ),
        "127.0.0.1:4331",
    ),
    "second-instance-vrid": (
        lambda f: {
            **f,
            KA1: f[KA1] + SECOND.format(vrid=51, priority=101),
            KA2: f[KA2] + SECOND.format(vrid=52, priority=100),
        },
        "vrrp_instance VI_2",
    ),
}


def write(files: Files, folder: Path) -> Path:
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def build_class(folder: Path) -> dict[str, Path]:
    """The correct submission and one per pitfall, as folders in one class folder."""
    made = {"correct": write(correct(), folder / "correct")}
    for name, (plant, _) in PITFALLS.items():
        made[name] = write(plant(correct()), folder / name)
    return made
