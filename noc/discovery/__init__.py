"""Discovery: a sweep of address ranges over SNMP, the neighbour tables read the same way
whatever the vendor, and a proposal for the inventory (never a silent change)."""
