"""NetFlow v5, NetFlow v9 and IPFIX datagrams into flow records, with the exporters' templates
kept per exporter, observation domain and template ID. Pure: datagrams in, records and reasons
out; nothing here reads a socket or a clock (the export header's time is the records' clock).

A data set whose template has not arrived (the collector started after the exporter, or a
template was lost) is held, a bounded number per domain, and decoded when the template comes:
a lost template costs a delay of one refresh, not the records. A template ID reused with
another layout replaces the old one. Sampling rates from option records scale the counts.
Everything refused is counted by its reason; no input grows memory without bound.
"""

from __future__ import annotations

import struct
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

V6 = 1 << 128  # an IPv6 address as an int carries this bit (IPv4 ones are below 2**32)
MAX_DOMAINS = 16  # observation domains (or v9 source IDs) per exporter
MAX_ALL_DOMAINS = 1024  # in all, whoever sends
MAX_TEMPLATES = 256  # per domain
MAX_FIELDS = 128  # per template
MAX_PENDING = 2048  # data sets waiting for their template, per domain
MAX_PENDING_BYTES = 32 * 1024 * 1024  # ... and their bytes, over every domain
RESTART_GAP = 10_000  # an IPFIX sequence this far back: the exporter started again
PENDING_MS = 30 * 60 * 1000  # how long a data set waits for its template

# Information elements read from data records (the same numbers in v9 and IPFIX).
_WANTED = {
    1: "octets",
    2: "packets",
    4: "proto",
    7: "src_port",
    8: "src",
    10: "in_if",
    11: "dst_port",
    12: "dst",
    14: "out_if",
    21: "last_up",  # ms of the exporter's uptime
    22: "first_up",
    27: "src6",
    28: "dst6",
    85: "octets_total",
    86: "packets_total",
    150: "start_s",
    151: "end_s",
    152: "start_ms",
    153: "end_ms",
    225: "nat_src",  # post-NAT (IPFIX 225-228; MikroTik and Cisco send them too)
    226: "nat_dst",
    227: "nat_src_port",
    228: "nat_dst_port",
}
# ... and from option records: the sampling rate, and the exporter's boot time.
_OPTION_WANTED = {
    34: "sampling",  # samplingInterval (v9 SAMPLING_INTERVAL)
    50: "sampling",  # samplerRandomInterval (v9 FLOW_SAMPLER_RANDOM_INTERVAL)
    305: "packet_interval",  # samplingPacketInterval
    306: "packet_space",  # samplingPacketSpace
    160: "init_ms",  # systemInitTimeMilliseconds
}
_INT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_ADDR = {"src", "dst", "src6", "dst6", "nat_src", "nat_dst"}
_V5 = struct.Struct(">IIIHHIIIIHHBBBBHHBBH")
_V5_HEADER = struct.Struct(">HHIIIIBBH")
_V9_HEADER = struct.Struct(">HHIIII")
_IPFIX_HEADER = struct.Struct(">HHIII")
_SET = struct.Struct(">HH")


@dataclass(slots=True)
class FlowRecord:
    """One flow as the exporter counted it (counts already scaled by its sampling rate)."""

    exporter: str
    src: int
    dst: int
    src_port: int
    dst_port: int
    proto: int
    octets: int
    packets: int
    in_if: int
    out_if: int
    start_ms: int  # Unix time in ms
    end_ms: int
    nat_src: int = 0  # 0: not given
    nat_dst: int = 0


@dataclass(frozen=True)
class Layout:
    """A template compiled once: one struct for the fixed-length record, and where each read
    element sits in its unpacked tuple (-1: absent)."""

    fields: tuple[tuple[int, int, int], ...]  # (element, length, enterprise)
    record: struct.Struct | None  # None: variable-length elements (read element by element)
    at: dict[str, int]
    odd: frozenset[int]  # tuple positions holding bytes to read as an unsigned int

    @classmethod
    def compile(cls, fields: tuple[tuple[int, int, int], ...], wanted: dict[int, str]) -> Layout:
        if any(length == 0xFFFF for _, length, _ in fields):
            return cls(fields, None, {}, frozenset())
        fmt, at, odd = [">"], {}, set()
        position = 0
        for element, length, enterprise in fields:
            name = wanted.get(element) if enterprise == 0 else None
            if name is None or name in at:
                fmt.append(f"{length}x")
                continue
            if name in ("src6", "dst6") and length == 16:
                fmt.append("16s")
                odd.add(position)
            elif length in _INT_CODES:
                fmt.append(_INT_CODES[length])
            else:
                fmt.append(f"{length}s")
                odd.add(position)
            at[name] = position
            position += 1
        return cls(fields, struct.Struct("".join(fmt)), at, frozenset(odd))

    @property
    def size(self) -> int:
        return sum(length for _, length, _ in self.fields)

    def rows(self, body: bytes) -> Iterable[dict[str, int]]:
        """Each record of a data set as element name -> value."""
        if self.record is not None:
            size = self.record.size
            if size == 0:
                return
            usable = len(body) - len(body) % size  # the rest is padding
            at, odd = self.at, self.odd
            for values in self.record.iter_unpack(body[:usable]):
                yield {
                    name: int.from_bytes(values[i], "big") if i in odd else values[i]
                    for name, i in at.items()
                }
            return
        yield from self._variable(body)

    def _variable(self, body: bytes) -> Iterable[dict[str, int]]:
        offset = 0
        minimum = sum(1 if length == 0xFFFF else length for _, length, _ in self.fields)
        while len(body) - offset >= max(minimum, 1):
            row: dict[str, int] = {}
            for element, length, enterprise in self.fields:
                if length == 0xFFFF:
                    if offset >= len(body):
                        return
                    length = body[offset]
                    offset += 1
                    if length == 255:
                        if offset + 2 > len(body):
                            return
                        length = int.from_bytes(body[offset : offset + 2], "big")
                        offset += 2
                if offset + length > len(body):
                    return
                name = _WANTED.get(element) if enterprise == 0 else None
                if name is not None and name not in row:
                    row[name] = int.from_bytes(body[offset : offset + length], "big")
                offset += length
            yield row


@dataclass
class Domain:
    """What one exporter's observation domain has told: its templates, sampling, boot time."""

    templates: dict[int, Layout] = field(default_factory=dict)
    options: dict[int, Layout] = field(default_factory=dict)
    sampling: int = 1
    init_ms: int | None = None
    clock: int | None = None  # the last v9 uptime or IPFIX sequence number: restarts show in it
    # (template ID, set body, export time in ms, exporter uptime in ms or None)
    pending: deque[tuple[int, bytes, int, int | None]] = field(
        default_factory=lambda: deque(maxlen=MAX_PENDING)
    )


class Malformed(ValueError):
    """A datagram or set that does not parse: its reason."""


@dataclass
class Decoder:
    """The templates of every exporter it has heard, and the count of every refusal."""

    exporters: frozenset[str] | None = None  # None: any source; else only these addresses
    domains: dict[tuple[str, int, int], Domain] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)
    datagrams: Counter[int] = field(default_factory=Counter)  # by version
    records: int = 0
    replaced: int = 0  # templates whose ID came again with another layout
    restarts: int = 0  # exporters seen starting again (their templates forgotten)
    held_bytes: int = 0

    def templates(self) -> int:
        return sum(len(d.templates) + len(d.options) for d in self.domains.values())

    def decode(self, datagram: bytes, exporter: str) -> list[FlowRecord]:
        """The records of one datagram (and of any held sets its templates unlock)."""
        if self.exporters is not None and exporter not in self.exporters:
            self.dropped["unknown exporter"] += 1
            return []
        if len(datagram) < 4:
            self.dropped["malformed"] += 1
            return []
        version = int.from_bytes(datagram[:2], "big")
        try:
            if version == 5:
                out = self._v5(datagram, exporter)
            elif version == 9:
                out = self._v9(datagram, exporter)
            elif version == 10:
                out = self._ipfix(datagram, exporter)
            else:
                self.dropped["unknown version"] += 1
                return []
        except Malformed as exc:
            self.dropped[str(exc)] += 1
            return []
        self.datagrams[version] += 1
        self.records += len(out)
        return out

    # --- v5 ---------------------------------------------------------------------------------
    def _v5(self, data: bytes, exporter: str) -> list[FlowRecord]:
        if len(data) < _V5_HEADER.size:
            raise Malformed("malformed")
        _, count, uptime, secs, nsecs, _, _, _, sampling = _V5_HEADER.unpack_from(data)
        if count == 0 or count > 30 or len(data) < _V5_HEADER.size + count * _V5.size:
            raise Malformed("malformed")
        rate = (sampling & 0x3FFF) or 1
        base = secs * 1000 + nsecs // 1_000_000 - uptime
        out = []
        for r in _V5.iter_unpack(data[_V5_HEADER.size : _V5_HEADER.size + count * _V5.size]):
            src, dst, _, in_if, out_if, packets, octets, first, last, sport, dport = r[:11]
            out.append(
                FlowRecord(
                    exporter,
                    src,
                    dst,
                    sport,
                    dport,
                    r[13],
                    octets * rate,
                    packets * rate,
                    in_if,
                    out_if,
                    base + first,
                    base + last,
                )
            )
        return out

    # --- v9 and IPFIX -------------------------------------------------------------------------
    def _domain(self, exporter: str, version: int, domain: int) -> Domain:
        key = (exporter, version, domain)
        found = self.domains.get(key)
        if found is None:
            if len(self.domains) >= MAX_ALL_DOMAINS or (
                sum(1 for k in self.domains if k[0] == exporter) >= MAX_DOMAINS
            ):
                raise Malformed("too many domains")
            found = self.domains[key] = Domain()
        return found

    def _restarted(self, domain: Domain, clock: int, gap: int) -> None:
        """An exporter that starts again may reuse its template IDs with other layouts: what
        it said before is forgotten (its data waits for the new templates)."""
        if domain.clock is not None and clock + gap < domain.clock:
            self.restarts += 1
            domain.templates.clear()
            domain.options.clear()
            domain.sampling, domain.init_ms = 1, None
        domain.clock = clock

    def _v9(self, data: bytes, exporter: str) -> list[FlowRecord]:
        if len(data) < _V9_HEADER.size:
            raise Malformed("malformed")
        _, _, uptime, secs, _, source = _V9_HEADER.unpack_from(data)
        domain = self._domain(exporter, 9, source)
        self._restarted(domain, uptime, 1000)
        return self._sets(data, _V9_HEADER.size, len(data), exporter, domain, secs * 1000, uptime)

    def _ipfix(self, data: bytes, exporter: str) -> list[FlowRecord]:
        if len(data) < _IPFIX_HEADER.size:
            raise Malformed("malformed")
        _, length, secs, sequence, observation = _IPFIX_HEADER.unpack_from(data)
        if length < _IPFIX_HEADER.size or length > len(data):
            raise Malformed("malformed")
        domain = self._domain(exporter, 10, observation)
        self._restarted(domain, sequence, RESTART_GAP)
        return self._sets(data, _IPFIX_HEADER.size, length, exporter, domain, secs * 1000, None)

    def _sets(
        self,
        data: bytes,
        offset: int,
        end: int,
        exporter: str,
        domain: Domain,
        export_ms: int,
        uptime: int | None,
    ) -> list[FlowRecord]:
        ipfix = uptime is None
        out: list[FlowRecord] = []
        unlocked: list[int] = []
        while offset + 4 <= end:
            set_id, length = _SET.unpack_from(data, offset)
            if length < 4 or offset + length > end:
                raise Malformed("malformed")
            body = data[offset + 4 : offset + length]
            offset += length
            if set_id == (2 if ipfix else 0):
                unlocked += self._templates(body, domain, ipfix)
            elif set_id == (3 if ipfix else 1):
                unlocked += self._option_templates(body, domain, ipfix)
            elif set_id >= 256:
                out += self._data(set_id, body, exporter, domain, export_ms, uptime)
            else:
                self.dropped["reserved set"] += 1
        # Held sets are read once the whole message is: its option records (the sampling
        # rate) may come after the template that unlocks them.
        for template_id in unlocked:
            out += self._release(template_id, exporter, domain)
        return out

    def _fields(
        self, body: bytes, offset: int, count: int, ipfix: bool
    ) -> tuple[tuple[tuple[int, int, int], ...], int]:
        if count == 0 or count > MAX_FIELDS:
            raise Malformed("malformed template")
        fields = []
        for _ in range(count):
            if offset + 4 > len(body):
                raise Malformed("malformed template")
            element, length = _SET.unpack_from(body, offset)
            offset += 4
            enterprise = 0
            if ipfix and element & 0x8000:
                if offset + 4 > len(body):
                    raise Malformed("malformed template")
                enterprise = int.from_bytes(body[offset : offset + 4], "big")
                element &= 0x7FFF
                offset += 4
            if length == 0 or (length == 0xFFFF and not ipfix):
                raise Malformed("malformed template")
            fields.append((element, length, enterprise))
        return tuple(fields), offset

    def _keep(self, table: dict[int, Layout], template_id: int, layout: Layout) -> None:
        if template_id < 256:
            raise Malformed("malformed template")
        known = table.get(template_id)
        if known is None and len(table) >= MAX_TEMPLATES:
            raise Malformed("too many templates")
        if known is not None and known.fields != layout.fields:
            self.replaced += 1
        table[template_id] = layout

    def _templates(self, body: bytes, domain: Domain, ipfix: bool) -> list[int]:
        got, offset = [], 0
        while offset + 4 <= len(body):
            template_id, count = _SET.unpack_from(body, offset)
            offset += 4
            if ipfix and count == 0:  # a withdrawal
                domain.templates.pop(template_id, None)
                continue
            fields, offset = self._fields(body, offset, count, ipfix)
            self._keep(domain.templates, template_id, Layout.compile(fields, _WANTED))
            domain.options.pop(template_id, None)
            got.append(template_id)
        return got

    def _option_templates(self, body: bytes, domain: Domain, ipfix: bool) -> list[int]:
        got, offset = [], 0
        while len(body) - offset >= 6:
            if ipfix:
                template_id, count, scopes = struct.unpack_from(">HHH", body, offset)
                offset += 6
                if count == 0:
                    domain.options.pop(template_id, None)
                    continue
                if scopes == 0 or scopes > count:
                    raise Malformed("malformed template")
            else:
                template_id, scope_len, option_len = struct.unpack_from(">HHH", body, offset)
                offset += 6
                if scope_len % 4 or option_len % 4 or not option_len:
                    raise Malformed("malformed template")
                count = (scope_len + option_len) // 4
            fields, offset = self._fields(body, offset, count, ipfix)
            self._keep(domain.options, template_id, Layout.compile(fields, _OPTION_WANTED))
            domain.templates.pop(template_id, None)
            got.append(template_id)
            if not ipfix:
                break  # v9 pads the rest of an options flowset
        return got

    def _data(
        self,
        template_id: int,
        body: bytes,
        exporter: str,
        domain: Domain,
        export_ms: int,
        uptime: int | None,
    ) -> list[FlowRecord]:
        options = domain.options.get(template_id)
        if options is not None:
            self._read_options(options, body, domain)
            return []
        layout = domain.templates.get(template_id)
        if layout is not None and layout.record is not None and len(body) % layout.size > 3:
            # More than padding left over: not the layout we hold (a restart shows in the
            # header's clock and clears the templates; this set alone does not).
            self.dropped["layout mismatch"] += 1
            return []
        if layout is None:
            self._hold(domain, (template_id, body, export_ms, uptime))
            return []
        return self._records(layout, body, exporter, domain, export_ms, uptime)

    def _hold(self, domain: Domain, held: tuple[int, bytes, int, int | None]) -> None:
        if self.held_bytes + len(held[1]) > MAX_PENDING_BYTES:
            self.dropped["template unknown"] += 1
            return
        if len(domain.pending) == domain.pending.maxlen:
            self.dropped["template unknown"] += 1  # the oldest held set gives way
            self.held_bytes -= len(domain.pending[0][1])
        domain.pending.append(held)
        self.held_bytes += len(held[1])

    def _release(self, template_id: int, exporter: str, domain: Domain) -> list[FlowRecord]:
        """Decode the held sets a template just unlocked; drop those held too long."""
        out: list[FlowRecord] = []
        if not domain.pending:
            return out
        held_now = list(domain.pending)
        newest = max(export_ms for _, _, export_ms, _ in held_now)
        domain.pending = deque(maxlen=MAX_PENDING)
        unlocked = []
        for held in held_now:
            tid, body, export_ms, _ = held
            if tid == template_id or newest - export_ms > PENDING_MS:
                self.held_bytes -= len(body)
            if newest - export_ms > PENDING_MS:
                self.dropped["template unknown"] += 1
            elif tid == template_id:
                unlocked.append(held)
            else:
                domain.pending.append(held)
        for tid, body, export_ms, uptime in unlocked:
            out += self._data(tid, body, exporter, domain, export_ms, uptime)
        return out

    def _read_options(self, layout: Layout, body: bytes, domain: Domain) -> None:
        for row in layout.rows(body):
            rate = row.get("sampling")
            interval, space = row.get("packet_interval"), row.get("packet_space")
            if interval and space is not None:
                rate = (interval + space) // interval
            if rate:
                domain.sampling = rate
            if row.get("init_ms"):
                domain.init_ms = row["init_ms"]

    def _records(
        self,
        layout: Layout,
        body: bytes,
        exporter: str,
        domain: Domain,
        export_ms: int,
        uptime: int | None,
    ) -> list[FlowRecord]:
        rate = domain.sampling
        out = []
        for row in layout.rows(body):
            octets = row.get("octets", row.get("octets_total", 0))
            packets = row.get("packets", row.get("packets_total", 0))
            src = row.get("src")
            dst = row.get("dst")
            if src is None:
                src = row.get("src6", 0) | V6
                dst = row.get("dst6", 0) | V6
            start, end = _times(row, export_ms, uptime, domain.init_ms)
            out.append(
                FlowRecord(
                    exporter,
                    src,
                    dst or 0,
                    row.get("src_port", 0),
                    row.get("dst_port", 0),
                    row.get("proto", 0),
                    octets * rate,
                    packets * rate,
                    row.get("in_if", 0),
                    row.get("out_if", 0),
                    start,
                    end,
                    row.get("nat_src", 0),
                    row.get("nat_dst", 0),
                )
            )
        return out


def _times(
    row: dict[str, int], export_ms: int, uptime: int | None, init_ms: int | None
) -> tuple[int, int]:
    """A record's first and last packet in Unix ms, from whichever clock the exporter used."""
    if "start_ms" in row and "end_ms" in row:
        return row["start_ms"], row["end_ms"]
    if "start_s" in row and "end_s" in row:
        return row["start_s"] * 1000, row["end_s"] * 1000
    if "first_up" in row and "last_up" in row:
        if uptime is not None:  # v9: the header's uptime and Unix time
            base = export_ms - uptime
            return base + row["first_up"], base + row["last_up"]
        if init_ms is not None:  # IPFIX: the boot time an option record gave
            return init_ms + row["first_up"], init_ms + row["last_up"]
    return export_ms, export_ms
