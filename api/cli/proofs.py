"""`kaoping key`, `checkpoint`, `prove`, `consistency`: the log that outsiders can check (CONTRACT.md,
"Signing key and checkpoints", "Proofs and receipts"). Nothing here prints a private key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaoping.ledger import keys

from .common import AsJson, Db, err, fail, opened, out, print_json, settings_for

app = typer.Typer()
key_app = typer.Typer(no_args_is_help=True, help="The ledger's signing key (Go note format).")
app.add_typer(key_app, name="key")


@key_app.command("generate")
def key_generate(
    origin: Annotated[str, typer.Option(help="the key's name: the log's origin (a schema-less URL), "
                                             "or a witness's name")],
    out_file: Annotated[Path, typer.Option("--out", help="the new key file (mode 0600; never "
                                                         "overwritten)")],
    cosigner: Annotated[bool, typer.Option(help="a witness's cosigner key (type 0x04) instead of "
                                                "a log key")] = False,
) -> None:
    """Make a new Ed25519 key file; prints its verifier key (vkey), which is public."""
    from kaoping.domain.errors import KaopingError

    try:
        signer = keys.generate(out_file, origin, cosigner=cosigner)
    except KaopingError as error:
        raise fail(str(error), 2) from None
    err.print(f"key written to {out_file}; its vkey:", highlight=False)
    out.print(signer.verifier.text, highlight=False, soft_wrap=True)


@key_app.command("vkey")
def key_vkey(db: Db = None) -> None:
    """The verifier key of the configured signing key: give it to auditors and witnesses."""
    from kaoping.domain.errors import KaopingError

    settings = settings_for(db)
    try:
        signer = keys.load(settings.signing_key_path)
    except KaopingError as error:
        raise fail(str(error), 2) from None
    if signer is None:
        raise fail(f"no signing key at {settings.signing_key_path} (KAOPING_SIGNING_KEY): run "
                   "`kaoping init`", 2)
    out.print(signer.verifier.text, highlight=False, soft_wrap=True)


@app.command()
def checkpoint(db: Db = None, as_json: AsJson = False) -> None:
    """Sign a checkpoint of the whole ledger (or give the latest, when nothing was appended since)."""
    with opened(db) as services:
        ledger = services.ledger
        ledger.registry()
        stored = ledger.notary.sign_current(ledger.clock())
        note = ledger.notary.note(stored) if stored else ""
    if stored is None:
        raise fail("the ledger is empty: nothing to sign")
    if as_json:
        print_json({"origin": stored.origin, "size": stored.size,
                    "root": stored.checkpoint.root_b64, "note": note})
    else:
        out.print(note, highlight=False, soft_wrap=True, end="")


@app.command()
def prove(
    seq: int,
    size: Annotated[int | None, typer.Option(help="the size of a stored checkpoint (default: the "
                                                  "latest)")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """The RFC 9162 inclusion proof of entry SEQ in a stored checkpoint, with its note."""
    with opened(db) as services:
        document = services.ledger.notary.inclusion(seq, size)
    if as_json:
        print_json(document)
        return
    out.print(f"seq {document['seq']} is leaf {document['leaf_index']} of the tree of size "
              f"{document['tree_size']}; leaf hash {document['leaf_hash']}", highlight=False)
    for step in document["proof"]:
        out.print(f"  {step}", highlight=False)
    out.print(document["checkpoint"], highlight=False, soft_wrap=True, end="")


@app.command()
def consistency(
    old: Annotated[int, typer.Argument(help="the smaller tree size")],
    new: Annotated[int | None, typer.Argument(help="a stored checkpoint's size (default: the "
                                                   "latest)")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """The RFC 9162 consistency proof from the tree of size OLD to the checkpoint of size NEW."""
    with opened(db) as services:
        document = services.ledger.notary.consistency(old, new)
    if as_json:
        print_json(document)
        return
    out.print(f"size {document['size1']} → {document['size2']}:", highlight=False)
    for step in document["proof"]:
        out.print(f"  {step}", highlight=False)
    out.print(document["checkpoint"], highlight=False, soft_wrap=True, end="")
