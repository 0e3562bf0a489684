"""Signed notes, keys, checkpoints and cosignatures (`domain.notes`) against Go's `note` package:
its published vector (`tests/vectors/signed-note`, BSD-3-Clause) and, where Go is installed, Go
itself verifying what Kaoping signs (`tests/go/check.go`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kaoping.domain.merkle import leaf_hash
from kaoping.domain.notes import (COSIGNATURE_KEY, Checkpoint, NoteError, Signer, Verifier, cosign,
                                  cosignature_time, open_checkpoint, open_note, sign_note, split_note)

VECTOR = json.loads((Path(__file__).parent / "vectors" / "signed-note" / "peterneumann.json").read_text())


def test_the_go_vector_signs_byte_for_byte() -> None:
    signer = Signer.parse(VECTOR["skey"])
    assert signer.name == VECTOR["key_name"] and signer.id.hex() == VECTOR["key_id_hex"]
    assert signer.verifier.text == VECTOR["vkey"] and signer.text == VECTOR["skey"]
    assert sign_note(VECTOR["text"], signer) == VECTOR["signed_note"]
    assert open_note(VECTOR["signed_note"], Verifier.parse(VECTOR["vkey"])) == (VECTOR["text"], [])


@pytest.mark.parametrize("vkey", VECTOR["bad_vkeys"])
def test_the_go_vector_s_bad_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(vkey)


@pytest.mark.parametrize("vkey", ["", "name", "name+c74f20a3", "na me+c74f20a3+AQ==",
                                  "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                                  "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                                  "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T"])
def test_malformed_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(vkey)


def test_a_note_signed_by_an_unknown_key_only_is_refused_and_unknown_signatures_are_ignored() -> None:
    known = Signer.from_seed("log.example/a", bytes(range(32)))
    other = Signer.from_seed("log.example/b", bytes(range(1, 33)))
    text = "hello\n"
    with pytest.raises(NoteError):
        open_note(sign_note(text, other), known.verifier)
    both = sign_note(text, known) + sign_note(text, other).split("\n\n", 1)[1]
    opened, others = open_note(both, known.verifier)
    assert opened == text and [s.name for s in others] == ["log.example/b"]


def test_a_bad_signature_by_the_known_key_refuses_the_note() -> None:
    signer = Signer.from_seed("log.example/a", bytes(range(32)))
    note = sign_note("size 1\n", signer)
    with pytest.raises(NoteError):
        open_note(note.replace("size 1", "size 2"), signer.verifier)


@pytest.mark.parametrize("note", ["no blank line\n— a AAAAAAA=\n", "text\n\n", "te\x01xt\n\n— a AAAAAAA=\n",
                                  "text\n\n— a not-base64!\n", "text\n\n— a AAAA\n", "text\n\nnot a signature\n",
                                  "text\n\n" + "— a AAAAAAA=\n" * 101])
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        split_note(note)


def test_sixteen_signatures_are_accepted() -> None:
    signer = Signer.from_seed("log.example/a", bytes(range(32)))
    note = sign_note("x\n", signer) + "".join(
        sign_note("x\n", Signer.from_seed(f"w{i}", bytes([i]) * 32)).split("\n\n", 1)[1] for i in range(15))
    assert len(open_note(note, signer.verifier)[1]) == 15


def test_a_checkpoint_reads_back_and_its_origin_must_be_the_key_s_name() -> None:
    signer = Signer.from_seed("kaoping.local/test", bytes(range(32)))
    checkpoint = Checkpoint("kaoping.local/test", 7, leaf_hash(b"x"))
    assert checkpoint.text == f"kaoping.local/test\n7\n{base64.b64encode(leaf_hash(b'x')).decode()}\n"
    assert open_checkpoint(sign_note(checkpoint.text, signer), signer.verifier)[0] == checkpoint
    impostor = Checkpoint("kaoping.local/other", 7, leaf_hash(b"x"))
    with pytest.raises(NoteError):
        open_checkpoint(sign_note(impostor.text, signer), signer.verifier)


@pytest.mark.parametrize("text", ["o\n07\nAAAA\n", "o\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
                                  "o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "o\n1\n", "\n1\nAAAA\n"])
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_a_cosignature_verifies_with_its_time_and_not_for_another_checkpoint() -> None:
    witness = Signer.from_seed("witness.example/w1", bytes(range(32)), COSIGNATURE_KEY)
    checkpoint = Checkpoint("kaoping.local/test", 9, leaf_hash(b"y")).text
    signature = cosign(checkpoint, witness, 1_700_000_000)
    vkey = Verifier.parse(witness.verifier.text)
    assert vkey.kind == COSIGNATURE_KEY
    assert cosignature_time(checkpoint, signature, vkey) == 1_700_000_000
    with pytest.raises(NoteError):
        cosignature_time(checkpoint.replace("\n9\n", "\n10\n"), signature, vkey)
    with pytest.raises(NoteError):  # a log key does not cosign
        cosign(checkpoint, Signer.from_seed("log", bytes(32)), 1)


def test_a_private_key_never_shows_in_its_repr() -> None:
    signer = Signer.parse(VECTOR["skey"])
    assert VECTOR["skey"].split("+", 4)[4] not in repr(signer) and "PRIVATE" not in repr(signer)
