r"""Text that renders as written: one escaping helper per output, and the number formats people read.

Why this exists: JupyterLab reads a pair of ``$`` in Markdown *and* in HTML outputs as TeX maths (MathJax), so
"$29,447,661 of claims ... and $15,778,738" lost its dollars and its spaces; matplotlib reads ``$...$`` as
mathtext. Every string the project writes for people goes through :func:`literal` for its target, and every number
through :func:`money`, :func:`count` or :func:`percent`.

How ``$`` is made literal, per target (checked in headless Chromium, ``tests/browser/``):

- ``"markdown"`` (JupyterLab's marked + MathJax 3, nbconvert's mistune, GitHub): ``$`` becomes
  ``<span>&#36;</span>``. JupyterLab first cuts ``$...$`` out of the Markdown source (its ``removeMath``) and later
  runs MathJax over the rendered DOM; a backslash escape (``\$``) survives the first step but reaches the DOM as a
  bare ``$`` that MathJax pairs with the next one. The entity hides the character from the source scan, and the
  ``<span>`` puts it in its own text string, which MathJax never pairs with another (it finds maths only within
  one run of text between tags). The backslash gets the same treatment (``\(`` opens maths for MathJax).
  Markdown punctuation (``* _ ` [ ] ~ | # < > &``) becomes numeric character references, which CommonMark shows
  as the character and never reads as markup.
- ``"html"``: HTML-escaped (``& < > " '``), and ``$`` and ``\`` wrapped as above (JupyterLab typesets HTML
  outputs with MathJax too: "$10k-$100k" in a table cell turned italic). Insert the result unescaped.
- ``"mpl"``: ``$`` becomes ``\$`` for a matplotlib text with mathtext parsing on (matplotlib's default). The
  package's own charts switch parsing off (``text.parse_math: False`` in the style, and
  :func:`seller_insurance.publish.charts` sets it on every text), so their titles and labels take plain text.
- ``"pptx"`` / ``"plain"``: unchanged except characters XML 1.0 cannot hold (control characters other than tab and
  newline), which become U+FFFD; python-pptx escapes the rest.

Number formats (US English; ``n/a`` for None or NaN, never "nan"):

- :func:`money` ``13668923 -> "$13,668,923"`` (``style="exact"``) or ``"$13.7M"`` (``style="short"``, for slides
  and chart titles);
- :func:`count` ``6193 -> "6,193"``; :func:`percent` ``0.82 -> "82%"``;
- :func:`plural` ``(1, "month") -> "1 month"``, ``(2, "month") -> "2 months"``; :func:`rule_name`
  ``1 -> "single-month rule"``, ``2 -> "two-month rule"``.
"""

from __future__ import annotations

import math
import re
from typing import Literal

Target = Literal["markdown", "html", "mpl", "pptx", "plain"]

__all__ = [
    "CURRENCY_SYMBOLS",
    "Target",
    "count",
    "literal",
    "md",
    "money",
    "number_word",
    "percent",
    "plural",
    "rule_name",
]

#: Prefix per ISO currency code used by :func:`money`; other codes are written as ``"SEK 1,000"``.
CURRENCY_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "CAD": "CA$",
    "MXN": "MX$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
}

# A `$` or `\` on its own text run: MathJax never pairs it with another (see the module docstring).
_DOLLAR = "<span>&#36;</span>"
_BACKSLASH = "<span>&#92;</span>"
# Markdown punctuation as numeric character references: CommonMark shows them as the character, never as markup.
_MARKDOWN = {c: f"&#{ord(c)};" for c in "&<>*_`[]~|#"}
_MARKDOWN.update({"$": _DOLLAR, "\\": _BACKSLASH})
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "$": _DOLLAR, "\\": _BACKSLASH}
# XML 1.0 forbids C0 controls other than tab, newline and carriage return (python-pptx raises on them).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def literal(text: object, target: Target) -> str:
    r"""``text`` made to render exactly as written in ``target``: no maths, no markup, no injected HTML.

    Parameters
    ----------
    text : object
        Any value; ``str(text)`` is escaped. ``None`` gives ``""``.
    target : {"markdown", "html", "mpl", "pptx", "plain"}
        Where the text goes. ``"markdown"``: a JupyterLab Markdown cell or ``IPython.display.Markdown`` output,
        nbconvert's HTML, GitHub. ``"html"``: HTML markup (a table cell, the index page), to be inserted
        unescaped. ``"mpl"``: a matplotlib text with mathtext parsing on. ``"pptx"``/``"plain"``: plain text.

    Returns
    -------
    str
        The escaped text. See the module docstring for what each target does to ``$``, ``\`` and markup.

    Raises
    ------
    ValueError
        For an unknown ``target``.
    """
    s = "" if text is None else str(text)
    if target == "markdown":
        return "".join(_MARKDOWN.get(c, c) for c in s)
    if target == "html":
        return "".join(_HTML.get(c, c) for c in s)
    if target == "mpl":
        return s.replace("$", r"\$")
    if target in ("pptx", "plain"):
        return _XML_INVALID.sub("\ufffd", s)
    raise ValueError(f"unknown target {target!r}: use 'markdown', 'html', 'mpl', 'pptx' or 'plain'")


def md(template: str, *args: object, **kwargs: object) -> str:
    r"""Markdown from a template whose markup is kept and whose values are shown literally.

    ``md("Uninsured sellers pay **{}**", money(29447661))`` -> ``"Uninsured sellers pay **<span>&#36;</span>
    29,447,661**"`` (no space in the real output). The template's own ``*``/``_`` markup stays markup; only its
    ``$`` and ``\`` are made literal (the project writes no maths), so ``"range $500-$2,000"`` in a template is
    safe too. Each value is passed through :func:`literal` with target ``"markdown"`` before :meth:`str.format`.

    Parameters
    ----------
    template : str
        A :meth:`str.format` template in Markdown (``{}``, ``{name}``, ``{:,}`` fields allowed on values that are
        not strings; format specs apply before escaping is impossible, so format numbers first with
        :func:`money`, :func:`count` or :func:`percent` and pass strings).
    *args, **kwargs : object
        Values for the fields; strings are escaped, other values are formatted by the template's spec and then
        escaped.

    Returns
    -------
    str
        Markdown for ``IPython.display.Markdown``.
    """
    safe_template = template.replace("\\", _BACKSLASH).replace("$", _DOLLAR)

    class _Escaped:
        """A value that formats with the template's spec, then escapes the result."""

        def __init__(self, value: object) -> None:
            self.value = value

        def __format__(self, spec: str) -> str:
            return literal(format(self.value, spec), "markdown")

    return safe_template.format(*(_Escaped(a) for a in args), **{k: _Escaped(v) for k, v in kwargs.items()})


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(
    value: float | int | None, currency: str = "USD", style: Literal["exact", "short"] = "exact"
) -> str:
    """An amount of money as people read it: ``"$13,668,923"`` (exact) or ``"$13.7M"`` (short).

    Parameters
    ----------
    value : float or int or None
        The amount in units of ``currency`` (dollars, not cents). Negative amounts get a leading minus
        (``"-$1,250"``).
    currency : str, default "USD"
        ISO 4217 code; :data:`CURRENCY_SYMBOLS` gives the prefix (``"$"``, ``"€"``, ``"CA$"``), any other code is
        written before the number (``"SEK 1,000"``).
    style : {"exact", "short"}, default "exact"
        ``"exact"``: rounded to the whole unit with thousands separators. ``"short"``: for slides and titles, with
        k (thousand), M (million) or B (billion) and one decimal below 100 of the unit (``"$13.7M"``,
        ``"$137M"``, ``"$10k"``; a ``.0`` is dropped); amounts under 1,000 are whole units (``"$950"``). Rounding
        that reaches the next unit moves up (999,960 -> ``"$1M"``).

    Returns
    -------
    str
        The amount, or ``"n/a"`` for None/NaN. Plain text: pass it through :func:`literal` for Markdown or HTML.
    """
    if _missing(value):
        return "n/a"
    if style not in ("exact", "short"):
        raise ValueError(f"style must be 'exact' or 'short', got {style!r}")
    prefix = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if value < 0 else ""
    amount = abs(float(value))
    if style == "exact" or round(amount) < 1000:
        return f"{sign}{prefix}{amount:,.0f}"
    for scale, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
        scaled = amount / scale
        text = f"{scaled:.1f}" if round(scaled, 1) < 100 else f"{scaled:,.0f}"
        if suffix == "B" or float(text.replace(",", "")) < 1000:  # 999,600 -> "1,000k" -> next unit: "$1M"
            break
    return f"{sign}{prefix}{text.removesuffix('.0')}{suffix}"


def count(value: float | int | None) -> str:
    """A count with thousands separators: ``6193 -> "6,193"``; floats round to the nearest whole number.

    Parameters
    ----------
    value : float or int or None
        Number of things (sellers, claims, months).

    Returns
    -------
    str
        ``"6,193"``, or ``"n/a"`` for None/NaN.
    """
    if _missing(value):
        return "n/a"
    return f"{value:,.0f}"


def percent(share: float | None, decimals: int | None = None) -> str:
    """A share as a percentage: ``0.82 -> "82%"``, ``0.1234 -> "12%"`` (or ``"12.3%"`` with ``decimals=1``).

    Parameters
    ----------
    share : float or None
        A fraction (0.82 for 82%), not a percentage.
    decimals : int or None, default None
        Digits after the point. None: whole percents, except where that would show a share that is not exactly
        0 or 1 as ``"0%"`` or ``"100%"``; then as few decimals as tell it apart, up to 3 (``0.004 -> "0.4%"``,
        ``0.99996 -> "99.996%"``; below 0.0005% it shows ``"<0.001%"``, above 99.9995% ``">99.999%"``).

    Returns
    -------
    str
        The percentage, or ``"n/a"`` for None/NaN.
    """
    if _missing(share):
        return "n/a"
    pct = float(share) * 100
    if decimals is not None:
        return f"{pct:.{decimals}f}%"
    if pct in (0.0, 100.0):
        return f"{pct:.0f}%"
    for d in range(4):
        text = f"{pct:.{d}f}"
        if float(text) not in (0.0, 100.0, -0.0):
            return f"{text}%"
    return "<0.001%" if 0 < pct < 50 else (">99.999%" if 50 < pct < 100 else f"{pct:.3f}%")


def plural(n: float | int, word: str, plural_form: str | None = None, *, with_count: bool = True) -> str:
    """``word`` in the number that fits ``n``: ``(1, "seller") -> "1 seller"``, ``(6193, "seller") -> "6,193 sellers"``.

    Parameters
    ----------
    n : float or int
        The count. Singular only for exactly 1 (``0 sellers``, ``1.5 months``).
    word : str
        The singular noun.
    plural_form : str or None
        The plural if not regular English (``"people"``); default adds ``s`` (``es`` after s, x, z, ch, sh;
        ``ies`` for a consonant + y).
    with_count : bool, default True
        Put the count (formatted by :func:`count`, or with its decimals if not whole) before the word.

    Returns
    -------
    str
        E.g. ``"1 month"``, ``"2 months"``, or ``"months"`` with ``with_count=False``.
    """
    if plural_form is None:
        if word.endswith(("s", "x", "z", "ch", "sh")):
            plural_form = word + "es"
        elif len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
            plural_form = word[:-1] + "ies"
        else:
            plural_form = word + "s"
    form = word if n == 1 else plural_form
    if not with_count:
        return form
    number = count(n) if float(n).is_integer() else f"{n:,}"
    return f"{number} {form}"


def number_word(n: int) -> str:
    """A small whole number as a word (``3 -> "three"``, 0 to 12); larger ones as digits (``"13"``).

    Parameters
    ----------
    n : int
        The number.

    Returns
    -------
    str
        The word, or :func:`count` of ``n`` outside 0..12.
    """
    return _WORDS[n] if isinstance(n, int) and 0 <= n < len(_WORDS) else count(n)


def rule_name(months: int) -> str:
    """The insurance rule named by its window: ``1 -> "single-month rule"``, ``3 -> "three-month rule"``.

    Parameters
    ----------
    months : int
        Consecutive months over the threshold that trigger the requirement (the rule's window).

    Returns
    -------
    str
        ``"single-month rule"`` for 1, ``"<number word>-month rule"`` otherwise (``"13-month rule"`` above 12).
        Add "the" in the sentence.
    """
    return "single-month rule" if months == 1 else f"{number_word(months)}-month rule"
