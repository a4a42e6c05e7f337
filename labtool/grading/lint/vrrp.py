"""Lint rules for keepalived.conf: each VRRP instance's values against the lab's plan, and each
file's own (an instance at all, its sync groups). The pair's rules are in vrrp_pair."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from labtool.configs.keepalived_model import KeepalivedConfig, Statement
from labtool.grading.lint.base import Target, int_value, vips_of
from labtool.grading.lint.registry import Say, rule
from labtool.grading.submission.plan_base import same_net
from labtool.i18n import Msg


@dataclass(frozen=True)
class InstanceAt:
    """Where an instance is: its file, its load balancer, whether it is the file's first (the
    lab's VI_1, held to the lab's VIP), and what it is checked against."""

    file: str
    label: str
    main: bool
    target: Target


def matched(instances: dict[str, list[Statement]]) -> list[dict[str, Statement]]:
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


@rule(
    "KA-NO-INSTANCE",
    subject="keepalived_file",
    severity="error",
    title="a keepalived.conf without vrrp_instance",
)
def no_instance(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    if not instances:
        yield Say(
            message=Msg("no vrrp_instance: keepalived holds no VIP"),
            fix=Msg("add the lab's vrrp_instance VI_1 {{ ... }}"),
        )


@rule(
    "KA-SYNC-UNDEFINED",
    subject="keepalived",
    severity="error",
    title="a vrrp_sync_group member no instance defines",
)
def sync_undefined(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    names = {i.name for i in instances}
    for sync in config.all("vrrp_sync_group"):
        for member in [w for g in sync.all("group") for w in g.words()]:
            if member not in names:
                yield Say(
                    message=Msg(
                        "vrrp_sync_group {name} names '{member}', which no vrrp_instance defines",
                        name=sync.name,
                        member=member,
                    ),
                    where=sync,
                    why=Msg("keepalived drops the whole sync group"),
                    fix=Msg("one of: {names}", names=", ".join(sorted(names))),
                )


@rule("KA-VALUE", subject="instance", severity="error", title="a value keepalived rejects")
def bad_numbers(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    for keyword, low, high in (("priority", 1, 255), ("virtual_router_id", 1, 255)):
        found = instance.first(keyword)
        if found is None and keyword == "virtual_router_id":
            yield Say(
                message=Msg("vrrp_instance {name} has no virtual_router_id", name=instance.name),
                where=instance,
                why=Msg("keepalived refuses an instance without one"),
                fix=Msg("virtual_router_id 100"),
            )
        elif found is not None and int_value(found, low, high) is None:
            yield Say(
                message=Msg(
                    "{keyword} '{value}' is not a number from {low} to {high}",
                    keyword=keyword,
                    value=" ".join(found.args)[:40],
                    low=low,
                    high=high,
                ),
                where=found,
                why=Msg("keepalived rejects the value and uses its default"),
                fix=Msg("{keyword} 100", keyword=keyword),
            )


@rule("KA-VALUE", subject="instance", severity="error", title="a value keepalived rejects")
def bad_state_or_advert(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    state = instance.first("state")
    if state is not None and (len(state.args) != 1 or state.args[0] not in ("MASTER", "BACKUP")):
        yield Say(
            message=Msg(
                "state '{value}' is neither MASTER nor BACKUP", value=" ".join(state.args)[:40]
            ),
            where=state,
            why=Msg("keepalived ignores it"),
            fix=Msg("state MASTER or BACKUP"),
        )
    advert = instance.first("advert_int")
    if advert is None:
        return
    try:
        if not 0 < float(advert.args[0]) <= 255:
            raise ValueError
    except (ValueError, IndexError):
        yield Say(
            message=Msg(
                "advert_int '{args}' is not a number of seconds", args=" ".join(advert.args)
            ),
            where=advert,
            fix=Msg("advert_int 1"),
        )


@rule("KA-NAT-NIC", subject="instance", severity="error", title="Vagrant's NAT NIC")
def nat_nic(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    found = instance.first("interface")
    if found is not None and found.args[:1] and found.args[0] in at.target.nat_nics:
        yield Say(
            message=Msg(
                "interface {nic} is Vagrant's NAT NIC: the adverts never reach the other load "
                "balancer; both become MASTER",
                nic=found.args[0],
            ),
            where=found,
            why=Msg(
                "on Vagrant's machines the first NIC is its NAT, each machine alone on its own "
                "network (10.0.2.15 on every one); the lab's private network is another NIC"
            ),
            fix=Msg("interface eth1 (the NIC that holds the lab's address: ip a)"),
        )


@rule("KA-NIC", subject="instance", severity="error", title="no NIC, or not the lab's")
def nic(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    found, target = instance.first("interface"), at.target
    if found is None:
        yield Say(
            message=Msg("vrrp_instance {name} has no 'interface'", name=instance.name),
            where=instance,
            why=Msg("keepalived needs the NIC to send its adverts on"),
            fix=Msg("interface {nic}", nic=target.nic or "eth1"),
        )
    elif target.real_nics and found.args[:1] and found.args[0] not in target.real_nics:
        shown = ", ".join(sorted(target.real_nics))
        yield Say(
            message=Msg(
                "interface '{value}', but the `ip a` you handed in shows the lab's network on "
                "{shown}",
                value=found.args[0],
                shown=shown,
            ),
            where=found,
            why=Msg("keepalived will not start on a NIC the machine does not have"),
            fix=Msg("interface {nic}", nic=sorted(target.real_nics)[0]),
        )
    elif target.nic is not None and found.args[:1] != [target.nic]:
        yield Say(
            message=Msg(
                "interface '{args}' is not the lab's NIC '{nic}'",
                args=" ".join(found.args),
                nic=target.nic,
            ),
            where=found,
            why=Msg(
                "on the lab's machines the private network is on {nic}; keepalived will not start"
                " on a NIC that does not exist",
                nic=target.nic,
            ),
            fix=Msg("interface {nic} (check with: ip a)", nic=target.nic),
        )


@rule(
    "KA-LVS-SYNC",
    subject="instance",
    severity="warning",
    title="lvs_sync_daemon_interface, deprecated",
)
def lvs_sync(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    lvs = instance.first("lvs_sync_daemon_interface")
    if lvs is not None:
        yield Say(
            message=Msg("lvs_sync_daemon_interface {args} is deprecated", args=" ".join(lvs.args)),
            where=lvs,
            why=Msg(
                "keepalived 2.x moved it to global_defs as lvs_sync_daemon, and it syncs IPVS "
                "connections, which HAProxy does not use"
            ),
            fix=Msg("remove the line"),
        )


@rule("KA-VIP", subject="instance", severity="error", title="no VIP, or not the lab's")
def vip(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    vips, target = vips_of(instance), at.target
    if not vips:
        yield Say(
            message=Msg("vrrp_instance {name} has no virtual_ipaddress", name=instance.name),
            where=instance,
            why=Msg("there is no VIP for the clients to use"),
            fix=Msg("virtual_ipaddress {{ {vip}/32 }}", vip=target.vip or "10.0.0.10"),
        )
    elif at.main and target.vip is not None and target.vip not in vips:
        yield Say(
            message=Msg(
                "the VIP {vips} is not the lab's {vip}",
                vips=", ".join(vips),
                vip=target.vip,
            ),
            where=instance.first("virtual_ipaddress"),
            fix=Msg("{vip}/32", vip=target.vip),
        )


@rule(
    "KA-VIP-SUBNET",
    subject="instance",
    severity="error",
    title="a VIP outside its load balancer's network",
)
def vip_subnet(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    vips, own = vips_of(instance), at.target.lb_addresses.get(at.label)
    if at.main and vips and own and same_net(vips[0], own) is False:
        yield Say(
            message=Msg(
                "the VIP {vip} is not in {label}'s network ({own})",
                vip=vips[0],
                label=at.label,
                own=own,
            ),
            where=instance.first("virtual_ipaddress"),
            why=Msg(
                "the clients on that network cannot reach it, and the gratuitous ARP goes nowhere"
            ),
            fix=Msg("a free address of {own}'s network", own=own),
        )
