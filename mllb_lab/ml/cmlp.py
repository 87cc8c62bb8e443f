"""ctypes binding to the kernel MLP sources built as a user-space library (kmod/, `make lib`).

The library is built once per content: the cache key is the sha256 of every kmod source and
the Makefile (which holds the flags), under cache_home()/cmlp/<key>/. A model is loaded into C
through the real blob parser, so every call also exercises kmod/mllb_blob.c.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from mllb_lab.errors import LabError, UserError
from mllb_lab.kmod.lb_in import LB_IN_DTYPE
from mllb_lab.ml.blob import build_blob
from mllb_lab.ml.fixedpoint import input_to_fx
from mllb_lab.ml.weights import MlpWeights
from mllb_lab.paths import cache_home, repo_root

LIB_NAME = "libmllb_mlp.so"


def kmod_dir() -> Path:
    return repo_root() / "kmod"


def source_key() -> str:
    """sha256 over the C sources, headers and Makefile (names and contents)."""
    digest = hashlib.sha256()
    root = kmod_dir()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and (p.suffix in {".c", ".h"} or p.name == "Makefile")
    )
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_library() -> Path:
    """Build (or reuse) the shared library; atomic rename so parallel builders do not clash."""
    out_dir = cache_home() / "cmlp" / source_key()
    lib = out_dir / LIB_NAME
    if lib.exists():
        return lib
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent) as tmp:
        log = Path(tmp) / "build.log"
        proc = subprocess.run(
            ["make", "-s", "-C", str(kmod_dir()), f"O={tmp}", "lib"],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            keep = out_dir.parent / "last-failed-build.log"
            keep.write_text(proc.stdout + proc.stderr)
            raise LabError("building the C MLP library failed", log=keep)
        log.write_text(proc.stdout + proc.stderr)
        try:
            os.rename(tmp, out_dir)
            os.mkdir(tmp)  # let TemporaryDirectory clean up an empty directory
        except OSError:
            if not lib.exists():
                raise
    return lib


@cache
def _lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(str(build_library()))
    c_size, vp, u8p = ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p
    lib.mllb_user_load.restype = vp
    lib.mllb_user_load.argtypes = [ctypes.c_char_p, c_size, ctypes.POINTER(ctypes.c_int)]
    lib.mllb_user_free.argtypes = [vp]
    lib.mllb_user_n_in.argtypes = [vp]
    lib.mllb_user_feature_set.argtypes = [vp]
    lib.mllb_user_feature_set.restype = ctypes.c_char_p
    lib.mllb_user_forward_f.argtypes = [vp, vp, c_size, vp, u8p]
    lib.mllb_user_forward_fx.argtypes = [vp, vp, c_size, vp, u8p]
    for name in ("mllb_user_fx_div", "mllb_user_fx_mul"):
        getattr(lib, name).argtypes = [ctypes.c_int32, ctypes.c_int32]
        getattr(lib, name).restype = ctypes.c_int32
    lib.mllb_user_fx_from_int.argtypes = [ctypes.c_int64]
    lib.mllb_user_fx_from_int.restype = ctypes.c_int32
    lib.mllb_user_crc32.argtypes = [ctypes.c_char_p, c_size]
    lib.mllb_user_crc32.restype = ctypes.c_uint32
    _declare_features(lib)
    return lib


def _declare_features(lib: ctypes.CDLL) -> None:
    """Signatures of the feature-extraction entry points (kmod/mllb_features*.c)."""
    c_size, vp = ctypes.c_size_t, ctypes.c_void_p
    lib.mllb_user_lb_in_layout.argtypes = [vp, vp]
    lib.mllb_user_lb_in_layout.restype = c_size
    lib.mllb_user_feature_count.argtypes = [ctypes.c_char_p]
    for name in ("mllb_user_features_fx", "mllb_user_features_f"):
        getattr(lib, name).argtypes = [ctypes.c_char_p, vp, c_size, vp]


def lib() -> ctypes.CDLL:
    return _lib()


class BlobRejected(UserError):
    pass


class CModel:
    """A model living in C memory, loaded from a blob."""

    def __init__(self, blob: bytes) -> None:
        err = ctypes.c_int(0)
        self._lib = lib()
        self._h = self._lib.mllb_user_load(blob, len(blob), ctypes.byref(err))
        if not self._h:
            name = errno.errorcode.get(-err.value, str(err.value))
            raise BlobRejected("blob", f"rejected by the C parser ({name})", "re-export the model")
        self.n_in = int(self._lib.mllb_user_n_in(self._h))
        self.feature_set = self._lib.mllb_user_feature_set(self._h).decode()

    @classmethod
    def from_weights(cls, w: MlpWeights) -> CModel:
        return cls(build_blob(w))

    def __del__(self) -> None:
        if getattr(self, "_h", None):
            self._lib.mllb_user_free(self._h)
            self._h = None

    def _rows(self, x: np.ndarray, dtype: type) -> np.ndarray:
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=dtype)
        if x.shape[1] != self.n_in:
            raise UserError(
                "--input", f"{x.shape[1]} values per row", f"the model takes {self.n_in}"
            )
        return x

    def _forward(self, entry: str, x: np.ndarray, dtype: type) -> tuple[np.ndarray, np.ndarray]:
        """Call one batch entry point of the C library: (outputs in `dtype`, decisions)."""
        rows = self._rows(x, dtype)
        out = np.empty(len(rows), dtype=dtype)
        dec = np.empty(len(rows), dtype=np.uint8)
        getattr(self._lib, entry)(
            self._h, rows.ctypes.data, len(rows), out.ctypes.data, dec.ctypes.data
        )
        return out, dec.astype(bool)

    def forward_float(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Float32 C forward pass: (outputs, decisions)."""
        return self._forward("mllb_user_forward_f", x, np.float32)

    def forward_fixed(self, x_fx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Q21.11 C forward pass on Q21.11 inputs: (raw outputs, decisions)."""
        return self._forward("mllb_user_forward_fx", x_fx, np.int32)

    def forward_fixed_from_float(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Float features converted the kernel's way (see fixedpoint.input_to_fx)."""
        return self.forward_fixed(input_to_fx(np.asarray(x, dtype=np.float64)))


def check_lb_in_layout() -> None:
    """Fail loudly if numpy's struct mllb_lb_in differs from the compiler's."""
    offsets = np.zeros(64, dtype=np.uintp)
    size = ctypes.c_size_t(0)
    n = lib().mllb_user_lb_in_layout(offsets.ctypes.data, ctypes.byref(size))
    want = [LB_IN_DTYPE.fields[name][1] for name in LB_IN_DTYPE.names]
    if list(offsets[:n]) != want or size.value != LB_IN_DTYPE.itemsize:
        raise LabError("struct mllb_lb_in layout differs between C and mllb_lab/kmod/lb_in.py")


def c_features(raw: np.ndarray, feature_set: str, impl: str) -> np.ndarray:
    """The C feature code on rows of LB_IN_DTYPE: float32 (impl "float") or Q21.11 int32
    (impl "fixed"), shape (rows, inputs of the set)."""
    check_lb_in_layout()
    name = feature_set.encode()
    n = lib().mllb_user_feature_count(name)
    if n < 0:
        raise UserError("feature_set", f"unknown to the C code: {feature_set!r}", "paper15")
    raw = np.ascontiguousarray(raw, dtype=LB_IN_DTYPE)
    dtype, entry = {
        "float": (np.float32, "mllb_user_features_f"),
        "fixed": (np.int32, "mllb_user_features_fx"),
    }[impl]
    out = np.zeros((len(raw), n), dtype=dtype)
    getattr(lib(), entry)(name, raw.ctypes.data, len(raw), out.ctypes.data)
    return out
