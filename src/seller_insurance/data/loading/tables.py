"""Claims and sellers tables (smaller than sales: parsed to object arrays, duplicates found with pandas)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

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
    dictionary_lookup,
    empty_rows,
    iterate_batches,
    lines_at,
    reject_rows_at,
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


def _text_values(col, n) -> np.ndarray:
    """Trimmed text per row as an object array ('' for null), via the dictionary (few distinct values)."""
    if col is None:
        return np.full(n, "", dtype=object)
    return dictionary_lookup(dictionary_column(col), lambda v: "" if v is None else v, object, "")


def _generic_load(path, column_map, wanted, required, what, per_batch_fn, key_fields, finish) -> LoadResult:
    def dict_cols(columns):
        found = resolve_columns(columns, wanted, column_map, path)
        return list(found.values())

    def run(src: Source) -> LoadResult:
        found = resolve_columns(src.columns, wanted, column_map, src.path)
        require_columns(found, required, src.columns, src.path, what)
        src.read_columns = list(found.values())
        rejects = Rejects(
            list(src.columns) if src.fmt == "csv" else [c for c in src.columns if c in found.values()]
        )
        parts, oks, metas, rows_read = iterate_batches(src, rejects, lambda t, n: per_batch_fn(t, found, n))
        rows_read += rejects.add_malformed(src.malformed, src.delimiter)
        ok = np.concatenate(oks) if oks else np.zeros(0, dtype=bool)
        n = len(ok)
        cols = {
            c: np.concatenate([p[c] for p in parts]) if parts else np.zeros(0, dtype=object)
            for c in (parts[0].keys() if parts else [])
        }
        df = pd.DataFrame(cols)
        df["pos"] = np.arange(n, dtype=np.int64)
        df = df[ok]
        value_cols = [c for c in df.columns if c != "pos"]
        dup_any = df.duplicated(subset=key_fields, keep=False)
        if dup_any.any():
            d = df[dup_any]
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
            df = df[~df["pos"].isin(late_pos)]
        frame = finish(df.drop(columns="pos").reset_index(drop=True))
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


def _marketplace_text(col, n):
    if col is None:
        return np.full(n, DEFAULT_MARKETPLACE, dtype=object), None
    code = dictionary_lookup(dictionary_column(col), parsing.marketplace_code, np.int8, -1)
    names = np.array(list(KNOWN_MARKETPLACES) + [""], dtype=object)
    return names[np.where(code < 0, len(KNOWN_MARKETPLACES), code)], code < 0


def load_claims(path, *, column_map: dict[str, str] | None = None) -> LoadResult:
    """Claims per ``schema.CLAIMS``: claim_id, seller_id, marketplace (if present), filed_date (datetime64[s]),
    claim_type (one of ``policy.CLAIM_TYPES``), amount (USD, > 0, rounded to cents), status (``CLAIM_STATUSES``).

    A currency column, if present, must say USD. Duplicate claim ids: exact copies keep one row; rows that disagree
    are all rejected.
    """
    wanted = {
        f: ALIASES.get(f, ())
        for f in ("claim_id", "seller_id", "marketplace", "filed_date", "claim_type", "status", "currency")
    }
    wanted["amount"] = ("amount",) + CLAIM_AMOUNT_ALIASES

    def per_batch(table, found, n):
        c = {f: column_or_none(table, found.get(f), []) for f in wanted}
        claim_id = _text_values(c["claim_id"], n)
        seller = _text_values(c["seller_id"], n)
        mp, bad_mp = _marketplace_text(c["marketplace"], n)
        day = parsing.parse_days(c["filed_date"])
        amount, ok_amount = parsing.parse_money(c["amount"])
        ctype = parsing.parse_enum(c["claim_type"], CLAIM_TYPES)
        status = parsing.parse_enum(c["status"], CLAIM_STATUSES)
        bad_cur = None
        if c["currency"] is not None:
            cur = _text_values(c["currency"], n)
            bad_cur = (cur != "USD") & (cur != "usd") & (cur != "")
        checks = [
            (empty_rows(table), "empty_row", "every field is empty"),
            (claim_id == "", "missing_claim_id", "claim_id is empty"),
            (seller == "", "missing_seller_id", "seller_id is empty"),
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

    def finish(df: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "claim_id": pd.array(df["claim_id"].to_numpy(dtype=object), dtype="str"),
                "seller_id": pd.array(df["seller_id"].to_numpy(dtype=object), dtype="str"),
                "marketplace": pd.array(df["marketplace"].to_numpy(dtype=object), dtype="str"),
                "filed_date": df["filed_date"]
                .to_numpy(dtype=np.int64)
                .astype("datetime64[D]")
                .astype("datetime64[s]"),
                "claim_type": pd.array(
                    np.array(CLAIM_TYPES, dtype=object)[df["claim_type"].to_numpy(dtype=np.int64)]
                    if len(df)
                    else np.array([], dtype=object),
                    dtype="str",
                ),
                "amount": round_cents(df["amount"].to_numpy(dtype=np.float64)),
                "status": pd.array(
                    np.array(CLAIM_STATUSES, dtype=object)[df["status"].to_numpy(dtype=np.int64)]
                    if len(df)
                    else np.array([], dtype=object),
                    dtype="str",
                ),
            }
        )
        return out

    return _generic_load(
        path,
        column_map,
        wanted,
        ["claim_id", "seller_id", "filed_date", "claim_type", "amount", "status"],
        "claims",
        per_batch,
        ["claim_id"],
        finish,
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
        mp, bad_mp = _marketplace_text(c["marketplace"], n)
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

    def finish(df: pd.DataFrame) -> pd.DataFrame:
        from seller_insurance.months import month_index_to_datetime64

        out = {
            "seller_id": pd.array(df["seller_id"].to_numpy(dtype=object), dtype="str"),
            "marketplace": pd.array(df["marketplace"].to_numpy(dtype=object), dtype="str"),
            "category": pd.array(df["category"].to_numpy(dtype=object), dtype="str"),
            "launch_month": month_index_to_datetime64(df["launch_month"].to_numpy(dtype=np.int64)).astype(
                "M8[s]"
            ),
            "churn_month": month_index_to_datetime64(df["churn_month"].to_numpy(dtype=np.int64)).astype(
                "M8[s]"
            ),
        }
        for c in ("fulfilment_channel", "size_band"):
            if c in df.columns:
                out[c] = pd.array(df[c].to_numpy(dtype=object), dtype="str")
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
