"""comparison ops (being written)."""

__all__ = []
METHODS = {}
