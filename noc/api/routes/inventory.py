"""The inventory: sites, devices (with their live interfaces) and links."""

from __future__ import annotations

from fastapi import APIRouter

from noc.api.deps import PREFIX, Ctx, Reader, device_or_404
from noc.api.schemas import DeviceOut, InterfaceOut, LinkOut, SiteOut
from noc.inventory.model import Device

router = APIRouter(prefix=PREFIX, tags=["inventory"])


@router.get("/sites", response_model=list[SiteOut])
def sites(
    ctx: Ctx, _: Reader, kind: str | None = None, kecamatan: str | None = None
) -> list[SiteOut]:
    """The inventory's sites (BTS, fibre points, offices, data centre, DR site) with their
    coordinates; filter by kind or kecamatan."""
    return [
        SiteOut(
            name=s.name,
            kind=s.kind.value,
            title=s.title,
            kecamatan=s.kecamatan,
            lat=s.lat,
            lon=s.lon,
        )
        for s in ctx.inv.sites
        if (kind is None or s.kind.value == kind)
        and (kecamatan is None or s.kecamatan == kecamatan)
    ]


def _device_out(d: Device) -> DeviceOut:
    return DeviceOut(
        name=d.name,
        site=d.site,
        kind=d.kind.value,
        role=d.role.value,
        tier=d.tier.value,
        address=str(d.address),
        port=d.port,
        parent=d.parent,
        ssh=d.ssh is not None,
        interfaces=len(d.interfaces),
    )


@router.get("/devices", response_model=list[DeviceOut])
def devices(
    ctx: Ctx, _: Reader, site: str | None = None, role: str | None = None, tier: str | None = None
) -> list[DeviceOut]:
    """The inventory's devices; filter by site, role or tier."""
    return [
        _device_out(d)
        for d in ctx.inv.devices
        if (site is None or d.site == site)
        and (role is None or d.role.value == role)
        and (tier is None or d.tier.value == tier)
    ]


@router.get("/devices/{name}", response_model=DeviceOut)
def device(ctx: Ctx, _: Reader, name: str) -> DeviceOut:
    """One device from the inventory."""
    return _device_out(device_or_404(ctx, name))


@router.get("/devices/{name}/interfaces", response_model=list[InterfaceOut])
def interfaces(ctx: Ctx, _: Reader, name: str) -> list[InterfaceOut]:
    """A device's interfaces: the inventory's speed and description with the live oper
    status, rates, utilisation against the contract and errors."""
    d = device_or_404(ctx, name)
    now = ctx.live.snapshot(devices=[name]) if ctx.live else None
    out = []
    for i in d.interfaces:
        live = now.interface(name, i.name) if now else None
        out.append(
            InterfaceOut(
                name=i.name,
                speed_bps=i.speed_bps,
                description=i.description,
                oper=None
                if live is None or live.oper_status is None
                else ("up" if live.oper_status == 1 else "down"),
                in_bps=live.in_bps if live else None,
                out_bps=live.out_bps if live else None,
                utilisation=live.utilisation if live else None,
                errors_per_s=live.errors_per_s if live else None,
                no_rate=live.no_rate if live else None,
            )
        )
    return out


@router.get("/links", response_model=list[LinkOut])
def links(ctx: Ctx, _: Reader, medium: str | None = None, tier: str | None = None) -> list[LinkOut]:
    """The inventory's links with their medium, tier, ends and contracted capacity; filter by
    medium or tier."""
    return [
        LinkOut(
            name=ln.name,
            medium=ln.medium.value,
            tier=ln.tier.value,
            a_device=ln.a.device,
            a_interface=ln.a.interface,
            b_device=ln.b.device if ln.b else None,
            b_interface=ln.b.interface if ln.b else None,
            provider=ln.provider,
            capacity_bps=ln.capacity_bps,
        )
        for ln in ctx.inv.links
        if (medium is None or ln.medium.value == medium) and (tier is None or ln.tier.value == tier)
    ]
