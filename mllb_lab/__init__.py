"""mllb-lab: provision testbeds, capture load-balancing decisions, train and export MLLB models."""

__version__ = "0.1.0"
