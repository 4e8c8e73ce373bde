"""Analyses over the one pass: waste, base attribution, (later) hygiene and secrets."""
