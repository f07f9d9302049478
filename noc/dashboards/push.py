"""Upload the dashboards to a Grafana through its HTTP API.

Uses `grafana-client`, the maintained fork of `grafana-api` (which has had no release since
2019 and does not know Grafana's folder UIDs): one folder by UID, then every dashboard with
`overwrite`, so pushing twice is harmless.
"""

from __future__ import annotations

from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

FOLDER_UID = "noc-kota-bogor"
FOLDER_TITLE = "NOC Kota Bogor"


def push(url: str, token: str, dashboards: dict[str, dict[str, Any]]) -> list[str]:
    """Create the folder if needed, then upload each dashboard; returns the uploaded UIDs."""
    api = GrafanaApi.from_url(url=url, credential=token, timeout=10.0)
    try:
        api.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as exc:
        if getattr(exc, "status_code", None) != 404:
            raise
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
    uploaded = []
    for board in dashboards.values():
        api.dashboard.update_dashboard(
            {
                "dashboard": {**board, "id": None},
                "folderUid": FOLDER_UID,
                "overwrite": True,
                "message": "noc dashboards push",
            }
        )
        uploaded.append(str(board["uid"]))
    return uploaded
