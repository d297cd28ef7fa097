"""emberaudio: filled by its own issue; importable with a version until then."""

__version__ = "0.1.0"
