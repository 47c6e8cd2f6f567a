"""The local websocket server fixture of the solana_ws tests."""

from tests.connectors.solana_ws.conftest import ws_server  # noqa: F401
