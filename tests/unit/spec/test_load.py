"""The lab spec: the seed's topology by default; lab files merge over it; bad input refused
with one message naming the file, the field and the fix."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from labtool.errors import ExitCode, LabFileError
from labtool.spec.check import spec_to_dict
from labtool.spec.load import default_spec, load_lab, parse_lab

EXAMPLES = Path(__file__).parents[3] / "examples"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text)
    return path


def test_default_is_the_seed_topology() -> None:
    spec = default_spec()
    assert {(n.name, n.role, str(n.address)) for n in spec.nodes} == {
        ("haproxy1", "lb", "10.0.0.11"),
        ("haproxy2", "lb", "10.0.0.12"),
        ("web1", "web", "10.0.0.21"),
        ("web2", "web", "10.0.0.22"),
        ("client", "client", "10.0.0.100"),
    }
    assert str(spec.vip) == "10.0.0.10"
    assert spec.nic == "eth1"
    assert spec.box == "centos7-custom"
    assert spec.vrrp.virtual_router_id == 100
    assert spec.vrrp.advert_int == 1
    assert (spec.node("haproxy1").state, spec.node("haproxy1").priority) == ("MASTER", 100)
    assert (spec.node("haproxy2").state, spec.node("haproxy2").priority) == ("BACKUP", 100)


def test_startup_wait_is_three_adverts_plus_skew() -> None:
    vrrp = default_spec().vrrp
    assert vrrp.startup_wait_s(100) == pytest.approx(3.609375)
    assert vrrp.startup_wait_s(255) == 0.0


def test_master_starts_first_even_when_listed_last(tmp_path: Path) -> None:
    spec = load_lab(
        write(tmp_path, '[nodes.haproxy1]\nstate = "BACKUP"\n[nodes.haproxy2]\nstate = "MASTER"\n')
    )
    assert [n.name for n in spec.lb_start_order()] == ["haproxy2", "haproxy1"]
    assert [n.name for n in default_spec().lb_start_order()] == ["haproxy1", "haproxy2"]


def test_example_lab_files() -> None:
    spec = load_lab(EXAMPLES / "virtualbox-range.toml")
    assert [n.name for n in spec.by_role("web")] == ["web1", "web2", "web3"]
    assert spec.subnet == ipaddress.IPv4Network("192.168.56.0/24")
    assert str(spec.node("web3").address) == "192.168.56.23"
    three = load_lab(EXAMPLES / "three-webs.toml")
    assert [str(n.address) for n in three.by_role("web")] == ["10.0.0.21", "10.0.0.22", "10.0.0.23"]


def test_name_option_overrides(tmp_path: Path) -> None:
    assert load_lab(None, "other").name == "other"
    assert load_lab(write(tmp_path, 'name = "a"\n'), "b").name == "b"


def test_round_trip_through_lab_file_form() -> None:
    spec = load_lab(None, "rt")
    assert parse_lab(spec_to_dict(spec), "state") == spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[nodes.web3]\nrole = "web"\naddress = "10.0.0.22"\n',
            ["nodes.web3.address", "10.0.0.22 is already used by web2", "Fix:"],
        ),
        ('vip = "10.1.0.10"\n', ["vip", "outside the subnet 10.0.0.0/24", "Fix:"]),
        (
            '[nodes.web3]\nrole = "webserver"\naddress = "10.0.0.23"\n',
            ["nodes.web3.role", "unknown role 'webserver'", "did you mean 'web'?"],
        ),
        (
            '[nodes.web1]\nadress = "10.0.0.23"\n',
            ["unknown key 'adress'", "did you mean 'address'?"],
        ),
        ('vipp = "10.0.0.10"\n', ["top level", "unknown key 'vipp'", "did you mean 'vip'?"]),
        ("[vrrp]\nadvert_int = 0\n", ["vrrp.advert_int", "from 1 to 255"]),
        ('[vrrp]\nvirtual_router_id = "100"\n', ["vrrp.virtual_router_id"]),
        ('[nodes.web3]\nrole = "web"\n', ["[nodes.web3]", "needs a role and an address"]),
        ("[nodes.web1]\npriority = 50\n", ["only apply to role 'lb'"]),
        ('subnet = "10.0.0.1/24"\n', ["subnet", "not an IPv4 network"]),
        ('vip = "10.0.0.255"\n', ["vip", "broadcast"]),
        ('vip = "10.0.0.11"\n', ["nodes.haproxy1.address", "already used by the VIP"]),
        ('[nodes.client2]\nrole = "client"\naddress = "10.0.0.101"\n', ["exactly one 'client'"]),
        ('nic = "a very long interface name"\n', ["nic", "not a valid interface name"]),
        ('[nodes.Web_3]\nrole = "web"\naddress = "10.0.0.23"\n', ["not a valid node name"]),
        ("this is not toml", ["not valid TOML", "line 1"]),
    ],
)
def test_bad_lab_file_names_file_field_and_fix(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LabFileError) as caught:
        load_lab(path)
    message = caught.value.message
    assert message.startswith(str(path))
    assert "Fix:" in message
    for part in expected:
        assert part in message
    assert "\n" not in message
    assert caught.value.exit_code == ExitCode.USAGE


def test_missing_lab_file(tmp_path: Path) -> None:
    with pytest.raises(LabFileError, match="cannot read the lab file"):
        load_lab(tmp_path / "nope.toml")


def test_bad_name_option() -> None:
    with pytest.raises(LabFileError, match="--name: name: 'Bad Name' is not a valid lab name"):
        load_lab(None, "Bad Name")
