"""Radios named for people: MikroTik's registration table index is the peer's MAC and the
interface's ifIndex; the exporter says `wlan1 4c:5e:0c:10:20:01`, not `mtxr:76.94.12.16.32.1.2`."""

from __future__ import annotations

from noc.exporter.network import _radio_name
from noc.polling.decode import decode_radios
from noc.polling.samples import DeviceSample, InterfaceDetails
from noc.snmp.values import Tag, Value


def test_a_mikrotik_peer_is_its_interface_and_mac() -> None:
    index = (76, 94, 12, 16, 32, 1, 2)
    (radio,) = decode_radios({"mtxrWlRtabStrength": {index: Value(Tag.INTEGER, -61)}})
    assert radio.key == "mtxr:76.94.12.16.32.1.2"
    assert (radio.peer, radio.if_index, radio.signal_dbm) == ("4c:5e:0c:10:20:01", 2, -61)
    sample = DeviceSample.__new__(DeviceSample)
    object.__setattr__(sample, "details", {2: InterfaceDetails.__new__(InterfaceDetails)})
    object.__setattr__(sample.details[2], "name", "wlan1")
    assert _radio_name(sample, radio) == "wlan1 4c:5e:0c:10:20:01"


def test_an_airos_radio_is_its_interface_and_an_odd_index_keeps_its_key() -> None:
    (radio,) = decode_radios({"ubntWlStatSignal": {(5,): Value(Tag.INTEGER, -70)}})
    assert (radio.peer, radio.if_index) == (None, 5)
    (odd,) = decode_radios({"mtxrWlRtabStrength": {(1, 2, 3): Value(Tag.INTEGER, -50)}})
    sample = DeviceSample.__new__(DeviceSample)
    object.__setattr__(sample, "details", {})
    assert _radio_name(sample, odd) == "mtxr:1.2.3"
