"""Decode walked columns (by profile column name) into typed samples. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from noc.polling.samples import InterfaceCounters, InterfaceDetails, RadioSample
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


def decode_details(walked: Walked) -> dict[int, InterfaceDetails]:
    out = {}
    for n in sorted(interface_indexes(walked)):
        i = (n,)
        descr = _text(walked.get("ifDescr"), i) or ""
        name = _text(walked.get("ifName"), i) or descr or f"ifIndex {n}"
        speed, suspect = interface_speed(
            _int(walked.get("ifHighSpeed"), i), _int(walked.get("ifSpeed"), i)
        )
        out[n] = InterfaceDetails(
            index=n,
            name=name,
            descr=descr,
            alias=_text(walked.get("ifAlias"), i) or "",
            if_type=_int(walked.get("ifType"), i),
            speed_bps=speed,
            speed_suspect=suspect,
        )
    return out


MAX_PLAUSIBLE_BPS = 10**13  # 10 Tbit/s: no interface is that fast
IF_SPEED_MAX = 2**32 - 1  # ifSpeed saturates here (4.29 Gbit/s)


def plausible(bps: int | None) -> bool:
    return bps is not None and 0 < bps <= MAX_PLAUSIBLE_BPS


def interface_speed(high: int | None, low: int | None) -> tuple[int | None, str | None]:
    """bit/s from ifHighSpeed (Mbit/s) when present and non-zero, else ifSpeed (bit/s); 0 or
    absent means unknown. A figure no interface can have is not believed: ifHighSpeed above
    10 Tbit/s, or 100 times what an unsaturated ifSpeed says (a device that puts bit/s into
    the Mbit/s field). Then ifSpeed is used when it is plausible, and the reason is kept."""
    if high:
        bps = high * 1_000_000
        unsaturated = low is not None and 0 < low < IF_SPEED_MAX
        if not plausible(bps) or (unsaturated and low is not None and bps > 100 * low):
            why = f"ifHighSpeed {high:,} Mbit/s is implausible"
            if plausible(low) and (low or 0) < IF_SPEED_MAX:
                return low, f"{why}; ifSpeed used"
            return None, f"{why}; speed unknown"
        return bps, None
    if low:
        return (low, None) if plausible(low) else (None, f"ifSpeed {low:,} is implausible")
    return None, None


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
            # MikroTik's registration table is indexed by the peer's MAC (6 numbers) and the
            # interface's ifIndex; airOS's statistics by the interface.
            peer = if_index = None
            if prefix == "mtxr" and len(index) == 7 and all(0 <= b <= 255 for b in index[:6]):
                peer = ":".join(f"{b:02x}" for b in index[:6])
                if_index = index[6]
            elif len(index) == 1:
                if_index = index[0]
            out.append(
                RadioSample(
                    key=f"{prefix}:{'.'.join(map(str, index))}",
                    signal_dbm=_int(column, index),
                    tx_rate_bps=_int(walked.get(tx), index),
                    rx_rate_bps=_int(walked.get(rx), index),
                    peer=peer,
                    if_index=if_index,
                )
            )
    return out


def decode_host(walked: Walked) -> tuple[float | None, float | None]:
    """Average CPU load (%) and the fullest storage's used ratio, from HOST-RESOURCES-MIB."""
    loads = [
        v.value for v in (walked.get("hrProcessorLoad") or {}).values() if isinstance(v.value, int)
    ]
    cpu = sum(loads) / len(loads) if loads else None
    size, used = walked.get("hrStorageSize") or {}, walked.get("hrStorageUsed") or {}
    ratios = [
        used_value.value / size_value.value
        for index, size_value in size.items()
        if isinstance(size_value.value, int)
        and size_value.value > 0
        and (used_value := used.get(index, Value(size_value.tag, 0))) is not None
        and isinstance(used_value.value, int)
    ]
    return cpu, (max(ratios) if ratios else None)
