"""linalg_ops ops (being written)."""

__all__ = []
METHODS = {}
