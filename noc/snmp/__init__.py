"""SNMP: value types, OIDs, recordings, and the client the collector polls with."""
