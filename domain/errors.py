"""One small hierarchy of rule violations. The HTTP layer maps these classes to status codes."""

from __future__ import annotations


class KaopingError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidCommand(KaopingError):
    """The command is malformed (a missing or badly typed field)."""


class UnknownReference(KaopingError):
    """The command names a unit, task, checkpoint, evidence, item, dispute or entry that does not exist."""


class RuleViolation(KaopingError):
    """The command is well formed but breaks a rule of the scheme or of the ledger."""


class NotFound(KaopingError):
    """What a reader asked for (an entry by seq, a checkpoint by size) is not in the ledger."""


class IdConflict(KaopingError):
    """The command's `id` is already recorded with other content."""


class Forbidden(KaopingError):
    """The actor's role may not record this command."""


class NotAuthenticated(KaopingError):
    """No bearer token, or one the ledger does not know or has revoked."""


class LedgerNotInitialised(KaopingError):
    """The ledger holds no scheme and no units yet: run `kaoping init`."""
