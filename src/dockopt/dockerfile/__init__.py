"""Dockerfile parsing (lossless, tolerant), lint rules, autofix and build-context analysis.

Importing this package is cheap: it pulls in no Docker or HTTP client.
"""

from dockopt.dockerfile.model import Dockerfile, Heredoc, Instruction, ParseIssue, Span, Stage
from dockopt.dockerfile.parser import parse, parse_file

__all__ = ["Dockerfile", "Heredoc", "Instruction", "ParseIssue", "Span", "Stage", "parse", "parse_file"]
