"""catalogue domain."""
