"""Jupiter errors are the shared connector tree (memesnipe.connectors.errors); re-exported here."""

from memesnipe.connectors.errors import (
    ParseError,
    ProviderError,
    RateLimitedError,
    RejectedError,
    TemporaryError,
)

__all__ = ["ParseError", "ProviderError", "RateLimitedError", "RejectedError", "TemporaryError"]
