"""The live dashboard: the websocket stream, its fan-out between processes, and the page."""
