"""Campaigns: validated YAML files expanded into runs, a resumable ledger, and the runner."""
