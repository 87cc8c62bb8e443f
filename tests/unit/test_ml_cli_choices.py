"""The CLI keeps its choices literal (so --help does not import TensorFlow); they must match
the library's."""

from __future__ import annotations

from mllb_lab.commands import ml as cmd
from mllb_lab.ml.export import FORMATS
from mllb_lab.ml.model import CANDIDATES
from mllb_lab.ml.run import IMPLS
from mllb_lab.ml.train import MODEL_CHOICES


def test_choices_match_the_library() -> None:
    assert cmd.MODEL_CHOICES == MODEL_CHOICES == ("auto", *(c.name for c in CANDIDATES))
    assert tuple(FORMATS) == cmd.EXPORT_FORMATS
    assert cmd.IMPLS == IMPLS
