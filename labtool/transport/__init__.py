"""Transports run a command on a node and put a file on it (layer 3).

Each concrete transport is one small class; a backend hands one out per node.
"""

from labtool.transport.base import Transport

__all__ = ["Transport"]
