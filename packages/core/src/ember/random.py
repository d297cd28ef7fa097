"""Random numbers: generators and sampling (being written)."""

__all__ = []
METHODS = {}
