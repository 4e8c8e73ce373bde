"""The Docker engine's disk: usage model, layer-sharing accounting, prune plans and their execution."""
