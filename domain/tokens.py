"""The one way a bearer token becomes the digest the ledger keeps: only a token's SHA-256 is stored
(the token itself is printed once, when it is made), and web sessions keep the digest too."""

from __future__ import annotations

import hashlib


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
