"""Metrics: declarations, exact computations, ambitions and the look-ups of what is loaded."""
