"""`kaoping witness`: what an auditor runs on a machine of its own (CONTRACT.md, "Verifying against a
checkpoint"). It holds the ledger to every checkpoint it has seen; see `kaoping.api.witness`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaoping.api.witness import Unreachable, witness as run
from kaoping.domain.notes import NoteError
from kaoping.ledger import keys

from .audit import vkey_text
from .common import AsJson, err, fail, out, print_json

app = typer.Typer()


@app.command()
def witness(
    url: Annotated[str, typer.Option(help="the ledger's base URL, e.g. http://127.0.0.1:8000")],
    token: Annotated[str, typer.Option(help="a bearer token that reads the ledger (an auditor's)")],
    vkey: Annotated[str, typer.Option(help="the log's verifier key (or a file holding it)")],
    state: Annotated[Path, typer.Option(help="the file holding the last checkpoint this witness "
                                             "verified (made on the first run)")],
    cosign_key: Annotated[Path | None, typer.Option("--cosign", help="a cosigner key file "
                                                    "(`kaoping key generate --cosigner`): cosign "
                                                    "an accepted checkpoint and send it back")] = None,
    as_json: AsJson = False,
) -> None:
    """Fetch the latest checkpoint and a consistency proof from the size held in STATE; accept and
    store it, or refuse a rollback, a fork or a bad signature (exit 1, STATE unchanged)."""
    try:
        cosigner = keys.load(cosign_key) if cosign_key is not None else None
        if cosign_key is not None and cosigner is None:
            raise fail(f"no cosigner key at {cosign_key}", 2)
        report = run(url, token, vkey_text(vkey), state, cosigner=cosigner)
    except (NoteError, Unreachable) as error:
        raise fail(str(error), 2) from None
    if as_json:
        print_json(report)
    elif report["ok"]:
        out.print(f"ok: {report['origin']} size {report['old_size']} → {report['new_size']}, root "
                  f"{report['root']}" + ("; cosigned" if report.get("cosigned") else ""),
                  highlight=False, soft_wrap=True)
    else:
        err.print(f"[bold red]REFUSED[/]: {report.get('reason')}", highlight=False)
    if not report["ok"]:
        raise typer.Exit(1)
