"""Ember against PyTorch on the same machine, in the same run (see README.md)."""
