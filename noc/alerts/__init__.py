"""The alert path: Alertmanager's configuration from the inventory, its runtime secrets, and
the history of what it sent."""
