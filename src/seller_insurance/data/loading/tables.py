"""Claims and sellers tables (smaller than sales: parsed to object arrays, duplicates found with pandas)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seller_insurance.arrow_text import text_offsets
from seller_insurance.data.loading import parsing
from seller_insurance.data.loading.columns import (
    ALIASES,
    CLAIM_AMOUNT_ALIASES,
    FULFILMENT_ALIASES,
    FULFILMENT_CHANNELS,
    require_columns,
    resolve_columns,
)
from seller_insurance.data.loading.rejects import (
    Rejects,
    reasons_from_table,
    reasons_with_number,
)
from seller_insurance.data.loading.result import LoadResult
from seller_insurance.data.loading.sources import Source
from seller_insurance.data.loading.stream import (
    column_or_none,
    dictionary_column,
    empty_rows,
    iterate_batches,
    lines_at,
    reject_rows_at,
    repeated_key_rows,
    round_cents,
    run_load,
)
from seller_insurance.months import NO_MONTH
from seller_insurance.policy import (
    CLAIM_STATUSES,
    CLAIM_TYPES,
    DEFAULT_MARKETPLACE,
    KNOWN_MARKETPLACES,
)


def _text_values(col, n: int) -> pd.api.extensions.ExtensionArray:
    """Trimmed text per row ('' for null) as a pandas ``str`` array, computed in pyarrow (no per-row Python)."""
    if col is None:
        return pd.array(np.full(n, "", dtype=object), dtype="str")
    return _trimmed_text(col).to_pandas().array


def _trimmed_text(col) -> pa.ChunkedArray | pa.Array:
    """Trimmed text per row, '' for null, as Arrow text (what :func:`_text_values` converts to pandas)."""
    if isinstance(col, pa.ChunkedArray) and pa.types.is_dictionary(col.type):
        return pc.fill_null(_trimmed_decode(col), "")
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    if may_need_trim(col):
        col = pc.utf8_trim_whitespace(col)
    return pc.fill_null(col, "") if col.null_count else col


def may_need_trim(col: pa.ChunkedArray | pa.Array) -> bool:
    """False only if no value of the ``string`` column starts or ends with whitespace (then trimming is a no-op).

    Looks at the first and last byte of each non-empty value in the Arrow buffers: whitespace, ASCII or not, starts
    and ends with a byte of at most 0x20 or at least 0x7F (every non-ASCII UTF-8 byte is >= 0x80), so a column of
    ids like ``C3297901`` is cleared without building a trimmed copy (10M ids: 0.07 s and no 120 MB copy, against
    0.13 s for ``utf8_trim_whitespace``). Any such byte (an accented last letter too) answers True: trim as usual.
    """
    for ch in col.chunks if isinstance(col, pa.ChunkedArray) else [col]:
        n = len(ch)
        if n == 0:
            continue
        data_buf = ch.buffers()[2]
        if data_buf is None or data_buf.size == 0:
            continue
        offsets = text_offsets(ch)
        data = np.frombuffer(data_buf, dtype=np.uint8)
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts  # empty values and nulls have nothing to trim
        if not filled.all():
            starts, ends = starts[filled], ends[filled]
        for edge in (data[starts], data[ends - 1]):
            if ((edge <= 0x20) | (edge >= 0x7F)).any():
                return True
    return False


def _trimmed_decode(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary text column decoded as ``large_string`` with its values trimmed.

    The trimming runs on each distinct dictionary (a few values per row group), the decoding is one gather per
    chunk, and ``large_string`` is what pandas' ``str`` arrays hold (no second conversion).
    """
    out, prev_d, trimmed_d = [], None, None
    for ch in col.chunks:
        d = ch.dictionary
        if trimmed_d is None or d is not prev_d:
            if pa.types.is_dictionary(d.type):  # pragma: no cover - nested dictionaries do not occur
                d = d.dictionary_decode()
            if not pa.types.is_string(d.type):
                d = pc.cast(d, pa.string())
            trimmed_d, prev_d = pc.cast(pc.utf8_trim_whitespace(d), pa.large_string()), ch.dictionary
        out.append(trimmed_d.take(ch.indices))
    return pa.chunked_array(out, type=pa.large_string())


def _extra_values(col) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """A column beyond the contract, kept as read: text trimmed (``str``), anything else as pandas converts it."""
    if parsing.is_text(col):
        return _text_values(col, len(col))
    return col.to_pandas().array


class _DeferredText:
    """A text column beyond the contract held as read (Arrow); trimmed into a pandas ``str`` array only if used.

    The loader compares every column of rows whose key repeats and hands the user's columns to the frame; most
    files have no repeated key, and a caller may not ask for the column (``load_claims(columns=...)``), so the
    conversion (0.1 s and 0.2 GB for a category column of 10M claims) is left to the rows that need it. Trimming
    and filling nulls act value by value, so converting the rows taken equals taking the converted rows.
    ``trimmed``: the column is already :func:`_trimmed_text` (claim and seller ids, checked as they are read).
    """

    def __init__(self, col: pa.ChunkedArray | pa.Array, trimmed: bool = False):
        self.col = col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col])
        self.trimmed = trimmed

    def __len__(self) -> int:
        return len(self.col)

    def take(self, idx: np.ndarray) -> _DeferredText:
        return _DeferredText(self.col.take(pa.array(np.asarray(idx, dtype=np.int64))), self.trimmed)

    def values(self) -> pd.api.extensions.ExtensionArray:
        if self.trimmed:
            return self.col.to_pandas().array
        return _text_values(self.col, len(self.col))

    def empty(self) -> np.ndarray:
        """Per row: the text is empty (meant for trimmed columns, whose nulls are '')."""
        return np.asarray(pc.equal(self.col, "").to_numpy(), dtype=bool)


def _arrow(v) -> pa.ChunkedArray | pa.Array:
    """A parsed column as Arrow (no copy): a deferred text's own column, else ``pa.array`` of the array."""
    return v.col if isinstance(v, _DeferredText) else pa.array(v)


def _materialised(v):
    """``v`` as a numpy or pandas array (a deferred text column converted)."""
    return v.values() if isinstance(v, _DeferredText) else v


def _concat(values: list) -> pd.api.extensions.ExtensionArray | np.ndarray | _DeferredText:
    """Per-batch arrays (numpy or pandas) as one array; a single batch as it is."""
    if len(values) == 1:
        return values[0]
    if (
        all(isinstance(v, _DeferredText) for v in values)
        and len({(v.col.type, v.trimmed) for v in values}) == 1
    ):
        chunks = [ch for v in values for ch in v.col.chunks]
        return _DeferredText(pa.chunked_array(chunks, type=values[0].col.type), values[0].trimmed)
    values = [_materialised(v) for v in values]
    if all(isinstance(v, np.ndarray) for v in values):
        return np.concatenate(values)
    return pd.concat([pd.Series(v, copy=False) for v in values], ignore_index=True).array


def _key_codes(cols: dict, key_fields: list[str], n: int) -> np.ndarray:
    """One int64 code per row for the key columns (equal keys, equal codes), hashed by pyarrow."""
    out = np.zeros(n, dtype=np.int64)
    for c in key_fields:
        enc = pc.dictionary_encode(pa.chunked_array(_arrow(cols[c])) if n else pa.array([], pa.string()))
        chunks = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
        size = max((len(ch.dictionary) for ch in chunks), default=0)
        codes = [np.asarray(ch.indices.to_numpy(zero_copy_only=False), dtype=np.int64) for ch in chunks]
        out = out * max(size, 1) + (np.concatenate(codes) if codes else np.zeros(0, np.int64))
    return out


def _reject_duplicates(src, metas, rejects, d: pd.DataFrame, key_fields, value_cols) -> np.ndarray:
    """Reject the rows of ``d`` (ok rows whose key repeats; ``pos`` their read position) the duplicate rule drops.

    Rows with the same key and the same values are copies: the first is kept, the others rejected as
    ``duplicate_copy``; if rows with one key disagree anywhere, all are rejected as ``conflicting_duplicate``.
    Returns the read positions of the rejected rows.
    """
    n_distinct = d.drop_duplicates(subset=value_cols).groupby(key_fields, sort=False).size()
    d = d.join(n_distinct.rename("_variants"), on=key_fields)
    first_pos = d.groupby(key_fields, sort=False)["pos"].transform("min").to_numpy()
    pos_d, variants = d["pos"].to_numpy(), d["_variants"].to_numpy()
    conflict = variants > 1
    copy = ~conflict & (pos_d != first_pos)
    keys_text = " and ".join(key_fields)
    late_pos = np.concatenate([pos_d[conflict], pos_d[copy]])
    codes = np.array(
        ["conflicting_duplicate"] * int(conflict.sum()) + ["duplicate_copy"] * int(copy.sum()),
        dtype=object,
    )
    reasons = pa.concat_arrays(
        [
            reasons_from_table(
                np.zeros(int(conflict.sum()), np.int32),
                [f"conflicting_duplicate: rows with the same {keys_text} disagree; all are rejected"],
            ),
            reasons_with_number(
                "duplicate_copy: exact copy of line ",
                lines_at(metas, first_pos[copy]),
                "; that row is kept",
            ),
        ]
    )
    reject_rows_at(src, metas, late_pos, rejects, codes, reasons)
    return late_pos


def _dictionary_pages_only(files, columns: list[str]) -> list[str]:
    """The text ``columns`` whose every Parquet column chunk is dictionary-encoded (read them as dictionaries).

    A user's column such as a category is written with a small dictionary per row group: read as a dictionary it
    costs one decoding of the indices (10M rows: 0.04 s, 40 MB) against a string per row read plain (0.18 s, 140
    MB). An id-like column overflows its dictionary into plain pages, and reading that as a dictionary would hash
    every value (2.8 s for 10M claim ids), so a column is chosen only if its chunks average under 4 bytes a row
    uncompressed, dictionary page included: a plain-encoded text value alone takes 4 bytes of length.
    """
    import pyarrow.parquet as pq

    chosen = []
    try:
        metas = [pq.read_metadata(f) for f in files]
    except (OSError, pa.ArrowException):
        return []
    for name in columns:
        ok = True
        for meta in metas:
            field = meta.schema.to_arrow_schema().field(name) if name in meta.schema.names else None
            if field is None or not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
                ok = False
                break
            i = meta.schema.names.index(name)
            for g in range(meta.num_row_groups):
                rg = meta.row_group(g)
                chunk = rg.column(i)
                if not chunk.has_dictionary_page or chunk.total_uncompressed_size >= 4 * max(rg.num_rows, 1):
                    ok = False
                    break
            if not ok:
                break
        if ok:
            chosen.append(name)
    return chosen


def _generic_load(
    path, column_map, wanted, required, what, per_batch_fn, key_fields, finish, keep_extra: bool = False
) -> LoadResult:
    """Shared loader of the smaller tables (sellers, claims).

    ``finish`` gets the accepted rows as a dict of equally long arrays, one per parsed column (numpy or pandas; text
    held as :class:`_DeferredText`, converted by :func:`_materialised`), and returns the frame. With ``keep_extra``
    the columns beyond the contract are read too and passed to ``finish`` as ``extra:<name>`` (text trimmed), so a
    user's own columns (a claim category, a region) can be grouped by.
    """

    def dict_cols(columns):
        found = resolve_columns(columns, wanted, column_map, path)
        return list(found.values())

    def run(src: Source) -> LoadResult:
        found = resolve_columns(src.columns, wanted, column_map, src.path)
        require_columns(found, required, src.columns, src.path, what)
        src.id_columns = [found[c] for c in ("claim_id", "seller_id") if c in found]
        extra = [c for c in dict.fromkeys(src.columns) if c not in found.values()] if keep_extra else []
        src.read_columns = list(found.values()) + extra
        if src.fmt == "parquet" and extra:
            src.dictionary_columns = list(src.dictionary_columns) + _dictionary_pages_only(src.files, extra)
        rejects = Rejects(
            list(src.columns) if src.fmt == "csv" else [c for c in src.columns if c in src.read_columns]
        )

        def batch(table, n):
            parsed, checks = per_batch_fn(table, found, n)
            for c in extra:
                col = table.column(c)
                parsed[f"extra:{c}"] = _DeferredText(col) if parsing.is_text(col) else _extra_values(col)
            return parsed, checks

        parts, oks, metas, rows_read = iterate_batches(src, rejects, batch)
        rows_read += rejects.add_malformed(src.malformed, src.delimiter)
        ok = np.concatenate(oks) if oks else np.zeros(0, dtype=bool)
        cols = {c: _concat([p[c] for p in parts]) for c in (parts[0].keys() if parts else [])}
        keep = ok
        cand = repeated_key_rows([_arrow(cols[c]) for c in key_fields], ok)
        if len(cand) > 1:  # exact keys of the candidate rows only (all ok rows of a small table)
            sub = {c: v.take(cand) for c, v in cols.items()}
            key = _key_codes(sub, key_fields, len(cand))
            d = pd.DataFrame({c: _materialised(v) for c, v in sub.items()}, copy=False)
            d["pos"] = cand
            value_cols = [c for c in d.columns if c != "pos"]
            dup_any = np.bincount(key - key.min())[key - key.min()] > 1
            if dup_any.any():
                late_pos = _reject_duplicates(src, metas, rejects, d[dup_any], key_fields, value_cols)
                keep = ok.copy()
                keep[late_pos] = False
        if not keep.all():  # no copy of every column in the common clean case
            idx = np.flatnonzero(keep)
            cols = {c: v.take(idx) for c, v in cols.items()}
        frame = finish(cols)
        return LoadResult(
            frame,
            rejects.frame(),
            rows_read,
            str(src.path),
            rows_accepted=len(frame),
            kind=what,
            counts=dict(rejects.counts),
        )

    return run_load(path, dict_cols, run)


def _names(names: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``names[code]`` per row as a pandas ``str`` array (gathered in pyarrow)."""
    taken = pa.array(list(names), pa.large_string()).take(pa.array(np.asarray(codes)))
    return taken.to_pandas().array


def _days_to_seconds(days: np.ndarray) -> np.ndarray:
    """int64 days since 1970 as ``datetime64[s]``, in the days' own buffer (the loader's array, not used after)."""
    days = np.asarray(days, dtype=np.int64)
    if not days.flags.writeable:
        days = days.copy()
    np.multiply(days, 86_400, out=days)
    return days.view("datetime64[s]")


def _str_array(values) -> pd.api.extensions.ExtensionArray:
    """``values`` (a pandas ``str`` array or an object array of text) as a pandas ``str`` array."""
    return pd.Series(values, copy=False).astype("str").array


def _marketplace_codes(col, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Index into ``KNOWN_MARKETPLACES`` per row and the bad mask; no column means the default site.

    An unknown site gets ``len(KNOWN_MARKETPLACES)``.
    """
    if col is None:
        return np.full(n, KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE), dtype=np.int8), None
    code = parsing.map_distinct(dictionary_column(col), parsing.marketplace_code, -1, np.int8)
    bad = code < 0
    code[bad] = len(KNOWN_MARKETPLACES)
    return code, bad


MARKETPLACE_NAMES = (*KNOWN_MARKETPLACES, "")


def load_claims(
    path, *, column_map: dict[str, str] | None = None, columns: Iterable[str] | None = None
) -> LoadResult:
    """Claims per ``schema.CLAIMS``, plus every other column of the file under its own name.

    Columns: claim_id, seller_id, marketplace (if present), filed_date (datetime64[s]), claim_type (one of
    ``policy.CLAIM_TYPES``), amount (USD, > 0, rounded to cents), status (``CLAIM_STATUSES``), then the file's own
    columns (text trimmed; e.g. a ``category`` to group by).

    A currency column, if present, must say USD. Duplicate claim ids: exact copies keep one row; rows that disagree
    are all rejected.

    ``columns`` (default: all) names the frame's columns to build, for a caller that uses a few columns of a large
    file (each text column is a string per row: 10M claims' claim_type, marketplace and status cost 0.4 s and 0.4
    GB). Names the file does not have are ignored. Every row is read, checked and deduplicated on all its columns
    whatever is asked: the rows accepted and the rejects are the same.
    """
    wanted = {
        f: ALIASES.get(f, ())
        for f in ("claim_id", "seller_id", "marketplace", "filed_date", "claim_type", "status", "currency")
    }
    wanted["amount"] = ("amount",) + CLAIM_AMOUNT_ALIASES

    def per_batch(table, found, n):
        c = {f: column_or_none(table, found.get(f), []) for f in wanted}
        claim_id = _DeferredText(_trimmed_text(c["claim_id"]), trimmed=True)  # to pandas only for the frame
        seller = _DeferredText(_trimmed_text(c["seller_id"]), trimmed=True)
        mp, bad_mp = _marketplace_codes(c["marketplace"], n)
        day = parsing.parse_days(c["filed_date"])
        amount, ok_amount = parsing.parse_money(c["amount"])
        ctype = parsing.parse_enum(c["claim_type"], CLAIM_TYPES, dtype=np.int8)
        status = parsing.parse_enum(c["status"], CLAIM_STATUSES, dtype=np.int8)
        bad_cur = None
        if c["currency"] is not None:
            cur = _text_values(c["currency"], n)
            bad_cur = (cur != "USD") & (cur != "usd") & (cur != "")
        checks = [
            (empty_rows(table), "empty_row", "every field is empty"),
            (claim_id.empty(), "missing_claim_id", "claim_id is empty"),
            (seller.empty(), "missing_seller_id", "seller_id is empty"),
            (bad_mp, "bad_marketplace", "marketplace is empty or not a known site"),
            (day == NO_MONTH, "bad_date", "filed_date is empty or not a recognised date"),
            (~ok_amount, "bad_amount", "amount is empty or not a number"),
            (ok_amount & (amount <= 0), "non_positive_amount", "amount must be greater than zero"),
            (bad_cur, "currency_mismatch", "claim amounts are in USD; the currency column says otherwise"),
            (ctype < 0, "bad_claim_type", "claim_type is not one of " + ", ".join(CLAIM_TYPES)),
            (status < 0, "bad_status", "status is not one of " + ", ".join(CLAIM_STATUSES)),
        ]
        parsed = {
            "claim_id": claim_id,
            "seller_id": seller,
            "marketplace": mp,
            "filed_date": day,
            "claim_type": ctype,
            "amount": amount,
            "status": status,
        }
        return parsed, checks

    asked = None if columns is None else set(columns)
    contract = {
        "claim_id": lambda cols: _str_array(_materialised(cols["claim_id"])),
        "seller_id": lambda cols: _str_array(_materialised(cols["seller_id"])),
        "marketplace": lambda cols: _names(MARKETPLACE_NAMES, cols["marketplace"]),
        "filed_date": lambda cols: _days_to_seconds(cols.pop("filed_date")),
        "claim_type": lambda cols: _names(CLAIM_TYPES, cols["claim_type"]),
        "amount": lambda cols: round_cents(np.asarray(cols.pop("amount"), dtype=np.float64), inplace=True),
        "status": lambda cols: _names(CLAIM_STATUSES, cols["status"]),
    }

    def finish(cols: dict) -> pd.DataFrame:
        n = len(cols["claim_id"])
        out = {name: build(cols) for name, build in contract.items() if asked is None or name in asked}
        for c, v in cols.items():  # the file's own columns beyond the contract, under their names
            name = c.removeprefix("extra:")
            if c.startswith("extra:") and name not in contract and (asked is None or name in asked):
                out[name] = _materialised(v)
        return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)

    return _generic_load(
        path,
        column_map,
        wanted,
        ["claim_id", "seller_id", "filed_date", "claim_type", "amount", "status"],
        "claims",
        per_batch,
        ["claim_id"],
        finish,
        keep_extra=True,
    )


def load_sellers(path, *, column_map: dict[str, str] | None = None) -> LoadResult:
    """Sellers per ``schema.SELLERS``: one row per (seller_id, marketplace).

    ``launch_month``/``churn_month`` are ``datetime64[s]`` first-of-month (churn empty -> NaT; a churn month not
    after the launch month is rejected). ``fulfilment_channel`` FBA/FBM (AFN/MFN accepted), empty allowed.
    """
    wanted = {
        f: ALIASES.get(f, ())
        for f in (
            "seller_id",
            "marketplace",
            "category",
            "launch_month",
            "churn_month",
            "fulfilment_channel",
            "size_band",
        )
    }

    def per_batch(table, found, n):
        c = {f: column_or_none(table, found.get(f), []) for f in wanted}
        seller = _text_values(c["seller_id"], n)
        mp, bad_mp = _marketplace_codes(c["marketplace"], n)
        category = _text_values(c["category"], n)
        launch = parsing.parse_months(c["launch_month"])
        bad_churn = None
        if c["churn_month"] is not None:
            churn = parsing.parse_months(c["churn_month"])
            blank = (
                _text_values(c["churn_month"], n) == ""
                if parsing.is_text(c["churn_month"])
                else np.asarray(c["churn_month"].is_null().to_numpy(zero_copy_only=False), dtype=bool)
            )
            bad_churn = (churn == NO_MONTH) & ~blank
            churn = np.where(blank, NO_MONTH, churn)
            before = (churn != NO_MONTH) & (launch != NO_MONTH) & (churn <= launch)
        else:
            churn, before = np.full(n, NO_MONTH, dtype=np.int64), None
        channel, bad_channel = None, None
        if c["fulfilment_channel"] is not None:
            ch_text = _text_values(c["fulfilment_channel"], n)
            code = parsing.parse_enum(c["fulfilment_channel"], FULFILMENT_CHANNELS, FULFILMENT_ALIASES)
            bad_channel = (code < 0) & (ch_text != "")
            channel = np.where(code < 0, "", np.array(FULFILMENT_CHANNELS + ("",), dtype=object)[code])
        checks = [
            (empty_rows(table), "empty_row", "every field is empty"),
            (seller == "", "missing_seller_id", "seller_id is empty"),
            (bad_mp, "bad_marketplace", "marketplace is empty or not a known site"),
            (category == "", "missing_category", "category is empty"),
            (launch == NO_MONTH, "bad_month", "launch_month is empty or not a recognised month"),
            (bad_churn, "bad_month", "churn_month is not a recognised month"),
            (before, "churn_before_launch", "churn_month is not after launch_month"),
            (bad_channel, "bad_fulfilment_channel", "fulfilment_channel is not FBA or FBM"),
        ]
        parsed = {
            "seller_id": seller,
            "marketplace": mp,
            "category": category,
            "launch_month": launch,
            "churn_month": churn,
        }
        if channel is not None:
            parsed["fulfilment_channel"] = channel
        if c["size_band"] is not None:
            parsed["size_band"] = _text_values(c["size_band"], n)
        return parsed, checks

    def finish(cols: dict) -> pd.DataFrame:
        from seller_insurance.months import month_index_to_datetime64

        out = {
            "seller_id": _str_array(cols["seller_id"]),
            "marketplace": _names(MARKETPLACE_NAMES, cols["marketplace"]),
            "category": _str_array(cols["category"]),
            "launch_month": month_index_to_datetime64(
                np.asarray(cols["launch_month"], dtype=np.int64)
            ).astype("M8[s]"),
            "churn_month": month_index_to_datetime64(np.asarray(cols["churn_month"], dtype=np.int64)).astype(
                "M8[s]"
            ),
        }
        for c in ("fulfilment_channel", "size_band"):
            if c in cols:
                out[c] = _str_array(cols[c])
        return pd.DataFrame(out)

    return _generic_load(
        path,
        column_map,
        wanted,
        ["seller_id", "marketplace", "category", "launch_month"],
        "sellers",
        per_batch,
        ["seller_id", "marketplace"],
        finish,
    )
