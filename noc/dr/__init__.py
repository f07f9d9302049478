"""Disaster recovery: readiness checks of the DR site, and the failover policy."""
