"""The `noc` command line."""
