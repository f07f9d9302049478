"""The HTTP API (FastAPI), served by `noc serve` beside /metrics."""
