"""The numpy dtypes of mllb_lab/capture/layout.py against bpf/mllb_record.h, compiled by gcc.

A field added or moved on one side only would make the converter read garbage; this compiles
a small C program that prints sizeof and offsetof of every field and compares.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mllb_lab.capture.layout import HEADER_DTYPE, HEADER_SIZE, RECORD_DTYPE, RECORD_SIZE
from mllb_lab.paths import repo_root

HEADER_H = repo_root() / "bpf" / "mllb_record.h"


def c_offsets(struct: str, fields: list[str], tmp: Path) -> dict[str, int]:
    lines = [
        "#include <stdio.h>",
        "#include <stddef.h>",
        "#include <linux/types.h>",
        f'#include "{HEADER_H}"',
        "int main(void) {",
        f'  printf("sizeof %zu\\n", sizeof(struct {struct}));',
    ]
    lines += [f'  printf("{f} %zu\\n", offsetof(struct {struct}, {f}));' for f in fields]
    lines += ["  return 0;", "}"]
    src = tmp / f"{struct}.c"
    src.write_text("\n".join(lines))
    exe = tmp / struct
    subprocess.run(["gcc", "-Wall", "-Werror", "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


@pytest.mark.parametrize(
    ("struct", "dtype", "size"),
    [("mllb_record", RECORD_DTYPE, RECORD_SIZE), ("mllb_header", HEADER_DTYPE, HEADER_SIZE)],
)
def test_dtype_matches_c_struct(struct, dtype, size, tmp_path):
    names = list(dtype.names)
    got = c_offsets(struct, names, tmp_path)
    assert got["sizeof"] == dtype.itemsize == size
    for name in names:
        assert got[name] == dtype.fields[name][1], f"{struct}.{name} offset differs"
