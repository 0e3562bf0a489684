# temporary shim until house-rules lands
from .rules import RegistryState, RoundState, StreamState, UnitState  # noqa: F401
from .names import REGISTRY_STREAM, TOKENS_STREAM, is_round


def new_state(stream):
    from .roles import TokensState
    if stream == REGISTRY_STREAM:
        return RegistryState(stream)
    if is_round(stream):
        return RoundState(stream)
    if stream == TOKENS_STREAM:
        return TokensState(stream)
    return UnitState(stream)
