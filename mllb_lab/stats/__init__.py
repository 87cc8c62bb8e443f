"""Statistics for comparing kernels: summaries, two-sample tests, metric directions, geomeans."""
