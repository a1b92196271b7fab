"""Column names of exports mapped onto the data contract: aliases, an explicit mapping, required columns."""

from __future__ import annotations

from seller_insurance.data.loading import parsing
from seller_insurance.errors import InputError

ALIASES: dict[str, tuple[str, ...]] = {
    "seller_id": ("seller", "sellerid", "seller_code", "merchant_id", "merchant", "merchant_token"),
    "marketplace": ("site", "marketplace_code", "market", "country", "sales_channel", "store"),
    "month": ("sales_month", "period", "month_start", "reporting_month", "year_month", "yearmonth"),
    "gross_sales": (
        "gross",
        "sales",
        "revenue",
        "gross_revenue",
        "gross_proceeds",
        "total_sales",
        "ordered_product_sales",
        "sales_amount",
    ),
    "currency": ("currency_code", "ccy"),
    "orders": ("order_count", "num_orders", "n_orders", "total_orders", "total_order_items"),
    "units": ("units_ordered", "units_sold", "quantity", "qty"),
    # order-level exports
    "order_date": ("purchase_date", "order_datetime", "transaction_date", "order_time", "date"),
    "amount": ("order_amount", "order_total", "total", "item_price", "price", "sale_amount", "value"),
    "order_id": ("amazon_order_id", "order_number", "order_no"),
    # claims
    "claim_id": ("claim", "claim_number", "claim_no", "claim_ref"),
    "filed_date": ("filed", "filed_on", "date_filed", "claim_date", "filing_date", "date"),
    "claim_type": ("type", "claim_category"),
    "status": ("claim_status", "state"),
    # sellers
    "category": ("product_category", "main_category"),
    "launch_month": ("launch", "launch_date", "start_month", "first_month", "start_date"),
    "churn_month": ("churn", "churn_date", "end_month", "stop_month"),
    "fulfilment_channel": ("fulfillment_channel", "channel", "fulfilment", "fulfillment"),
    "size_band": ("band",),
}


CLAIM_AMOUNT_ALIASES = ("claim_amount", "amount_usd", "claimed_amount", "value")


FULFILMENT_CHANNELS = ("FBA", "FBM")


FULFILMENT_ALIASES = {"AFN": "FBA", "MFN": "FBM", "Amazon": "FBA", "Merchant": "FBM"}


def resolve_columns(
    columns: list[str], wanted: dict[str, tuple[str, ...]], column_map: dict[str, str] | None, path
) -> dict[str, str]:
    """Map contract column -> source column name, for the contract columns found.

    ``column_map`` maps source names to contract names and wins over the aliases; its keys must exist (compared
    exactly, then by normalised name). Two source columns that both match a contract column equally well are an
    error (``InputError``) rather than a guess.
    """
    norm = [parsing.normalise_name(c) for c in columns]
    out: dict[str, str] = {}
    used: set[int] = set()
    for src, target in (column_map or {}).items():
        t = parsing.normalise_name(target)
        if src in columns:
            i = columns.index(src)
        elif parsing.normalise_name(src) in norm:
            i = norm.index(parsing.normalise_name(src))
        else:
            raise InputError(
                f"column_map names column {src!r}, which is not in the file; columns found: {_list(columns)}",
                path=path,
                column=str(src),
            )
        out[t] = columns[i]
        used.add(i)
    for target, aliases in wanted.items():
        if target in out:
            continue
        for name in (target, *aliases):
            hits = [i for i, n in enumerate(norm) if n == name and i not in used]
            if len(hits) > 1:
                raise InputError(
                    f"columns {_list([columns[i] for i in hits])} all look like {target!r}; "
                    "pass a column mapping to say which to use",
                    path=path,
                    column=target,
                )
            if hits:
                out[target] = columns[hits[0]]
                used.add(hits[0])
                break
    return out


def _list(names) -> str:
    return ", ".join(repr(str(n)) for n in names) if len(names) else "(none)"


def require_columns(found: dict[str, str], required: list[str], columns: list[str], path, what: str) -> None:
    """Raise ``InputError`` when a required column is missing; nothing when every one of ``required`` was found.

    The message names the first missing column, its accepted aliases and the columns the file has.
    """
    missing = [c for c in required if c not in found]
    if missing:
        hint = ", ".join(
            f"{m!r} (also accepted: {', '.join(ALIASES.get(m, ())[:4]) or '-'})" for m in missing
        )
        raise InputError(
            f"missing required column {hint} for {what}; columns found: {_list(columns)}",
            path=path,
            column=missing[0],
        )
