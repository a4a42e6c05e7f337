"""Provisioning (layer 4): roles to their desired state on any backend, and a lab's life."""
