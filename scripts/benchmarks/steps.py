"""Every step a bench child process can run, by name."""

from __future__ import annotations

from .harness import STEPS as CORE
from .log_step import LOG_STEPS
from .import_step import IMPORT_STEPS
from .supervision_step import SUPERVISION_STEPS
from .upload_step import UPLOAD_STEPS

STEPS = {**CORE, **LOG_STEPS, **UPLOAD_STEPS, **SUPERVISION_STEPS, **IMPORT_STEPS}
