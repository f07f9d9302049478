"""Diagnostics against one device, for technicians; audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from noc.api.deps import PREFIX, Ctx, Technician
from noc.api.schemas import DiagIn
from noc.diag.result import DiagError, DiagRefused, DiagUnrecorded
from noc.diag.runner import DiagRequest, run_diagnostic

router = APIRouter(prefix=PREFIX, tags=["diagnostics"])


@router.post("/diagnostics")
async def diagnostics(ctx: Ctx, principal: Technician, body: DiagIn) -> dict[str, Any]:
    """Run one diagnostic (ping, SNMP, interface check, read-only SSH command) against a device
    in the inventory (technicians). Audited."""
    req = DiagRequest(body.action, body.device, tuple(body.objects), body.command, body.window_s)
    client = ctx.client_factory()
    try:
        result = await run_diagnostic(
            ctx.inv, req, client, ctx.audit, f"token:{principal.name}", ctx.secrets
        )
    except DiagRefused as exc:
        raise HTTPException(422, str(exc)) from None
    except DiagUnrecorded as exc:
        raise HTTPException(500, str(exc)) from None
    except DiagError as exc:
        raise HTTPException(502, str(exc)) from None
    finally:
        await client.close()
    return result.to_json()
