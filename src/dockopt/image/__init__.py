"""Images: references, the one image model, sources, the safe layer stream and the merged filesystem."""
