"""Vagrant's own words for a failure of python-vagrant's calls."""

from __future__ import annotations

import subprocess

from labtool.backends.vagrant.tools import vagrant_said

MACHINE_READABLE = (
    "1796376349,,ui,error,No usable default provider could be found for your system.\\n\\n"
    "Vagrant relies on interactions with 3rd party systems%!(VAGRANT_COMMA) known as\\n"
    '"providers"\n'
    "1796376349,,error-exit,Vagrant::Errors::NoDefaultProvider,No usable default provider "
    "could be found for your system.\\n\\nVagrant relies on interactions%!(VAGRANT_COMMA) "
    "etc.\n"
)


def test_the_error_of_vagrants_machine_readable_output_first_paragraph() -> None:
    exc = subprocess.CalledProcessError(1, ["vagrant", "status"], output=MACHINE_READABLE)
    assert vagrant_said(exc) == "No usable default provider could be found for your system"


def test_else_its_last_lines() -> None:
    exc = subprocess.CalledProcessError(1, ["vagrant", "up"], output=b"one\ntwo\n\nthree\n")
    assert vagrant_said(exc) == "one / two / three"
    assert vagrant_said(subprocess.CalledProcessError(2, ["vagrant"])) == "exit 2"
