"""Lint rules for keepalived.conf: each VRRP instance's values against the lab's plan, then the
pair's rules."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.common import Finding
from labtool.configs.keepalived_model import KeepalivedConfig, Statement
from labtool.grading.lint.base import Target, at, int_value, vips_of
from labtool.grading.lint.vrrp_pair import pair_rules, script_rules
from labtool.grading.submission.configset import ConfigSet
from labtool.grading.submission.plan_base import same_net


def keepalived_rules(configs: ConfigSet, target: Target) -> Iterator[Finding]:
    instances: dict[str, list[Statement]] = {}
    for label, config in configs.keepalived.items():
        found = config.instances()
        if not found:
            yield at(
                "KA-NO-INSTANCE",
                "error",
                "no vrrp_instance: keepalived holds no VIP",
                None,
                config.file,
                fix="add the lab's vrrp_instance VI_1 { ... }",
            )
            continue
        instances[label] = found
        for position, instance in enumerate(found):
            yield from _instance_values(instance, config.file, target, label, main=position == 0)
        yield from script_rules(config, found)
        yield from _sync_groups(config, found)
    for group in _matched(instances):
        yield from pair_rules(group, target, configs)


def _matched(instances: dict[str, list[Statement]]) -> list[dict[str, Statement]]:
    """Each VRRP instance with its peers on the other load balancers: by name, else by VRID,
    else by position."""
    labels = list(instances)
    if not labels:
        return []
    groups: list[dict[str, Statement]] = []
    for position, instance in enumerate(instances[labels[0]]):
        group = {labels[0]: instance}
        for label in labels[1:]:
            others = instances[label]
            peer = (
                next((o for o in others if o.name and o.name == instance.name), None)
                or next(
                    (
                        o
                        for o in others
                        if o.value("virtual_router_id") is not None
                        and o.value("virtual_router_id") == instance.value("virtual_router_id")
                    ),
                    None,
                )
                or (others[position] if position < len(others) else None)
            )
            if peer is not None:
                group[label] = peer
        groups.append(group)
    return groups


def _sync_groups(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Finding]:
    names = {i.name for i in instances}
    for sync in config.all("vrrp_sync_group"):
        members = [w for g in sync.all("group") for w in g.words()]
        for member in members:
            if member not in names:
                yield at(
                    "KA-SYNC-UNDEFINED",
                    "error",
                    f"vrrp_sync_group {sync.name} names '{member}', which no vrrp_instance defines",
                    sync,
                    config.file,
                    "keepalived drops the whole sync group",
                    f"one of: {', '.join(sorted(names))}",
                )


def _instance_values(
    instance: Statement, file: str, target: Target, label: str, main: bool
) -> Iterator[Finding]:
    name = f"vrrp_instance {instance.name}"
    for keyword, low, high in (("priority", 1, 255), ("virtual_router_id", 1, 255)):
        found = instance.first(keyword)
        if found is None:
            if keyword == "virtual_router_id":
                yield at(
                    "KA-VALUE",
                    "error",
                    f"{name} has no virtual_router_id",
                    instance,
                    file,
                    "keepalived refuses an instance without one",
                    "virtual_router_id 100",
                )
        elif int_value(found, low, high) is None:
            yield at(
                "KA-VALUE",
                "error",
                f"{keyword} '{' '.join(found.args)[:40]}' is not a number from {low} to {high}",
                found,
                file,
                "keepalived rejects the value and uses its default",
                f"{keyword} 100",
            )
    state = instance.first("state")
    if state is not None and (len(state.args) != 1 or state.args[0] not in ("MASTER", "BACKUP")):
        yield at(
            "KA-VALUE",
            "error",
            f"state '{' '.join(state.args)[:40]}' is neither MASTER nor BACKUP",
            state,
            file,
            "keepalived ignores it",
            "state MASTER or BACKUP",
        )
    advert = instance.first("advert_int")
    if advert is not None:
        try:
            if not 0 < float(advert.args[0]) <= 255:
                raise ValueError
        except (ValueError, IndexError):
            yield at(
                "KA-VALUE",
                "error",
                f"advert_int '{' '.join(advert.args)}' is not a number of seconds",
                advert,
                file,
                fix="advert_int 1",
            )
    nic = instance.first("interface")
    if nic is None:
        yield at(
            "KA-NIC",
            "error",
            f"{name} has no 'interface'",
            instance,
            file,
            "keepalived needs the NIC to send its adverts on",
            f"interface {target.nic or 'eth1'}",
        )
    elif target.real_nics and nic.args[:1] and nic.args[0] not in target.real_nics:
        shown = ", ".join(sorted(target.real_nics))
        yield at(
            "KA-NIC",
            "error",
            f"interface '{nic.args[0]}', but the `ip a` you handed in "
            f"shows the lab's network on {shown}",
            nic,
            file,
            "keepalived will not start on a NIC the machine does not have",
            f"interface {sorted(target.real_nics)[0]}",
        )
    elif target.nic is not None and nic.args[:1] != [target.nic]:
        yield at(
            "KA-NIC",
            "error",
            f"interface '{' '.join(nic.args)}' is not the lab's NIC '{target.nic}'",
            nic,
            file,
            "on the lab's machines the private network is on "
            f"{target.nic}; keepalived will not start on a NIC that does not exist",
            f"interface {target.nic} (check with: ip a)",
        )
    lvs = instance.first("lvs_sync_daemon_interface")
    if lvs is not None:
        yield at(
            "KA-LVS-SYNC",
            "warning",
            f"lvs_sync_daemon_interface {' '.join(lvs.args)} is deprecated",
            lvs,
            file,
            "keepalived 2.x moved it to global_defs as lvs_sync_daemon, and it syncs IPVS "
            "connections, which HAProxy does not use",
            "remove the line",
        )
    auth = instance.first("authentication")
    if auth is not None and auth.value("auth_type") == "AH":
        yield at(
            "KA-AUTH-AH",
            "warning",
            "auth_type AH",
            auth.first("auth_type"),
            file,
            "keepalived's AH authentication is deprecated and not in VRRPv3; peers that "
            "disagree on it, or a NAT between them, drop each other's adverts (both "
            "MASTER)",
            "remove the authentication block",
        )
    if auth is not None and auth.value("auth_type") == "PASS":
        where = auth.first("auth_type")
        yield at(
            "KA-AUTH-PASS",
            "warning",
            "auth_type PASS sends the password in clear text",
            where,
            file,
            "anyone on the LAN reads it in the adverts, and VRRPv3 ignores "
            "authentication altogether",
            "remove the authentication block (or use a separate, trusted network)",
        )
        password = auth.value("auth_pass") or ""
        if len(password) > 8:
            yield at(
                "KA-AUTH-PASS",
                "info",
                f"auth_pass '{password}' is longer than 8 "
                "characters: keepalived keeps only the first 8",
                auth.first("auth_pass"),
                file,
                fix="use at most 8 characters",
            )
    vips = vips_of(instance)
    if not vips:
        yield at(
            "KA-VIP",
            "error",
            f"{name} has no virtual_ipaddress",
            instance,
            file,
            "there is no VIP for the clients to use",
            f"virtual_ipaddress {{ {target.vip or '10.0.0.10'}/32 }}",
        )
    elif main and target.vip is not None and target.vip not in vips:
        yield at(
            "KA-VIP",
            "error",
            f"the VIP {', '.join(vips)} is not the lab's {target.vip}",
            instance.first("virtual_ipaddress"),
            file,
            fix=f"{target.vip}/32",
        )
    own = target.lb_addresses.get(label)
    if main and vips and own and same_net(vips[0], own) is False:
        yield at(
            "KA-VIP-SUBNET",
            "error",
            f"the VIP {vips[0]} is not in {label}'s network ({own})",
            instance.first("virtual_ipaddress"),
            file,
            "the clients on that network cannot reach it, and the gratuitous ARP goes nowhere",
            f"a free address of {own}'s network",
        )
