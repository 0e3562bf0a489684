"""`kaoping`: the operator's tool. It holds the database itself and records with the office's rights.

The commands live in rooms by what they do (`records`, `appeals`, `reading`, `audit`, `proofs`,
`witness`, `serve`); this module only gathers them into one command line.
"""

from __future__ import annotations

import typer

from . import appeals, audit, proofs, reading, records, serve, witness

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Kaoping (考评): an event-sourced audit ledger for performance evaluation.")
for room in (records, appeals, audit, proofs, witness, reading, serve):
    app.add_typer(room.app)


def main() -> None:
    app()


__all__ = ["app", "main"]
