"""The simulated Kota Bogor network for the demo and the tests: SNMP agents on loopback
(`agent`, `device`, `builder`), scenarios (`scenarios`, `control`), stand-ins for the alert
receivers (`services`, `inbox`), the alert path (`stack`) and a simulated month (`month`)."""
