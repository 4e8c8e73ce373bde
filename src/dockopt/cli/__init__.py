"""Command-line faces: parse arguments, call the core, render. No analysis logic here."""
