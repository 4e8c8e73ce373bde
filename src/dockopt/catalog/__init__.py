"""Package catalog: what is installed in an image (see `model.Package`)."""
