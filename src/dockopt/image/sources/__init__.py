"""Image sources: one module per kind, each producing the same `Image` model."""
