"""The public portal: dashboards, a corridor map and downloads of approved releases only.

Renders only: the figures (filtered counts, small-cell suppression, labels, corridors)
are computed in ``ctdata.publish.portal`` from ``ctdata.publish.public`` (approved
releases and their checked files), so the CLI and the report can use the same ones.
Never the case store, the cases services or the warehouse (a test checks the imports).
Every route is ``public_route()``.

- ``/``: key figures of the newest release and links
- ``/portal/dashboard``: filtered tables and Vega-Lite charts, every cell suppressed below k
- ``/portal/map``: corridors citizenship -> country of exploitation with at least k records
- ``/portal/releases`` and ``/portal/releases/{id}/files/{name}``: documentation and downloads
- ``/portal/api/indicators`` and ``/portal/api/releases``: the same figures as JSON
"""

from __future__ import annotations

from ctdata.web.portal.views import router

__all__ = ["router"]
