"""Freezing a wave's computed results into storable bytes and JSON, and thawing them back exactly.

A publication stores two things (DESIGN §7b):
- the index table (analysis.wave.WaveTable) as JSON: readable by any tool, every float written
  with Python's shortest round-trip repr, so thawing gives back the same bits;
- the frame (the per-respondent arrays the pages compute filtered domains from, with the FINAL
  design state: weights, strata, PSUs, the variance multipliers and the calibration steps) as a
  compressed npz. Thawing runs no weighting code: a later change of method cannot change the
  numbers of an old publication.

The encoding is generic over dataclasses, so fields added to the result classes are frozen too.
Classes are looked up in a registry (never imported by name from stored data): the analysis
result classes are registered here, the workspace's frame classes by survey.services.workspace.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import io
import json
import math
import pkgutil
from datetime import date, datetime
from enum import Enum
from typing import Any

import numpy as np

import analysis
from analysis.design import Design
from analysis.variance import Frame
from analysis.wave import WaveTable

_CLASSES: dict[str, type] = {}
FORMAT = 2  # the encoding's version, stored with every frame
FORMATS = (1, 2)  # what thaw_frame reads: 2 stores object arrays as codes into their distinct values


class FrozenError(ValueError):
    """Stored data that this code cannot thaw (an unknown class or format)."""


def register(*classes: type) -> None:
    """Allow these dataclasses to be frozen and thawed (by their qualified name)."""
    for cls in classes:
        if _CLASSES.setdefault(cls.__qualname__, cls) is not cls:  # names are the stored keys: one class each
            raise FrozenError("two result classes are named %s" % cls.__qualname__)


def _register_analysis() -> None:
    """Every dataclass defined in analysis/ (estimates, cells, measures, indicators, wave shapes)."""
    for info in pkgutil.iter_modules(analysis.__path__):
        module = importlib.import_module("analysis." + info.name)
        register(*(v for v in vars(module).values()
                   if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == module.__name__))


_register_analysis()


class _Encoder:
    """Turns values into JSON-able trees; numeric arrays go to `arrays` (npz) or inline lists. With `coded`,
    an object array (strata, sectors, outcomes: a few distinct values repeated per respondent) is stored as
    int32 codes in `arrays` and its distinct values in the tree, so thawing makes one Python object per
    distinct value, not one per respondent (a million respondents: hundreds of MB less, seconds faster)."""

    def __init__(self, arrays: dict | None, coded: bool = False) -> None:
        self.arrays, self.coded = arrays, coded

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            value = float(value)
            return value if math.isfinite(value) else {"nf": repr(value)}
        if isinstance(value, datetime):
            return {"dt": value.isoformat()}
        if isinstance(value, date):
            return {"day": value.isoformat()}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, Design):
            return {"design": self._design(value)}
        if dataclasses.is_dataclass(value):
            name = type(value).__qualname__
            if _CLASSES.get(name) is not type(value):
                raise FrozenError("cannot freeze %s: not a registered result class" % name)
            return {"dc": name, "f": {f.name: self(getattr(value, f.name)) for f in dataclasses.fields(value)}}
        if isinstance(value, tuple):
            return {"t": [self(v) for v in value]}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {"d": [[self(k), self(v)] for k, v in value.items()]}
        raise FrozenError("cannot freeze a %s" % type(value).__name__)

    def _array(self, a: np.ndarray) -> Any:
        if a.dtype == object and self.coded and self.arrays is not None and a.ndim == 1:
            values = a.tolist()
            try:
                number: dict = {}
                codes = np.fromiter((number.setdefault((type(v), v), len(number)) for v in values), dtype=np.int32,
                                    count=len(values))
            except TypeError:  # an unhashable element: stored element by element
                return {"o": [self(v) for v in values]}
            key = "a%d" % len(self.arrays)
            self.arrays[key] = codes
            return {"oc": key, "u": [self(v) for _t, v in number]}
        if a.dtype == object:
            return {"o": [self(v) for v in a.tolist()]}
        if self.arrays is None:
            return {"al": [self(v) for v in a.tolist()], "dtype": a.dtype.str}
        key = "a%d" % len(self.arrays)
        self.arrays[key] = a
        return {"a": key}

    def _design(self, d: Design) -> dict:
        fr = d.frame
        return {"w0": self(d._w0), "w": self(d._w), "labels": self(list(d._strata_labels)), "pop": self(d._pop),
                "lonely": d._lonely, "steps": self(tuple(d._steps)), "cal_w": self(d._cal_w),
                "frame": {k: self(getattr(fr, k)) for k in ("strata", "psu", "psu_strata", "n_psu", "a", "b")}}


class _Decoder:
    """The inverse of _Encoder."""

    def __init__(self, arrays: Any) -> None:
        self.arrays = arrays

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "nf" in node:
            return float(node["nf"])
        if "dt" in node:
            return datetime.fromisoformat(node["dt"])
        if "day" in node:
            return date.fromisoformat(node["day"])
        if "a" in node:
            return np.array(self.arrays[node["a"]])
        if "al" in node:
            return np.array([self(v) for v in node["al"]], dtype=np.dtype(node["dtype"]))
        if "o" in node:
            out = np.empty(len(node["o"]), dtype=object)
            out[:] = [self(v) for v in node["o"]]
            return out
        if "oc" in node:
            distinct = np.empty(len(node["u"]), dtype=object)
            distinct[:] = [self(v) for v in node["u"]]
            return distinct[np.asarray(self.arrays[node["oc"]], dtype=np.intp)]
        if "t" in node:
            return tuple(self(v) for v in node["t"])
        if "d" in node:
            return {_hashable(self(k)): self(v) for k, v in node["d"]}
        if "design" in node:
            return self._design(node["design"])
        if "dc" in node:
            cls = _CLASSES.get(node["dc"])
            if cls is None:
                raise FrozenError("unknown frozen class %s" % node["dc"])
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: self(v) for k, v in node["f"].items() if k in known})
        raise FrozenError("unknown frozen node %s" % sorted(node)[:3])

    def _design(self, node: dict) -> Design:
        d = object.__new__(Design)
        fr = {k: self(v) for k, v in node["frame"].items()}
        d._w0, d._w, d._pop = self(node["w0"]), self(node["w"]), self(node["pop"])
        d._strata_labels, d._lonely = self(node["labels"]), node["lonely"]
        d._steps, d._cal = self(node["steps"]), None
        if node.get("cal_w") is not None:  # a trimmed calibrated design (older publications have no key)
            d._cal_w = self(node["cal_w"])
        d._frame = Frame(fr["strata"], fr["psu"], fr["psu_strata"], fr["n_psu"], fr["a"], fr["b"])
        return d


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, (list, tuple)) else key


def table_json(table: WaveTable) -> dict:
    """The index table as a JSON document (floats exact, arrays inline)."""
    return _Encoder(None)(table)


def thaw_table(doc: dict) -> WaveTable:
    """The WaveTable a publication's JSON describes."""
    return _Decoder({})(doc)


def _digest(tree: Any, arrays: dict, version: int) -> tuple[str, Any]:
    """(the tree's JSON, sha256 over it and the arrays) of a frame encoded as `version`."""
    meta = json.dumps({"format": version, "tree": tree}, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(meta.encode())
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        digest.update(key.encode() + a.dtype.str.encode() + str(a.shape).encode() + a.tobytes())
    return meta, digest


def freeze_frame(frame: Any) -> tuple[bytes, str]:
    """(npz bytes, sha256 of the content) of a frame dataclass (the arrays plus a JSON tree).

    The digest is that of format 1's encoding (object arrays element by element), whatever format is
    stored: a content hash says what the numbers are, so an unchanged wave keeps its hash across formats
    (a restatement that changes nothing is still refused)."""
    plain: dict = {}
    _meta, digest = _digest(_Encoder(plain)(frame), plain, 1)
    del plain, _meta
    arrays: dict = {}
    meta, _digest_of_2 = _digest(_Encoder(arrays, coded=True)(frame), arrays, FORMAT)
    buf = io.BytesIO()
    np.savez_compressed(buf, __meta__=np.frombuffer(meta.encode(), dtype=np.uint8), **arrays)
    return buf.getvalue(), digest.hexdigest()


def thaw_frame(blob: bytes) -> Any:
    """The frame dataclass frozen in `blob` (no pickle: only registered classes and plain arrays); reads
    both formats."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        meta = json.loads(bytes(z["__meta__"]).decode())
        if meta.get("format") not in FORMATS:
            raise FrozenError("frame format %s is not supported" % meta.get("format"))
        return _Decoder({k: z[k] for k in z.files if k != "__meta__"})(meta["tree"])


def content_hash(results: dict, frame_digest: str) -> str:
    """sha256 over the canonical JSON of the table and the frame's content digest."""
    canonical = json.dumps(results, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((canonical + "\n" + frame_digest).encode()).hexdigest()
