"""One small hierarchy of rule violations. The HTTP layer maps these classes to status codes."""

from __future__ import annotations

from typing import Any

from .labels import field_name
from .refusals import REFUSALS, known, render


class KaopingError(Exception):
    """Base of every error the domain raises on purpose.

    `code` is a refusal of the catalogue (`domain.refusals`), stable for programs; `message` is its
    Chinese sentence naming the field (`labels.field_name`), `message_en` the English one. `params`
    fill the sentence in. `label` names the field where its name alone would mislead (a task's
    `target` is its 目标值, a void's the entry it voids)."""

    def __init__(self, code: str, /, *, field: str | None = None, label: str | None = None,
                 **params: Any):
        if known(code):
            words = REFUSALS[code]
            zh, en = render(words, params)
        else:  # not yet in the catalogue: the English sentence the caller gave
            words, zh, en, code = None, code, code, "unclassified"
        super().__init__(en)
        self.code = code
        self.field = field
        self.params = params
        self.message_en = en
        #: the Chinese sentence alone, without the field's name leading it (what a page shows
        #: where the field is not a form's)
        self.sentence = zh
        lead = words is None or words.lead
        self.message = f"{label or field_name(field)}：{zh}" if field and lead else zh

    @classmethod
    def worded(cls, code: str, zh: str, en: str, *, field: str | None = None,
               label: str | None = None) -> KaopingError:
        """An error whose words were made elsewhere (pydantic's, translated by `refusals`)."""
        error = cls.__new__(cls)
        Exception.__init__(error, en)
        error.code, error.field, error.params, error.message_en, error.sentence = code, field, {}, en, zh
        error.message = f"{label or field_name(field)}：{zh}" if field else zh
        return error

    def __str__(self) -> str:
        return self.message

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


class TimeLimitExceeded(KaopingError):
    """A read ran past its request's time bound and was stopped (ledger.budget)."""


class ReadCancelled(KaopingError):
    """The caller of a read went away, so the read was stopped (ledger.budget)."""


class LedgerNotInitialised(KaopingError):
    """The ledger holds no scheme and no units yet: run `kaoping init`."""


class LedgerDamaged(KaopingError):
    """A stored entry, chain link or index row is not as the ledger wrote it: nothing more is read
    or appended past it until `kaoping verify` has named it and the database is restored."""


class LedgerForked(LedgerDamaged):
    """The tree in the database does not extend what the signing key last signed (its record beside
    the key): entries were cut or rewritten. The signer signs nothing and nothing is appended."""


class TooLarge(KaopingError):
    """An uploaded file is over the size the settings allow (`KAOPING_MAX_FILE_BYTES`)."""


class UnsupportedMediaType(KaopingError):
    """An uploaded file's bytes are not of a kind the ledger stores (docs/commands.md §10.1)."""
