"""A fleet of collectors sharing one PostgreSQL store: each member's lease rounds (`member`),
the workers of one machine under a supervisor (`workers`), and the fleet as a person reads it
(`report`)."""
