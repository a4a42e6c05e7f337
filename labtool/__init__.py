"""labtool: build the 'Cluster web' HA lab, break it on purpose, measure it, grade it."""

__version__ = "0.1.0"
