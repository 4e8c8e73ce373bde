"""Renderers and output helpers shared by every command."""
