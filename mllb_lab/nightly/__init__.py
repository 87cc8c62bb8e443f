"""`mllb-lab nightly`: run a campaign, keep it in a history, flag regressions against a
baseline beyond noise (exit 4)."""
