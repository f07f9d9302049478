"""Decode walked columns (by profile column name) into typed samples. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from noc.collector.samples import InterfaceCounters, InterfaceLabels, RadioSample
from noc.snmp.client import Column
from noc.snmp.values import Oid, Value

# Walked data keyed by the profile's column name: column -> index suffix -> value.
Walked = Mapping[str, Column]


def _int(column: Column | None, index: Oid) -> int | None:
    if column is None:
        return None
    value = column.get(index)
    if value is None or value.is_exception or not isinstance(value.value, int):
        return None
    return value.value


def _text(column: Column | None, index: Oid) -> str | None:
    if column is None:
        return None
    value = column.get(index)
    if value is None or value.is_exception:
        return None
    return value.as_text().strip()


def interface_indexes(walked: Walked) -> set[int]:
    """ifIndex values present in any interface column (single sub-identifier indexes only)."""
    return {index[0] for column in walked.values() for index in column if len(index) == 1}


def decode_labels(walked: Walked) -> dict[int, InterfaceLabels]:
    out = {}
    for n in sorted(interface_indexes(walked)):
        i = (n,)
        descr = _text(walked.get("ifDescr"), i) or ""
        name = _text(walked.get("ifName"), i) or descr or f"ifIndex {n}"
        high = _int(walked.get("ifHighSpeed"), i)
        low = _int(walked.get("ifSpeed"), i)
        # ifHighSpeed (Mbit/s) when present and non-zero; ifSpeed saturates at 4.29 Gbit/s.
        speed = high * 1_000_000 if high else low if low else None
        out[n] = InterfaceLabels(
            index=n,
            name=name,
            descr=descr,
            alias=_text(walked.get("ifAlias"), i) or "",
            if_type=_int(walked.get("ifType"), i),
            speed_bps=speed,
        )
    return out


def _pick(walked: Walked, hc: str, low: str, i: Oid) -> tuple[int | None, bool]:
    value = _int(walked.get(hc), i)
    if value is not None:
        return value, True
    return _int(walked.get(low), i), False


def decode_counters(walked: Walked) -> dict[int, InterfaceCounters]:
    out = {}
    for n in sorted(interface_indexes(walked)):
        i = (n,)
        in_octets, in_hc = _pick(walked, "ifHCInOctets", "ifInOctets", i)
        out_octets, out_hc = _pick(walked, "ifHCOutOctets", "ifOutOctets", i)
        in_ucast, _ = _pick(walked, "ifHCInUcastPkts", "ifInUcastPkts", i)
        out_ucast, _ = _pick(walked, "ifHCOutUcastPkts", "ifOutUcastPkts", i)
        out[n] = InterfaceCounters(
            index=n,
            admin_status=_int(walked.get("ifAdminStatus"), i),
            oper_status=_int(walked.get("ifOperStatus"), i),
            in_octets=in_octets,
            out_octets=out_octets,
            # Both directions must agree; a mixed pair is treated as 32-bit (the narrower wrap).
            counter_bits=64 if in_hc and out_hc else 32,
            in_errors=_int(walked.get("ifInErrors"), i),
            out_errors=_int(walked.get("ifOutErrors"), i),
            in_discards=_int(walked.get("ifInDiscards"), i),
            out_discards=_int(walked.get("ifOutDiscards"), i),
            in_ucast=in_ucast,
            out_ucast=out_ucast,
            in_multicast=_int(walked.get("ifHCInMulticastPkts"), i),
            out_multicast=_int(walked.get("ifHCOutMulticastPkts"), i),
            in_broadcast=_int(walked.get("ifHCInBroadcastPkts"), i),
            out_broadcast=_int(walked.get("ifHCOutBroadcastPkts"), i),
            discontinuity_ticks=_int(walked.get("ifCounterDiscontinuityTime"), i),
        )
    return out


def decode_radios(walked: Walked) -> list[RadioSample]:
    """MikroTik registration table or airOS wireless statistics, whichever the profile polled."""
    out = []
    for prefix, signal, tx, rx in (
        ("mtxr", "mtxrWlRtabStrength", "mtxrWlRtabTxRate", "mtxrWlRtabRxRate"),
        ("ubnt", "ubntWlStatSignal", "ubntWlStatTxRate", "ubntWlStatRxRate"),
    ):
        column = walked.get(signal)
        if not column:
            continue
        for index in sorted(column):
            out.append(
                RadioSample(
                    key=f"{prefix}:{'.'.join(map(str, index))}",
                    signal_dbm=_int(column, index),
                    tx_rate_bps=_int(walked.get(tx), index),
                    rx_rate_bps=_int(walked.get(rx), index),
                )
            )
    return out


def decode_host(walked: Walked) -> tuple[float | None, float | None]:
    """Average CPU load (%) and the fullest storage's used ratio, from HOST-RESOURCES-MIB."""
    loads = [v.value for v in (walked.get("hrProcessorLoad") or {}).values()
             if isinstance(v.value, int)]  # fmt: skip
    cpu = sum(loads) / len(loads) if loads else None
    size, used = walked.get("hrStorageSize") or {}, walked.get("hrStorageUsed") or {}
    ratios = [
        used_value.value / size_value.value
        for index, size_value in size.items()
        if isinstance(size_value.value, int) and size_value.value > 0
        and (used_value := used.get(index, Value(size_value.tag, 0))) is not None
        and isinstance(used_value.value, int)
    ]  # fmt: skip
    return cpu, (max(ratios) if ratios else None)
