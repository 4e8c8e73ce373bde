"""Errors a user can cause. Each becomes one line on stderr and exit code 2 (see cli.main)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class DockoptError(Exception):
    """Base for every error caused by input or environment rather than by a bug."""

    exit_code = EXIT_ERROR


class UsageError(DockoptError):
    """Wrong option values or combinations the argument parser cannot catch."""


class InputError(DockoptError):
    """An unreadable or malformed input file (Dockerfile, config, SBOM, ignore file)."""


class OutputError(DockoptError):
    """An output (a `-o` file, standard output, a rewritten input) that cannot be written."""


class BadReferenceError(DockoptError):
    """An image reference that cannot be parsed or does not resolve."""


class ImageFormatError(DockoptError):
    """A corrupt, truncated or hostile image: names the layer (or blob) when known."""

    def __init__(self, message: str, layer: str | None = None):
        self.layer = layer
        self.detail = message
        super().__init__(f"layer {layer}: {message}" if layer else message)


class EngineError(DockoptError):
    """The Docker engine is unreachable or refused a request."""


class RegistryError(DockoptError):
    """A registry is unreachable, refused authentication or sent something invalid."""
