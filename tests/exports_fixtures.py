"""Seller Central export fixtures built from the published column lists (shared/policy-facts.md); no real data.

Amounts and dates are made up; each test writes down its expected totals by hand next to the rows it uses.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

DRR_NOTES = [
    "Includes Amazon Marketplace, Fulfillment by Amazon (FBA), and Amazon Webstore transactions",
    "All amounts in USD, unless specified",
    "Definitions:",
    "Sales tax collected: Includes sales tax collected from buyers for product sales, shipping, and gift wrap.",
]
DRR_US = [
    "date/time",
    "settlement id",
    "type",
    "order id",
    "sku",
    "description",
    "quantity",
    "marketplace",
    "account type",
    "fulfillment",
    "order city",
    "order state",
    "order postal",
    "tax collection model",
    "product sales",
    "product sales tax",
    "shipping credits",
    "shipping credits tax",
    "gift wrap credits",
    "giftwrap credits tax",
    "Regulatory Fee",
    "Tax On Regulatory Fee",
    "promotional rebates",
    "promotional rebates tax",
    "marketplace withheld tax",
    "selling fees",
    "fba fees",
    "other transaction fees",
    "other",
    "total",
]
DRR_UK = [
    {
        "fulfillment": "fulfilment",
        "shipping credits": "postage credits",
        "shipping credits tax": "postage credits tax",
    }.get(c, c)
    for c in DRR_US
]
DRR_DE = [
    "Datum/Uhrzeit",
    "Abrechnungsnummer",
    "Typ",
    "Bestellnummer",
    "SKU",
    "Beschreibung",
    "Menge",
    "Marketplace",
    "Versand",
    "Ort der Bestellung",
    "Bundesland",
    "Postleitzahl",
    "Steuererhebungsmodell",
    "Umsätze",
    "Produktumsatzsteuer",
    "Gutschrift für Versandkosten",
    "Steuer auf Versandgutschrift",
    "Gutschrift für Geschenkverpackung",
    "Steuer auf Geschenkverpackungsgutschriften",
    "Rabatte aus Werbeaktionen",
    "Steuer auf Aktionsrabatte",
    "Einbehaltene Steuer auf Marketplace",
    "Verkaufsgebühren",
    "Gebühren zu Versand durch Amazon",
    "Andere Transaktionsgebühren",
    "Andere",
    "Gesamt",
]
DRR_FR = [
    "date/heure",
    "numéro de versement",
    "type",
    "numéro de la commande",
    "sku",
    "description",
    "quantité",
    "marketplace",
    "traitement",
    "ville d'où provient la commande",
    "Région d'où provient la commande",
    "code postal de la commande",
    "modèle de perception des taxes",
    "ventes de produits",
    "Taxe sur la vente des produits",
    "crédits d'expédition",
    "taxe sur les crédits d’expédition",
    "crédits sur l'emballage cadeau",
    "Taxes sur les crédits cadeaux",
    "Rabais promotionnels",
    "Taxes sur les remises promotionnelles",
    "Taxes retenues sur le site de vente",
    "frais de vente",
    "Frais Expédié par Amazon",
    "autres frais de transaction",
    "autre",
    "total",
]
BUSINESS = [
    "Date",
    "Ordered Product Sales",
    "Ordered Product Sales - B2B",
    "Units Ordered",
    "Total Order Items",
    "Page Views - Total",
    "Sessions - Total",
    "Units Refunded",
    "Refund Rate",
    "A-to-z Claims Granted",
    "Claims Amount",
    "Shipped Product Sales",
]

# Where the fields this project reads sit in each header: (date/time, type, marketplace, product sales, shipping
# credits, gift wrap credits).
_DRR_FIELDS = {
    "us": ("date/time", "type", "marketplace", "product sales", "shipping credits", "gift wrap credits"),
    "uk": ("date/time", "type", "marketplace", "product sales", "postage credits", "gift wrap credits"),
    "de": (
        "Datum/Uhrzeit",
        "Typ",
        "Marketplace",
        "Umsätze",
        "Gutschrift für Versandkosten",
        "Gutschrift für Geschenkverpackung",
    ),
    "fr": (
        "date/heure",
        "type",
        "marketplace",
        "ventes de produits",
        "crédits d'expédition",
        "crédits sur l'emballage cadeau",
    ),
}
_HEADERS = {"us": DRR_US, "uk": DRR_UK, "de": DRR_DE, "fr": DRR_FR}


def drr_rows(lang: str, rows: list[tuple]) -> list[list[object]]:
    """Header + data rows of a Date Range Report: each row is (date/time, type, marketplace, product sales,
    shipping, gift wrap); every other cell is filled with a plausible constant ("" for amounts)."""
    header = _HEADERS[lang]
    fields = _DRR_FIELDS[lang]
    out: list[list[object]] = [list(header)]
    for r in rows:
        cells: list[object] = [""] * len(header)
        cells[1] = "1234567890"
        cells[3] = "111-0000000-0000000"
        cells[4] = "SKU-1"
        for name, value in zip(fields, r, strict=True):
            cells[header.index(name)] = value
        out.append(cells)
    return out


def write_csv(path: Path, rows: list[list[object]], notes: list[str] = (), *, delimiter=",") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for n in notes:
        w.writerow([n])
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_gz(path: Path, rows: list[list[object]], notes: list[str] = ()) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for n in notes:
        w.writerow([n])
    w.writerows(rows)
    path.write_bytes(gzip.compress(buf.getvalue().encode("utf-8")))
    return path


def write_utf16_tab(path: Path, rows: list[list[object]]) -> Path:
    """Excel's "Unicode text": UTF-16 little-endian with a BOM, tab-separated, CRLF."""
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-16"))
    return path


def write_xlsx(
    path: Path, rows: list[list[object]], sheet: str = "Sheet1", *, first_sheet: str | None = None
) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if first_sheet:
        ws.title = first_sheet
        ws.append(["nothing here"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path
