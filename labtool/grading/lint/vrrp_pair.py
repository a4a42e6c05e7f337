"""Lint rules across the two load balancers' keepalived configs: the pair must agree (VRID,
advert interval, authentication, VIP, NIC). Which of them is MASTER, and how the VIP moves
between them: vrrp_roles.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from labtool.configs.keepalived_model import Statement
from labtool.grading.lint.base import Target, int_value, vips_of
from labtool.grading.lint.registry import Say, rule
from labtool.grading.submission.configset import ConfigSet
from labtool.i18n import Msg


@dataclass(frozen=True)
class Pair:
    """One VRRP instance and its peers on the other load balancers (two or more), with what
    the pair's rules read from them."""

    instances: dict[str, Statement]  # load balancer -> its instance
    configs: ConfigSet
    target: Target
    about: str  # "" for the lab's instance, else "vrrp_instance NAME: "
    states: dict[str, str | None]
    priorities: dict[str, int]

    @classmethod
    def of(cls, instances: dict[str, Statement], configs: ConfigSet, target: Target) -> Pair:
        labels = list(instances)
        main = all(configs.keepalived[lb].instances()[:1] == [instances[lb]] for lb in labels)
        return cls(
            instances,
            configs,
            target,
            "" if main else f"vrrp_instance {instances[labels[0]].name}: ",
            {lb: instances[lb].value("state") for lb in labels},
            {lb: int_value(instances[lb].first("priority"), 1, 255) or 100 for lb in labels},
        )

    @property
    def labels(self) -> list[str]:
        return list(self.instances)

    @property
    def first(self) -> tuple[str, Statement]:
        return self.labels[0], self.instances[self.labels[0]]

    @property
    def others(self) -> list[tuple[str, Statement]]:
        return [(lb, self.instances[lb]) for lb in self.labels[1:]]

    @property
    def masters(self) -> list[str]:
        return [lb for lb, state in self.states.items() if state == "MASTER"]

    @property
    def equal(self) -> bool:
        return len(set(self.priorities.values())) < len(self.priorities)

    @property
    def master(self) -> str:
        """The one that holds the VIP: the highest priority, then MASTER, then the first."""
        labels, priorities, states = self.labels, self.priorities, self.states
        return max(labels, key=lambda x: (priorities[x], states[x] == "MASTER", -labels.index(x)))

    @property
    def backup(self) -> str:
        return max((lb for lb in self.labels if lb != self.master), key=self.priorities.__getitem__)


@rule(
    "KA-VRID-MISMATCH",
    subject="pair",
    severity="error",
    title="two virtual_router_ids: two routers",
)
def vrid_mismatch(pair: Pair) -> Iterator[Say]:
    yield from _differ(
        pair,
        "virtual_router_id",
        Msg("two VRIDs are two different routers: both load balancers become MASTER"),
    )


@rule(
    "KA-ADVERT-MISMATCH",
    subject="pair",
    severity="error",
    title="two advert_int values",
)
def advert_mismatch(pair: Pair) -> Iterator[Say]:
    yield from _differ(
        pair, "advert_int", Msg("keepalived drops adverts whose interval differs from its own")
    )


def _differ(pair: Pair, keyword: str, why: Msg) -> Iterator[Say]:
    first_label, first = pair.first
    for label, other in pair.others:
        mine, theirs = first.value(keyword), other.value(keyword)
        if mine != theirs:
            yield Say(
                message=Msg(
                    "{about}{keyword} {theirs} on {label} but {mine} on {first_label}",
                    about=pair.about,
                    keyword=keyword,
                    theirs=theirs,
                    label=label,
                    mine=mine,
                    first_label=first_label,
                ),
                where=other.first(keyword) or other,
                why=why,
                fix=Msg("use the same {keyword} on both", keyword=keyword),
            )


@rule(
    "KA-AUTH-MISMATCH",
    subject="pair",
    severity="error",
    title="two authentications",
)
def auth_mismatch(pair: Pair) -> Iterator[Say]:
    first_label, first = pair.first
    auth_a = first.first("authentication")
    pair_a = (auth_a.value("auth_type"), auth_a.value("auth_pass")) if auth_a else None
    for label, other in pair.others:
        auth_b = other.first("authentication")
        pair_b = (auth_b.value("auth_type"), auth_b.value("auth_pass")) if auth_b else None
        if pair_a != pair_b:
            yield Say(
                message=Msg(
                    "{about}authentication {b} on {label} but {a} on {first_label}",
                    about=pair.about,
                    b=_auth(pair_b),
                    label=label,
                    a=_auth(pair_a),
                    first_label=first_label,
                ),
                where=auth_b or other,
                why=Msg("each side drops the other's adverts: both become MASTER"),
                fix=Msg("use the same auth_type and auth_pass on both"),
            )


@rule("KA-VIP-MISMATCH", subject="pair", severity="error", title="two VIPs")
def vip_mismatch(pair: Pair) -> Iterator[Say]:
    first_label, first = pair.first
    for label, other in pair.others:
        if vips_of(first) != vips_of(other):
            yield Say(
                message=Msg(
                    "{about}virtual_ipaddress {vips} on {label} but {first_vips} on {first_label}",
                    about=pair.about,
                    vips=", ".join(vips_of(other)),
                    label=label,
                    first_vips=", ".join(vips_of(first)),
                    first_label=first_label,
                ),
                where=other.first("virtual_ipaddress") or other,
                why=Msg("the VIP would change with the master"),
                fix=Msg("use the same VIP on both"),
            )


@rule("KA-NIC-MISMATCH", subject="pair", severity="error", title="two NIC names")
def nic_mismatch(pair: Pair) -> Iterator[Say]:
    first_label, first = pair.first
    for label, other in pair.others:
        nic_a, nic_b = first.value("interface"), other.value("interface")
        if nic_a and nic_b and nic_a != nic_b:
            yield Say(
                message=Msg(
                    "{about}interface {nic_b} on {label} but {nic_a} on {first_label}",
                    about=pair.about,
                    nic_b=nic_b,
                    label=label,
                    nic_a=nic_a,
                    first_label=first_label,
                ),
                where=other.first("interface") or other,
                why=Msg(
                    "the load balancers are the same kind of machine: one of the two names is not"
                    " its NIC, and keepalived does not start there (or sends its adverts where "
                    "the other cannot hear them)"
                ),
                fix=Msg("the NIC of the lab's network on both (check with: ip a)"),
            )


def _auth(pair: tuple[str | None, str | None] | None) -> str:
    return "none" if pair is None else f"{pair[0]}/{pair[1]}"
