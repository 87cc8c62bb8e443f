"""Parsing a user's YAML file: a syntax error becomes one line naming the field and the line."""

from __future__ import annotations

from typing import Any

import yaml

from mllb_lab.errors import UserError


def parse(text: str | bytes, field: str, subject: str = "") -> Any:
    """yaml.safe_load(text); on a syntax error a UserError on `field` that says
    '<subject>not valid YAML at line N' (the line when PyYAML knows it)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(field, f"{subject}not valid YAML{where}", "fix the syntax") from None
