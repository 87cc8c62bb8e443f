"""The paper's benchmark metrics, read from what roles/benchmetrics leaves in a run folder:
BCC funclatency/runqlen histograms, sampled run-queue imbalance, load average, schedstat."""
