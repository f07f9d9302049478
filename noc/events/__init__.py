"""What devices say about themselves: SNMP traps and informs, and syslog. Each message is
decoded (our own BER codec), matched to a device, kept in the event log, and read as a hint
that the poller confirms: a message makes the toolkit learn sooner, never decides a state."""
