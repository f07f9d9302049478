"""Technicians' diagnostics: ping, trace, SNMP get/walk, a live interface table, allow-listed
SSH show-commands, and `check`, which runs the relevant ones and gives a verdict."""
