"""Domain errors. Each maps to one HTTP status; the API renders them all as `{"detail": message}`."""

from __future__ import annotations


class CrossCheckError(Exception):
    """Base class; `status_code` is what the HTTP layer answers with."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(CrossCheckError):
    status_code = 404


class PayloadTooLargeError(CrossCheckError):
    status_code = 413


class UnprocessableError(CrossCheckError):
    status_code = 422


class StoreMismatchError(RuntimeError):
    """The database's embeddings come from another model than the one configured (start-up error)."""
