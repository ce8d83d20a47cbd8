"""offers domain."""
