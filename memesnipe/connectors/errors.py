"""The connector error tree: library errors are translated once, here, at the boundary."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every error a provider client raises; ``provider`` names the source."""

    def __init__(self, provider: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.status = status


class TemporaryError(ProviderError):
    """Network failure, timeout or 5xx; retried with backoff, raised when retries run out."""


class RateLimitedError(TemporaryError):
    """HTTP 429; retried after the provider's Retry-After or our backoff."""


class RejectedError(ProviderError):
    """The provider refused the request (4xx other than 429); retrying will not help."""


class ParseError(ProviderError):
    """The payload does not have the provider's documented shape."""


class MissingApiKeyError(SystemExit):
    """A connector needs an API key that is not configured; the message names the setting."""

    def __init__(self, setting: str, provider: str) -> None:
        super().__init__(f"memesnipe: {provider} needs an API key: set {setting}")
