"""The one application error type that services raise; the API exception handler turns it into JSON."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal with a stable ``code`` and a message in the user's language.

    ``status`` is the HTTP status the API answers with: 400 bad input, 404 not found or not yours,
    409 invalid transition or conflict, 412 stale version.
    """

    status = 400

    def __init__(self, code: str, message: Any, *, details: dict | None = None, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.details = details or {}
        if status is not None:
            self.status = status


class ConflictError(ApplicationError):
    status = 409


class StaleVersionError(ApplicationError):
    status = 412


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a row of an append-only history table."""
