"""Drivers' routes: planned pickup-and-delivery tours over ready batches, stop by stop."""
