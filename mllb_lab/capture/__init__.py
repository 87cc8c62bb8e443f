"""Capture of can_migrate_task() decisions: the BPF tracer's build, its binary record format,
conversion to the ml/records.py schema, and running it on a lab host (docs/capture.md)."""
