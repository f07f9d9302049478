"""From a poll to a verdict: the scheduler picks due devices (`scheduler`), the poller asks
them over SNMP (`poller`, `engine`), the profile decodes the answers (`decode`), and the live
state folds them (`livestate`: `rates`, `availability`) into state changes, incidents and
rollups for the store and the exporter. Pure where it can be: `now` is passed in."""
