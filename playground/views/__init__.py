"""Live views: loss curves, decision boundary, neurons, weights (built once, updated in place)."""
