# temporary shim until house-rules lands
import hashlib

from .roles import TokenInfo, TokensState  # noqa: F401


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
