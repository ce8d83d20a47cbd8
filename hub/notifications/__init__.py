"""Mails to people: an outbox written in the caller's transaction, and its sender."""
