"""`kaoping serve`: the HTTP API and the web pages, under uvicorn (the default) or granian.

Both run the same ASGI app with its lifespan; which is faster on a machine is measured by
`scripts/bench` (its HTTP rows, one per server), not assumed. Granian, a Rust server, always runs the
app in worker processes of its own, which build the app from the environment: the resolved settings
are handed to them there, as to uvicorn's workers."""

from __future__ import annotations

import os
from enum import Enum
from typing import Annotated

import typer

from kaoping.domain.errors import LedgerForked
from kaoping.ledger.settings import Settings

from .common import Db, err, fail, opened, settings_for

app = typer.Typer()


class ServerName(str, Enum):
    uvicorn = "uvicorn"
    granian = "granian"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听的地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听的端口")] = 8000,
    db: Db = None,
    workers: Annotated[int, typer.Option(min=1, help="服务进程数；每个进程各自成组提交")] = 1,
    access_log: Annotated[bool, typer.Option(help="记录每个请求的访问日志")] = True,
    server: Annotated[ServerName, typer.Option(help="ASGI 服务器：uvicorn 或 granian")] = ServerName.uvicorn,
) -> None:
    """提供网页和 HTTP 接口（网页在 /，接口文档在 /docs）。"""
    import uvicorn

    from kaoping.api.http import create_app

    settings = settings_for(db)
    with opened(db) as services:  # before serving: its key is there, and an older ledger has its tree
        ledger = services.ledger
        ledger.check_key()
        if ledger.status()["initialised"]:
            try:
                ledger.sign_checkpoint()
            except LedgerForked as fork:  # served for reading: every page and refusal says why
                err.print(f"[bold red]只读启动[/]：{fork.message}", highlight=False, soft_wrap=True)
    if server is ServerName.granian:
        _hand_over(settings)
        _granian(host, port, workers, access_log)
        return
    options = {"host": host, "port": port, "log_level": "info", "access_log": access_log}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    _hand_over(settings)
    uvicorn.run("kaoping.api.http:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def _hand_over(settings: Settings) -> None:
    """Worker processes build their own app from the environment: hand them the resolved settings."""
    for name, value in settings.model_dump().items():
        if value is not None:
            os.environ[f"KAOPING_{name.upper()}"] = str(value)


def _granian(host: str, port: int, workers: int, access_log: bool) -> None:
    try:
        from granian import Granian
        from granian.constants import Interfaces
    except ImportError:
        raise fail("没有安装 granian：请运行 pip install 'kaoping[granian]'", 2) from None
    Granian("kaoping.api.http:create_app", factory=True, interface=Interfaces.ASGI, address=host,
            port=port, workers=workers, log_access=access_log).serve()
