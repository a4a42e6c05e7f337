"""Parsers for the lab's configuration files (keepalived.conf, haproxy.cfg) that keep file and
line numbers, accept what the daemons accept, and never raise on bad input: what they cannot
read becomes a Finding."""
