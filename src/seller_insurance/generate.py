"""Synthetic seller sales and claim histories, calibrated to public figures.

Public API::

    params = GeneratorParams(n_sellers=50_000, n_months=36)
    ds = generate(params)                         # in memory: Dataset(sellers, monthly_sales, claims)
    path = write_dataset(out_dir, params)          # Parquet + manifest.json, written atomically, chunk by chunk
    path = ensure_dataset(params, "default")       # reuse data/raw/default if same parameters, else generate
    calibration_table(ds, params)                  # target vs generated for each public figure

Tables follow ``seller_insurance.schema`` (months and dates as ``date32`` on disk, ``datetime64`` in memory).
The model and every parameter's source: ``docs/generator.md``; the parameters: ``generate_params.py``; the
vectorised chunk generator: ``generate_model.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from seller_insurance import __version__
from seller_insurance.errors import InputError
from seller_insurance.generate_model import SCHEMAS, Chunk, generate_chunk, n_chunks
from seller_insurance.generate_params import GeneratorParams
from seller_insurance.paths import RAW_DATA_DIR

__all__ = [
    "Dataset",
    "GeneratorParams",
    "calibration_table",
    "ensure_dataset",
    "generate",
    "iter_chunks",
    "read_manifest",
    "write_dataset",
]

TABLE_NAMES = ("sellers", "monthly_sales", "claims")
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 1, "write_statistics": True}


@dataclass
class Dataset:
    """The three tables in memory (pandas; months/dates ``datetime64``, ids and codes ``str``)."""

    sellers: pd.DataFrame
    monthly_sales: pd.DataFrame
    claims: pd.DataFrame


def iter_chunks(params: GeneratorParams, *, progress: bool = False) -> Iterator[Chunk]:
    """Yield the dataset chunk by chunk (Arrow tables), in seller order, with claim ids numbered across chunks."""
    from tqdm.auto import tqdm

    offset = 0
    for k in tqdm(range(n_chunks(params)), desc="generate", unit="chunk", file=sys.stderr, disable=not progress):
        chunk = generate_chunk(params, k, claim_offset=offset)
        offset += chunk.claims.num_rows
        yield chunk


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(date_as_object=False)


def generate(params: GeneratorParams, *, progress: bool = False) -> Dataset:
    """Generate the whole dataset in memory (what ``write_dataset`` writes, read back with ``schema.read_parquet``)."""
    parts: dict[str, list[pa.Table]] = {t: [] for t in TABLE_NAMES}
    for chunk in iter_chunks(params, progress=progress):
        for t in TABLE_NAMES:
            parts[t].append(getattr(chunk, t))
    return Dataset(*(_to_pandas(pa.concat_tables(parts[t])) for t in TABLE_NAMES))


# ----------------------------------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Writers:
    """Parquet writers for one dataset folder: one file per table, or one part file per chunk (partitioned)."""

    def __init__(self, root: Path, partitioned: bool):
        self.root, self.partitioned = root, partitioned
        self.rows = dict.fromkeys(TABLE_NAMES, 0)
        self.files: dict[str, int] = {}  # relative path -> rows
        self._single: dict[str, pq.ParquetWriter] = {}
        names = ("sellers",) if partitioned else TABLE_NAMES
        for t in names:
            self._single[t] = pq.ParquetWriter(root / f"{t}.parquet", SCHEMAS[t], **PARQUET_OPTIONS)
            self.files[f"{t}.parquet"] = 0
        if partitioned:
            for t in ("monthly_sales", "claims"):
                (root / t).mkdir()

    def write(self, index: int, chunk: Chunk) -> None:
        for t in TABLE_NAMES:
            table = getattr(chunk, t)
            self.rows[t] += table.num_rows
            if t in self._single:
                self._single[t].write_table(table)
                self.files[f"{t}.parquet"] += table.num_rows
            else:
                rel = f"{t}/part-{index:05d}.parquet"
                pq.write_table(table, self.root / rel, **PARQUET_OPTIONS)
                self.files[rel] = table.num_rows

    def close(self) -> None:
        for w in self._single.values():
            w.close()


def _write_all(root: Path, params: GeneratorParams, progress: bool, partitioned: bool) -> dict:
    """Generate and write every chunk into ``root``; a writer thread overlaps Parquet encoding with generation.

    At most two chunks are in memory at once (the one being written and the one being generated).
    """
    writers = _Writers(root, partitioned)
    q: queue.Queue = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def consume() -> None:
        while (item := q.get()) is not None:
            if not failure:
                try:
                    writers.write(*item)
                except BaseException as exc:  # surfaced in the main thread
                    failure.append(exc)

    thread = threading.Thread(target=consume, name="parquet-writer", daemon=True)
    thread.start()
    try:
        for k, chunk in enumerate(iter_chunks(params, progress=progress)):
            if failure:
                break
            q.put((k, chunk))
    finally:
        q.put(None)
        thread.join()
        writers.close()
    if failure:
        raise failure[0]
    return {"rows": writers.rows, "files": writers.files}


def _manifest(root: Path, params: GeneratorParams, name: str, partitioned: bool, written: dict) -> dict:
    files = {rel: {"rows": rows, "bytes": (root / rel).stat().st_size, "sha256": _sha256(root / rel)}
             for rel, rows in sorted(written["files"].items())}
    return {
        "format": MANIFEST_FORMAT,
        "generator": "seller_insurance.generate",
        "package_version": __version__,
        "seed": params.seed,
        "params_sha256": params.digest(),
        "partitioned": partitioned,
        "row_counts": written["rows"],
        "files": files,
        "params": params.to_dict(),
    }


def write_dataset(out_dir, params: GeneratorParams, *, progress: bool = False, partitioned: bool = False,
                  overwrite: bool = False) -> Path:
    """Generate ``params``' dataset chunk by chunk and write it to the folder ``out_dir``.

    Writes ``sellers.parquet``, ``monthly_sales.parquet``, ``claims.parquet`` (or, with ``partitioned=True``,
    folders ``monthly_sales/`` and ``claims/`` of ``part-NNNNN.parquet`` files, one per chunk, so every seller's
    whole history is in exactly one part) and ``manifest.json`` (parameters, seed, row counts, sha256 of every
    file, package version). Everything is written into a temporary sibling folder that is renamed into place at
    the end, so a crash never leaves a folder that looks complete. Never more than two chunks in memory.

    An existing ``out_dir`` raises ``FileExistsError`` unless ``overwrite=True``.
    """
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists (raw data is immutable; pass overwrite=True to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        written = _write_all(tmp, params, progress, partitioned)
        manifest = _manifest(tmp, params, out.name, partitioned, written)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        if out.exists():
            trash = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(trash)
            tmp.rename(out)
            shutil.rmtree(trash)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_manifest(dataset_dir) -> dict:
    """The manifest of a generated dataset folder; ``InputError`` if it is missing or unreadable."""
    path = Path(dataset_dir) / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError("no manifest.json: not a complete generated dataset", path=dataset_dir) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"unreadable manifest ({exc})", path=path) from None


def ensure_dataset(params: GeneratorParams, name: str | None = None, *, root=RAW_DATA_DIR, progress: bool = False,
                   partitioned: bool = False, force: bool = False) -> Path:
    """Path of ``root/<name>`` holding ``params``' dataset, generating it only if it is not there yet.

    ``name=None`` uses ``params.default_name()``. A folder with the same parameters (and layout) is reused as it is;
    one with different parameters raises ``InputError`` (raw data is immutable once written) unless
    ``force=True``, which regenerates it.
    """
    target = Path(root) / (name or params.default_name())
    if target.exists() and not force:
        manifest = read_manifest(target)
        if manifest.get("params") != params.to_dict():
            old = manifest.get("params") or {}
            new = params.to_dict()
            diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise InputError(
                f"dataset exists with different parameters ({', '.join(diff)}); raw data is immutable: choose "
                "another name, or regenerate with --force", path=target)
        if bool(manifest.get("partitioned")) != partitioned:
            raise InputError(f"dataset exists with partitioned={manifest.get('partitioned')}; choose another "
                             "name, or regenerate with --force", path=target)
        return target
    return write_dataset(target, params, progress=progress, partitioned=partitioned, overwrite=force)


def calibration_table(dataset: Dataset, params: GeneratorParams) -> pd.DataFrame:
    """Target vs generated for each calibration figure (see ``seller_insurance.calibration``)."""
    from seller_insurance.calibration import calibration_table as _table

    return _table(dataset, params)
