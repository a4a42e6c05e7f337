"""Run by labtool in a node that is a namespace of this machine (netns): opens the rtnetlink
socket that hears the node's IPv4 address changes (subscribed, then the current addresses
asked for), hands it to labtool over the UNIX socket labtool passed down, and ends. labtool
reads the node's addresses from there on its own thread: no process of it stays in the node,
whose memory the lab's bounds count. Stdlib only (a copy beside the agent).

Run it as: python3 -S handover.py IFACE FD   (FD: the inherited UNIX socket)
"""

import array
import socket
import struct
import sys
from typing import List, Optional

try:
    from labtool.probes import packets
except ImportError:  # a copy run by a node's own python3, beside its other files
    import packets  # type: ignore[no-redef,import-not-found]

INDEX = struct.Struct("=i")  # the NIC's index, sent with the socket


def main(argv: Optional[List[str]] = None) -> None:
    iface, channel = argv if argv is not None else sys.argv[1:3]
    index = socket.if_nametoindex(iface)
    watch = packets.open_address_watch()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, 0, int(channel)) as out:
        fds = array.array("i", [watch.fileno()])
        out.sendmsg([INDEX.pack(index)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())])


if __name__ == "__main__":
    main()
