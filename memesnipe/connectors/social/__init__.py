"""Social mentions per token from the X API recent Post counts endpoint."""

from memesnipe.connectors.social.connector import XMentionsConnector

__all__ = ["XMentionsConnector"]
