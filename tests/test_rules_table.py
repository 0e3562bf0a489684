"""The rules' dispatch table (`kaoping.domain.rules.DECIDERS`): every command type of the contract has
exactly one decider, found by its command class. Pure: no database."""

from kaoping.domain.commands import COMMAND_TYPES
from kaoping.domain.rules import DECIDERS


def test_every_command_type_has_a_decider():
    assert set(DECIDERS) == set(COMMAND_TYPES.values())
    assert len(COMMAND_TYPES) == 17  # the contract's 15, results.published and void.requested (Extensions)


def test_each_decider_is_a_function_named_for_its_command_type():
    for kind, model in COMMAND_TYPES.items():
        assert DECIDERS[model].__name__ == kind.replace(".", "_")
