"""SSH targets from `vagrant ssh-config` text (no connection made here; the real sshd is in
tests/integration/test_ssh_provision.py)."""

from __future__ import annotations

from labtool.provision.node import os_family
from labtool.transport.ssh import SshTarget

# As Vagrant >= 2.4 prints it: two IdentityFile lines (the machine's key and the insecure one).
SSH_CONFIG = """Host web1
  HostName 192.168.121.45
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /home/u/lab/.vagrant/machines/web1/libvirt/private_key
  IdentityFile /home/u/.vagrant.d/insecure_private_keys/vagrant.key.ed25519
  IdentitiesOnly yes
  LogLevel FATAL
"""


def test_both_identity_files_are_kept() -> None:
    target = SshTarget.from_ssh_config(SSH_CONFIG, "web1")
    assert target.host == "192.168.121.45" and target.user == "vagrant" and target.port == 22
    assert target.identity_files == (
        "/home/u/lab/.vagrant/machines/web1/libvirt/private_key",
        "/home/u/.vagrant.d/insecure_private_keys/vagrant.key.ed25519",
    )
    argv = target.ssh_argv()
    assert argv.count("-i") == 2 and argv[-1] == "vagrant@192.168.121.45"


def test_proxy_command_is_kept() -> None:
    target = SshTarget.from_ssh_config("Host n\n  ProxyCommand nsenter -t 1 sshd -i\n", "n")
    assert target.proxy_command == "nsenter -t 1 sshd -i"
    assert "ProxyCommand=nsenter -t 1 sshd -i" in target.ssh_argv()


def test_os_family() -> None:
    assert os_family('ID=debian\nVERSION_ID="12"\n') == "debian"
    assert os_family('ID="centos"\nVERSION_ID="7"\nID_LIKE="rhel fedora"\n') == "centos7"
    assert os_family('ID="almalinux"\nVERSION_ID="9.4"\nID_LIKE="rhel centos fedora"\n') == "el"


def test_vagrant_ssh_config_with_windows_paths() -> None:
    """`vagrant ssh-config` on Windows: drive letters, either slash, quoted paths with spaces."""
    from labtool.backends.vagrant.tools import split_ssh_config

    text = (
        "Host haproxy1\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n"
        '  IdentityFile "C:/Users/Jane Doe/tp web/.vagrant/machines/haproxy1/virtualbox/'
        'private_key"\n  IdentityFile C:/Users/jane/.vagrant.d/insecure_private_key\n'
        "  IdentitiesOnly yes\n\n"
        "Host web1\n  HostName 127.0.0.1\n  Port 2200\n"
        '  IdentityFile "D:\\My Labs\\tp\\.vagrant\\machines\\web1\\hyperv\\private_key"\n'
    )
    blocks = split_ssh_config(text)
    assert set(blocks) == {"haproxy1", "web1"}
    lb = SshTarget.from_ssh_config(blocks["haproxy1"], "haproxy1")
    assert lb.port == 2222 and lb.identity_files == (
        "C:/Users/Jane Doe/tp web/.vagrant/machines/haproxy1/virtualbox/private_key",
        "C:/Users/jane/.vagrant.d/insecure_private_key",
    )
    web = SshTarget.from_ssh_config(blocks["web1"], "web1")
    assert web.identity_files == ("D:\\My Labs\\tp\\.vagrant\\machines\\web1\\hyperv\\private_key",)
    argv = web.ssh_argv()
    assert argv[argv.index("-i") + 1] == web.identity_files[0]  # one argument, spaces and all
