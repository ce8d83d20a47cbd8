"""needs domain."""
