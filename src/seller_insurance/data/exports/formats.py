"""The Seller Central report formats read here, their header sets, and detection by header.

A format is recognised by its header row, wherever it is in the first :data:`HEADER_SEARCH_LINES` lines (the Date
Range Report starts with note lines). Names are compared after :func:`normalise` (case, spaces, en/em dashes,
curly apostrophes). Column lists: ``shared/policy-facts.md``, "What sellers and agencies actually export". The
English (US and UK) names are the published ones; the German and French sets are the translated headers as they
appear in those sites' exports and are not published by Amazon as a list: a file with other names can still be
read by renaming its header row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from seller_insurance import policy

HEADER_SEARCH_LINES = 40

DATE_RANGE = "date-range"
BUSINESS = "business"
FORMATS = (DATE_RANGE, BUSINESS)


def normalise(name: object) -> str:
    """A header name for comparison: lower case, NFC, curly quotes and dashes made plain, spaces collapsed."""
    text = unicodedata.normalize("NFC", str(name or "")).strip().lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = text.replace("\ufeff", "").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class HeaderSet:
    """One language of one report: contract field -> accepted header names (normalised), values and conventions.

    ``decimal`` is the decimal mark of the amounts; ``order_types``/``refund_types`` are the values of the ``type``
    column (normalised) counted as orders/refunds.
    """

    format: str
    language: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    decimal: str = "."
    order_types: tuple[str, ...] = ()
    refund_types: tuple[str, ...] = ()
    optional: tuple[str, ...] = field(default=())

    def match(self, header: list[str]) -> dict[str, int] | None:
        """Column index of each field found in ``header`` (normalised names), or None if a required one is missing."""
        found: dict[str, int] = {}
        for fld, names in self.columns.items():
            for i, h in enumerate(header):
                if h in names:
                    found[fld] = i
                    break
        return found if all(f in found for f in self.required) else None


_SELLER = ("seller_id", "seller id", "sellerid", "merchant_id", "merchant id", "merchant token")
_DRR_REQUIRED = ("datetime", "type", "product_sales", "shipping_credits", "gift_wrap_credits")
_DRR_EN_US = {
    "datetime": ("date/time",),
    "type": ("type",),
    "marketplace": ("marketplace",),
    "order_id": ("order id",),
    "product_sales": ("product sales",),
    "shipping_credits": ("shipping credits",),
    "gift_wrap_credits": ("gift wrap credits",),
    "seller_id": _SELLER,
}

DATE_RANGE_SETS: tuple[HeaderSet, ...] = (
    HeaderSet(
        DATE_RANGE,
        "en-US",
        _DRR_EN_US,
        _DRR_REQUIRED,
        ".",
        ("order",),
        ("refund",),
    ),
    HeaderSet(
        DATE_RANGE,
        "en-GB",
        {**_DRR_EN_US, "shipping_credits": ("postage credits",)},  # UK spelling
        _DRR_REQUIRED,
        ".",
        ("order",),
        ("refund",),
    ),
    HeaderSet(
        DATE_RANGE,
        "de",
        {
            "datetime": ("datum/uhrzeit",),
            "type": ("typ",),
            "marketplace": ("marketplace", "marktplatz"),
            "order_id": ("bestellnummer",),
            "product_sales": ("umsätze", "produktumsätze"),
            "shipping_credits": ("gutschrift für versandkosten", "versandgutschriften"),
            "gift_wrap_credits": ("gutschrift für geschenkverpackung", "geschenkverpackungsgutschriften"),
            "seller_id": _SELLER,
        },
        _DRR_REQUIRED,
        ",",
        ("bestellung",),
        ("erstattung", "rückerstattung"),
    ),
    HeaderSet(
        DATE_RANGE,
        "fr",
        {
            "datetime": ("date/heure",),
            "type": ("type",),
            "marketplace": ("marketplace", "place de marché"),
            "order_id": ("numéro de la commande", "numéro de commande"),
            "product_sales": ("ventes de produits",),
            "shipping_credits": ("crédits d'expédition",),
            "gift_wrap_credits": ("crédits sur l'emballage cadeau", "crédits d'emballage cadeau"),
            "seller_id": _SELLER,
        },
        _DRR_REQUIRED,
        ",",
        ("commande",),
        ("remboursement",),
    ),
)

BUSINESS_SETS: tuple[HeaderSet, ...] = (
    HeaderSet(
        BUSINESS,
        "en",
        {
            "date": ("date",),
            "ordered_product_sales": ("ordered product sales",),
            "claims_granted": ("a-to-z claims granted", "a-to-z guarantee claims granted"),
            "claims_amount": ("claims amount",),
            "seller_id": _SELLER,
        },
        ("date", "ordered_product_sales"),
        ".",
    ),
)

HEADER_SETS: tuple[HeaderSet, ...] = DATE_RANGE_SETS + BUSINESS_SETS

# The ``marketplace`` values of the Date Range Report and the site codes of ``policy.KNOWN_MARKETPLACES``.
MARKETPLACE_SITES: dict[str, str] = {
    "amazon.com": "US",
    "amazon.ca": "CA",
    "amazon.com.mx": "MX",
    "amazon.co.uk": "UK",
    "amazon.de": "DE",
    "amazon.fr": "FR",
    "amazon.it": "IT",
    "amazon.es": "ES",
    "amazon.nl": "NL",
    "amazon.com.be": "BE",
    "amazon.se": "SE",
    "amazon.pl": "PL",
    "amazon.co.jp": "JP",
}


def site_of(value: object) -> str | None:
    """Site code of a ``marketplace`` cell, None if it is not an Amazon store this project knows.

    ``amazon.co.uk`` -> ``UK``; ``www.`` and case ignored; a site code such as ``DE`` is accepted too. None
    e.g. for a webstore or a non-Amazon fulfilment channel.
    """
    key = normalise(value).removeprefix("www.")
    if key in MARKETPLACE_SITES:
        return MARKETPLACE_SITES[key]
    code = key.upper()
    code = "UK" if code == "GB" else code
    return code if code in policy.KNOWN_MARKETPLACES else None


@dataclass(frozen=True)
class Detected:
    """Where the header is (0-based index into the rows), the header set it matches and its column indices."""

    header_index: int
    header_set: HeaderSet
    columns: dict[str, int]


def detect(rows: list[list[object]], forced: str = "auto") -> Detected | None:
    """Find the header among the first rows; None if no row matches.

    The header is the first row matching a header set (of format ``forced`` unless ``"auto"``).
    """
    sets = [h for h in HEADER_SETS if forced in ("auto", h.format)]
    for i, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        header = [normalise(c) for c in row]
        for hs in sets:
            cols = hs.match(header)
            if cols is not None:
                return Detected(i, hs, cols)
    return None


def expected_names(forced: str = "auto") -> str:
    """The required header names of each format, for error messages."""
    out = []
    for hs in HEADER_SETS:
        if forced in ("auto", hs.format):
            names = ", ".join(repr(hs.columns[f][0]) for f in hs.required)
            out.append(f"{hs.format} ({hs.language}): {names}")
    return "; ".join(out)
