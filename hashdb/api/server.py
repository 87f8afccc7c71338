"""Serving an app built by :func:`hashdb.api.create_app` on a TCP port."""

from __future__ import annotations

from aiohttp import web

__all__ = ["serve_api"]


async def serve_api(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``app`` on ``host:port`` (port 0 picks a free port) and return the runner.

    The caller stops it with ``await runner.cleanup()`` (this also runs the app's cleanup
    context). The bound port is ``runner.addresses[0][1]``.
    """
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
