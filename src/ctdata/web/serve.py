"""`ctdata serve --host H --port P [--workers N]`: the app under uvicorn, on a store whose schema is up to date.

One worker keeps its login rate limit in memory. Several workers (PostgreSQL only) share
their state through the store or Redis (`ctdata.web.shared`); each worker builds the app
itself (`ctdata.web.app:worker_app`), reading the store and the number of workers from the
environment this process sets for them.
"""

from __future__ import annotations

import os

from ctdata.errors import ConfigError


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    database_url: str | None = None,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve until interrupted; several workers only on PostgreSQL (`shared.check_workers`)."""
    import uvicorn

    from ctdata.config import reset_settings, settings
    from ctdata.store import db
    from ctdata.web.shared import check_workers, web_settings

    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is not a TCP port")
    url = db.normalise_url(database_url or settings().database_url)
    check_workers(workers, url)
    os.environ["CTDATA_WEB_WORKERS"] = str(workers)  # the app (and the workers, who inherit it) reads it
    proxies = web_settings().forwarded_allow_ips.strip()  # a wrong [web] table is reported here, once
    # Idle keep-alive connections stay open 30 s, longer than clients keep theirs (httpx: 5 s),
    # so a client never sends on a connection the server is just closing.
    options = dict(host=host, port=port, log_level=log_level, access_log=False, proxy_headers=bool(proxies),
                   forwarded_allow_ips=proxies or None, timeout_keep_alive=30)
    if workers == 1:
        from ctdata.web.app import create_app

        uvicorn.run(create_app(database_url), workers=1, **options)  # type: ignore[arg-type]
        return
    if database_url:
        os.environ["CTDATA_DATABASE_URL"] = database_url
    reset_settings()
    db.upgrade()  # once, before the workers start
    uvicorn.run("ctdata.web.app:worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
