"""dockopt: make container images smaller, safer and faster to build."""

__version__ = "0.1.0"
