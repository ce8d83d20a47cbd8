"""The hub: web service coordinating hospitals, labs, makers and drivers."""
