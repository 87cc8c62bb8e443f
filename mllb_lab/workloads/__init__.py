"""Workloads run on targets during campaigns: commands sized from host facts, output parsers."""
