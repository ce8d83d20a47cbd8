"""Matching runs: the matcher applied to the hub's needs and offers."""
