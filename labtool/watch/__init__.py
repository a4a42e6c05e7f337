"""`labtool watch`: the cluster live in a browser, served on 127.0.0.1 (layer 8: a consumer
of the probes, the scenarios and the report, like the CLI)."""
