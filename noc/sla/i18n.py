"""Report language: labels, numbers, dates and durations in Bahasa Indonesia or English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "id": [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Network SLA report",
        "period": "Period",
        "generated": "Generated",
        "coverage": "Data coverage",
        "network": "Whole network",
        "availability": "Availability",
        "target": "Target",
        "compliant": "Meets target",
        "yes": "yes",
        "no": "no",
        "undefined": "undefined (no outages)",
        "no_data": "n/a (no data)",
        "outages": "Outages",
        "downtime": "Downtime",
        "longest": "Longest outage",
        "mttr": "MTTR",
        "mtbf": "MTBF",
        "budget": "Downtime allowance",
        "budget_left": "Downtime allowance left",
        "budget_left_short": "Allowance left*",
        "compliant_short": "Met",
        "none_short": "—",
        "maintenance": "Maintenance",
        "unknown": "Unknown (no data)",
        "tier": "Tier",
        "site": "Site",
        "device": "Device",
        "link": "Link",
        "capacity": "Contracted capacity",
        "share": "p95 / contract",
        "avg": "Average",
        "peak": "Peak",
        "p95": "95th percentile",
        "hours80": "Hours above 80%",
        "gaps": "Missing 5-min samples",
        "tiers": "Availability by tier",
        "sites_chart": "Sites with the lowest availability",
        "uplink_chart": "Uplink: daily 95th percentile against the contract",
        "timeline": "Outage timeline",
        "links": "Links",
        "devices": "Devices with downtime",
        "unknown_warning": "Warning: more than 1% of the period has no data; figures exclude it.",
        "method": "Availability = (scheduled - downtime) / scheduled. Maintenance and unknown "
        "time are removed from both; time a device was unreachable behind a failed "
        "device is charged to that device. 95th percentile: nearest rank of the 5-min "
        "averages, the higher of in and out; gaps are reported, never filled.",
        "root_cause": "Root cause",
        "start": "Start",
        "end": "End",
        "state": "State",
        "ongoing": "ongoing",
        "affected": "Devices affected",
        "alerts_by_site": "Alert notifications by site",
        "services": "E-government services",
        "services_note": "Each service as its vantage points see it (the data centre, the DR "
        "site and outside probes; down when most of them fail it), against its own target.",
        "service": "Service",
        "year_title": "Annual network report",
        "year_months": "By month: outages, and the uplink's 95th percentile against the contract",
        "year_devices": "The 20 devices with the lowest availability",
        "year_method": "Availability = (scheduled - downtime) / scheduled, maintenance and "
        "unknown time removed. The uplink's monthly 95th percentile: nearest rank of its "
        "5-minute averages in the month, the higher of in and out. Links' yearly figures come "
        "from each day's stored summary.",
        "month": "Month",
        "busy_users": "Who filled the uplink in its hours above 80%",
        "busy_users_note": "From the uplink router's flows, over the {hours} hours the uplink "
        "carried more than 80% of its contracted capacity (flows were recorded for {covered} "
        "of them): the sites (SKPD and kelurahan) and the applications, downloads and uploads "
        "together.",
        "application": "Application",
        "volume": "Volume",
        "traffic_share": "Share",
        "compliance": "Configuration compliance",
        "compliance_summary": "{ok} of {checked} backed-up device configurations meet all {rules} "
        "rules of config-rules.yaml, as of {date}.",
        "compliance_none": "No device configuration has been backed up yet.",
        "rule": "Rule",
        "finding": "Finding",
        "required_missing": "required line missing",
        "line_no": "line {n}",
        "notifications": "Notifications",
        "per_device": "average per device",
        "uplink_summary": "95th percentile {p95} = {share} of the {capacity} contract; "
        "{hours} hours above 80%.",
        "target_line": "dashed line: the target",
        "capacity_line": "solid line: contracted capacity",
        "day": "day of the month",
        "met_all": "Every availability target was met.",
        "uplink_hot": "The internet uplink is saturated: its daily 95th percentile is {share} of "
        "the {capacity} contract, {hours} hours above 80% this month.",
        "links_left_out": "{n} other access links are left out here (the ones least loaded); "
        "every link is in the CSV report.",
        "met_none": "No availability target can be judged yet: there is no data for this period.",
        "missed": "Targets not met: {names}.",
        "uplink": "ISP uplink",
        "tier_uplink": "uplink",
        "tier_backbone": "backbone",
        "tier_access": "access",
        "state_down": "down",
        "state_flapping": "flapping",
        "state_unreachable": "unreachable",
        "times": "Times in {zone}.",
    },
    "id": {
        "title": "Laporan SLA",
        "period": "Periode",
        "generated": "Dibuat",
        "coverage": "Cakupan data",
        "network": "Seluruh jaringan",
        "availability": "Ketersediaan",
        "target": "Target",
        "compliant": "Memenuhi target",
        "yes": "ya",
        "no": "tidak",
        "undefined": "tidak terdefinisi (tanpa gangguan)",
        "no_data": "t/a (tidak ada data)",
        "outages": "Gangguan",
        "downtime": "Waktu henti",
        "longest": "Gangguan terlama",
        "mttr": "MTTR",
        "mtbf": "MTBF",
        "budget": "Toleransi waktu henti",
        "budget_left": "Sisa toleransi waktu henti",
        "budget_left_short": "Sisa toleransi*",
        "compliant_short": "Tercapai",
        "none_short": "—",
        "maintenance": "Pemeliharaan",
        "unknown": "Tidak diketahui (tanpa data)",
        "tier": "Tingkat",
        "site": "Lokasi",
        "device": "Perangkat",
        "link": "Jalur",
        "capacity": "Kapasitas kontrak",
        "share": "p95 / kontrak",
        "avg": "Rata-rata",
        "peak": "Puncak",
        "p95": "Persentil ke-95",
        "hours80": "Jam di atas 80%",
        "gaps": "Sampel 5 menit yang hilang",
        "tiers": "Ketersediaan per tingkat",
        "sites_chart": "Lokasi dengan ketersediaan terendah",
        "uplink_chart": "Uplink: persentil ke-95 harian terhadap kapasitas kontrak",
        "timeline": "Garis waktu gangguan",
        "links": "Jalur",
        "devices": "Perangkat dengan waktu henti",
        "unknown_warning": "Peringatan: lebih dari 1% periode tanpa data; angka tidak "
        "menghitungnya.",
        "method": "Ketersediaan = (waktu terjadwal - waktu henti) / waktu terjadwal. Waktu "
        "pemeliharaan dan tanpa data dikeluarkan dari keduanya; waktu perangkat tidak "
        "terjangkau di belakang perangkat yang gagal dibebankan ke perangkat itu. "
        "Persentil ke-95: peringkat terdekat dari rata-rata 5 menit, yang lebih tinggi "
        "antara masuk dan keluar; data yang hilang dilaporkan, tidak diisi.",
        "root_cause": "Akar masalah",
        "start": "Mulai",
        "end": "Selesai",
        "state": "Status",
        "ongoing": "berlangsung",
        "affected": "Perangkat terdampak",
        "alerts_by_site": "Pemberitahuan gangguan per lokasi",
        "services": "Layanan e-government",
        "services_note": "Setiap layanan sebagaimana terlihat dari titik pantaunya (pusat data, "
        "situs DR dan probe luar; dinyatakan gangguan bila sebagian besar gagal menjangkaunya), "
        "terhadap target ketersediaannya sendiri.",
        "service": "Layanan",
        "year_title": "Laporan tahunan jaringan",
        "year_months": "Per bulan: gangguan, dan persentil ke-95 uplink terhadap kapasitas kontrak",
        "year_devices": "20 perangkat dengan ketersediaan terendah",
        "year_method": "Ketersediaan = (waktu terjadwal - waktu henti) / waktu terjadwal, tanpa "
        "waktu pemeliharaan dan waktu tanpa data. Persentil ke-95 bulanan uplink: peringkat "
        "terdekat dari rata-rata 5 menit dalam bulan itu, yang lebih tinggi antara masuk dan "
        "keluar. Angka tahunan jalur berasal dari ringkasan harian yang tersimpan.",
        "month": "Bulan",
        "busy_users": "Pemakai uplink pada jam di atas 80%",
        "busy_users_note": "Dari data flow router uplink, selama {hours} jam ketika uplink "
        "terisi lebih dari 80% kapasitas kontrak (flow tercatat untuk {covered} jam di "
        "antaranya): lokasi (SKPD dan kelurahan) dan aplikasi yang memakainya, unduhan dan "
        "unggahan digabung.",
        "application": "Aplikasi",
        "volume": "Volume",
        "traffic_share": "Porsi",
        "compliance": "Kepatuhan konfigurasi",
        "compliance_summary": "{ok} dari {checked} konfigurasi perangkat yang dicadangkan memenuhi "
        "seluruh {rules} aturan config-rules.yaml, per {date}.",
        "compliance_none": "Belum ada konfigurasi perangkat yang dicadangkan.",
        "rule": "Aturan",
        "finding": "Temuan",
        "required_missing": "baris wajib tidak ada",
        "line_no": "baris {n}",
        "notifications": "Pemberitahuan",
        "per_device": "rata-rata per perangkat",
        "uplink_summary": "Persentil ke-95 {p95} = {share} dari kapasitas kontrak {capacity}; "
        "{hours} jam di atas 80%.",
        "target_line": "garis putus-putus: target",
        "capacity_line": "garis tegas: kapasitas kontrak",
        "day": "tanggal",
        "met_all": "Semua target ketersediaan tercapai.",
        "uplink_hot": "Uplink internet padat: persentil ke-95 hariannya {share} dari kapasitas "
        "kontrak {capacity}, {hours} jam di atas 80% bulan ini.",
        "links_left_out": "{n} jalur akses lain (yang bebannya paling ringan) tidak ditampilkan "
        "di sini; semua jalur ada di laporan CSV.",
        "met_none": "Belum ada target ketersediaan yang dapat dinilai: tidak ada data untuk "
        "periode ini.",
        "missed": "Target yang tidak tercapai: {names}.",
        "uplink": "Uplink ISP",
        "tier_uplink": "uplink",
        "tier_backbone": "backbone",
        "tier_access": "akses",
        "state_down": "mati",
        "state_flapping": "tidak stabil",
        "state_unreachable": "tidak terjangkau",
        "times": "Waktu dalam {zone}.",
    },
}


@dataclass(frozen=True)
class Locale:
    lang: str
    zone: str = "Asia/Jakarta"

    def __post_init__(self) -> None:
        if self.lang not in LABELS:
            raise ValueError(f"unknown language {self.lang!r}: use id or en")

    def t(self, key: str) -> str:
        return LABELS[self.lang][key]

    def verdict(self, compliant: bool | None) -> str:
        """Whether a target was met; neither yes nor no for a period without data."""
        return self.t("no_data") if compliant is None else self.t("yes" if compliant else "no")

    def number(self, value: float, decimals: int = 2) -> str:
        text = f"{value:,.{decimals}f}"
        if self.lang == "id":  # 1.234,56
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def percent(self, value: float | None, decimals: int = 3) -> str:
        return "—" if value is None else f"{self.number(value * 100, decimals)}%"

    def mbps(self, bps: float | None) -> str:
        return "—" if bps is None else f"{self.number(bps / 1e6, 2)} Mbps"

    @property
    def zone_name(self) -> str:
        """WIB, WITA or WIT for Indonesia's zones; the zone's own name elsewhere."""
        return {
            "Asia/Jakarta": "WIB",
            "Asia/Pontianak": "WIB",
            "Asia/Makassar": "WITA",
            "Asia/Jayapura": "WIT",
        }.get(self.zone, self.zone)

    def date(self, epoch: float, with_time: bool = False) -> str:
        local = datetime.fromtimestamp(epoch, ZoneInfo(self.zone))
        text = f"{local.day} {MONTHS[self.lang][local.month - 1]} {local.year}"
        return f"{text} {local:%H:%M} {self.zone_name}" if with_time else text

    def tier(self, name: str) -> str:
        return LABELS[self.lang].get(f"tier_{name}", name)

    def state(self, name: str) -> str:
        return LABELS[self.lang].get(f"state_{name}", name)

    def month(self, epoch: float) -> str:
        local = datetime.fromtimestamp(epoch, ZoneInfo(self.zone))
        return f"{MONTHS[self.lang][local.month - 1]} {local.year}"

    def budget(self, seconds: float | None) -> str:
        """What is left of a downtime budget; t/a for a period with no data."""
        return self.t("no_data") if seconds is None else self.duration(seconds)

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return self.t("undefined")
        minutes = round(seconds / 60)
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        if self.lang == "id":
            day_unit, hour_unit, min_unit = "hari", "jam", "menit"
        else:
            day_unit, hour_unit = ("day" if days == 1 else "days"), "h"
            min_unit = "min"
        parts = ([f"{days} {day_unit}"] if days else []) + [
            f"{hours} {hour_unit} {mins} {min_unit}"
        ]
        return " ".join(parts)
