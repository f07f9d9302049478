"""Device configurations kept, compared and checked: backups over SSH (netmiko) with one small
model per device type (`models`), cleaned of volatile lines and secrets (`clean`), kept in a git
history under the state folder (`history`), run with a deadline per device (`backup`), and
checked against the compliance rules next to the inventory (`compliance`). Nothing is ever
pushed back to a device."""
