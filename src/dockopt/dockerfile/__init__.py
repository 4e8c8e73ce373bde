"""Dockerfile parsing, lint rules, autofix and build-context analysis."""
