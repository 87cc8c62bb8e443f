"""The JC_SCHED kernel: apt source, patch series, config fragments, cached builds, variants."""
