"""`ctdata serve --host H --port P`: the app under uvicorn, on a store whose schema is brought up to date."""

from __future__ import annotations

from ctdata.errors import ConfigError


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    database_url: str | None = None,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve until interrupted. One worker: the in-process login rate limit and SQLite locking assume it."""
    import uvicorn

    from ctdata.web.app import create_app

    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is not a TCP port")
    app = create_app(database_url)
    # Idle keep-alive connections stay open 30 s, longer than clients keep theirs (httpx: 5 s),
    # so a client never sends on a connection the server is just closing.
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        timeout_keep_alive=30,
    )
