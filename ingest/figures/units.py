"""Currency tables: ISO 4217 codes, symbols and English names, and regex fragments built on them.

Kept as plain tables so that adding a currency is a one-line change; the extractor compiles the
fragments once at import time.
"""

from __future__ import annotations

import re
from typing import Final

# Active ISO 4217 codes (plus a few historic ones that still appear in archived coverage).
ISO_CODES: Final[frozenset[str]] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
    FIM NLG FRF ESP DEM ITL BEF ATS IEP PTE GRD
    """.split()
)

# Codes also accepted in lower case. Most three-letter codes are ordinary English words in lower
# case ("all", "try", "top", "mad", "gel"), so only these unambiguous ones are.
LOWERCASE_OK: Final[frozenset[str]] = frozenset(
    "usd eur gbp rmb cny jpy hkd aud cad nzd mxn chf inr krw sgd twd brl ars".split()
)

# Symbols written before (or, in some locales, after) the number. Longest first in the regex.
# "$" alone is USD: the product reads English-language coverage, where a bare dollar sign is the
# US dollar unless a prefix (HK$, C$, A$ ...) says otherwise.
SYMBOLS: Final[dict[str, str]] = {
    "US$": "USD",
    "U.S.$": "USD",
    "U.S. $": "USD",
    "US $": "USD",
    "U.S $": "USD",
    "USD$": "USD",
    "HK$": "HKD",
    "HK $": "HKD",
    "C$": "CAD",
    "C $": "CAD",
    "CA$": "CAD",
    "CAD$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "AUD$": "AUD",
    "NZ$": "NZD",
    "NZD$": "NZD",
    "S$": "SGD",
    "SG$": "SGD",
    "NZ $": "NZD",
    "Cdn$": "CAD",
    "Can$": "CAD",
    "Aus$": "AUD",
    "NT$": "TWD",
    "R$": "BRL",
    "MX$": "MXN",
    "Mex$": "MXN",
    "MXN$": "MXN",
    # Australian and New Zealand papers put the country after the sign: "$US1.2 billion",
    # "$A82.6m". A spaced "A $5" is not taken: it is the article "A" before a dollar amount.
    "$US": "USD",
    "$A": "AUD",
    "$AU": "AUD",
    "$AUD": "AUD",
    "$NZ": "NZD",
    "$HK": "HKD",
    "$S": "SGD",
    "$C": "CAD",
    "RM": "MYR",  # Malaysian ringgit, "RM23.50"; its sub-unit is the sen
    "Rs.": "INR",  # "Rs 500 crore"; Pakistani and Sri Lankan rupees are written with a code
    "Rs": "INR",
    # Financial Times style: "Rmb5bn", "SFr1.2bn", "SKr3bn", "Rbs100bn", "TL5bn".
    "Rmb": "CNY",
    "SFr": "CHF",
    "SKr": "SEK",
    "NKr": "NOK",
    "DKr": "DKK",
    "Rbs": "RUB",
    "TL": "TRY",
    # East African shillings: "Sh1.1 trillion" (Kenyan papers), "TSh", "USh"; a bare "Sh"
    # needs a scale or grouped digits (see core.read_core).
    "Sh": "KES",
    "TSh": "TZS",
    "USh": "UGX",
    "Rp": "IDR",  # Indonesian rupiah, "Rp 24 trillion"
    "KSh": "KES",  # Kenyan shilling
    "Ksh": "KES",
    "Kshs": "KES",
    "Dh": "AED",  # UAE dirham, "Dh5 billion"
    "Dhs": "AED",
    "Tk": "BDT",  # Bangladeshi taka
    "Php": "PHP",  # Philippine peso as Manila papers write it, "Php5 billion"
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",  # CNY when the text is about China: see resolve_yen
    "￥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₫": "VND",
    "₱": "PHP",
    "฿": "THB",
    "₦": "NGN",
    "₴": "UAH",
    "₡": "CRC",
    "₾": "GEL",
    "₭": "LAK",
    "₮": "MNT",
    "₸": "KZT",
    "ரூ": "LKR",
    "元": "CNY",
}

# Names written after the number ("380 billion yuan", "125 million australian dollars").
# Keys are lower case; matching is case-insensitive. Longest first in the regex.
NAMES: Final[dict[str, str]] = {
    "yuan": "CNY",
    "chinese yuan": "CNY",
    "renminbi": "CNY",
    "rmb": "CNY",
    "kuai": "CNY",
    "dollar": "USD",
    "dollars": "USD",
    "us dollar": "USD",
    "us dollars": "USD",
    "u.s. dollars": "USD",
    "american dollars": "USD",
    "hong kong dollar": "HKD",
    "hong kong dollars": "HKD",
    "canadian dollar": "CAD",
    "canadian dollars": "CAD",
    "australian dollar": "AUD",
    "australian dollars": "AUD",
    "new zealand dollars": "NZD",
    "singapore dollars": "SGD",
    "taiwan dollars": "TWD",
    "new taiwan dollars": "TWD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "pounds sterling": "GBP",
    "sterling": "GBP",
    "british pounds": "GBP",
    "yen": "JPY",
    "japanese yen": "JPY",
    "won": "KRW",
    "korean won": "KRW",
    "south korean won": "KRW",
    "rupee": "INR",
    "rupees": "INR",
    "indian rupees": "INR",
    "pesos": "MXN",
    "mexican pesos": "MXN",
    "argentine pesos": "ARS",
    "argentinian pesos": "ARS",
    "reais": "BRL",
    "brazilian reais": "BRL",
    "rubles": "RUB",
    "roubles": "RUB",
    "lira": "TRY",
    "turkish lira": "TRY",
    "rand": "ZAR",
    "ringgit": "MYR",
    "baht": "THB",
    "rupiah": "IDR",
    "dirhams": "AED",
    "riyals": "SAR",
    "swiss francs": "CHF",
    "francs": "CHF",
    "swedish kronor": "SEK",
    "kronor": "SEK",
    "norwegian kroner": "NOK",
    "danish kroner": "DKK",
    "zloty": "PLN",
    # Wire-service abbreviations: "5 mln dlrs", "300 mln stg".
    "dlrs": "USD",
    "dlr": "USD",
    "u.s. dlrs": "USD",
    "canadian dlrs": "CAD",
    "australian dlrs": "AUD",
    "hong kong dlrs": "HKD",
    "singapore dlrs": "SGD",
    "new zealand dlrs": "NZD",
    "taiwan dlrs": "TWD",
    "stg": "GBP",
    "lire": "ITL",
    "italian lire": "ITL",
    "marks": "DEM",  # money only after a scale: see core._SCALED_ONLY
    "d-marks": "DEM",
    "shekels": "ILS",
    "shekel": "ILS",
    "new shekels": "ILS",
    "new israeli shekels": "ILS",
    "israeli shekels": "ILS",
    "philippine pesos": "PHP",
    "chilean pesos": "CLP",
    "colombian pesos": "COP",
    "singapore dollar": "SGD",
    "new zealand dollar": "NZD",
    "malaysian ringgit": "MYR",
    "south african rand": "ZAR",
    "forint": "HUF",
    "koruna": "CZK",
    "hryvnia": "UAH",
    "dong": "VND",
    "pakistani rupees": "PKR",
    "sri lankan rupees": "LKR",
    "swedish crowns": "SEK",
    "norwegian crowns": "NOK",
    "danish crowns": "DKK",
    "naira": "NGN",
    "finnish markka": "FIM",
    "markka": "FIM",
    "pesetas": "ESP",
    "dutch guilders": "NLG",
    "guilders": "NLG",
    "french francs": "FRF",
    "deutsche marks": "DEM",
}

# Chinese currency words, written glued after the amount ("3800亿元", "50亿美元", "500亿人民币");
# "人民币" (and the other words) also before it ("人民币3800亿"). Longest first in the regex, so
# "美元" (US dollars) is never read as "元".
CJK_NAMES: Final[dict[str, str]] = {
    "元": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "日元": "JPY",
    "欧元": "EUR",
    "英镑": "GBP",
    "韩元": "KRW",
    "澳元": "AUD",
    "加元": "CAD",
    "新台币": "TWD",
}

# Sub-units: the figure is stored in the main unit (50 cents -> 0.50 USD).
SUBUNITS: Final[dict[str, tuple[str, float]]] = {
    "cent": ("USD", 0.01),
    "cents": ("USD", 0.01),
    "pence": ("GBP", 0.01),
    "penny": ("GBP", 0.01),
    "mao": ("CNY", 0.1),
    # Malaysian press: "rose 18 sen to RM23.50".
    "sen": ("MYR", 0.01),
    "cts": ("USD", 0.01),
    "us cents": ("USD", 0.01),
    "euro cents": ("EUR", 0.01),
    "singapore cents": ("SGD", 0.01),
    "australian cents": ("AUD", 0.01),
    "canadian cents": ("CAD", 0.01),
    "hong kong cents": ("HKD", 0.01),
}


def _alt(keys: list[str]) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


_SYMBOL_KEYS = [k for k in SYMBOLS if not k[0].isalpha()]
_LETTER_SYMBOL_KEYS = [k for k in SYMBOLS if k[0].isalpha() and k != "元"]
# Codes that are also common upper-case words ("ALL 5 solutions", "TOP 10") are only accepted
# through their names or symbols.
_WORDLIKE_CODES: Final[frozenset[str]] = frozenset("ALL CUP TOP MAD GEL BOB SOS PEN BAM".split())
_UPPER_CODES = sorted((ISO_CODES - _WORDLIKE_CODES) | {"RMB"})

# A currency written before the number: symbol, letter-prefixed dollar (HK$), or ISO code.
# Letter prefixes need a word boundary so "plus $5" is not read as S$5.
PREFIX_RE: Final[str] = (
    r"(?:(?<![A-Za-z])(?:" + _alt(_LETTER_SYMBOL_KEYS) + r")"
    r"|(?i:(?<![A-Za-z])(?:hk|us|u\.s\.?|c|usd|nzd|aud|cad|mxn|mex)\s?\$)"
    r"|(?:" + _alt(_SYMBOL_KEYS) + r")"
    # "S $2.3 billion" (a spaced Singapore dollar), but not "Model S $79,990".
    r"|(?<![A-Za-z])(?<!Model )(?<!Class )(?<!Series )(?<!Plan )S \$"
    r"|(?<![A-Za-z])M?(?:" + "|".join(_UPPER_CODES) + r")(?![A-Za-z])"
    # South African rand, "R3.2bn"; read_core keeps it only before a scale or grouped digits,
    # so "DeepSeek R1" and "R2 storage" stay names.
    r"|(?<![A-Za-z&.-])R(?![A-Za-z&$])"
    # "euro2.5 billion", as wire copy writes the sign it cannot send; core keeps it glued only.
    r"|(?<![A-Za-z])[Ee]uro(?![A-Za-z])"
    r"|(?<![A-Za-z])(?:" + "|".join(sorted(LOWERCASE_OK)) + r")(?![A-Za-z])"
    # "公元2025年" is the year AD 2025 and "纪元" an era, not yuan.
    r"|(?:" + _alt([k for k in CJK_NAMES if k != "元"]) + r"|(?<![公纪])元))"
)

# A currency written after the number.
SUFFIX_RE: Final[str] = (
    r"(?:(?i:(?:" + _alt(list(NAMES)) + r"))(?![A-Za-z])"
    r"|M?(?:" + "|".join(_UPPER_CODES) + r")(?![A-Za-z])"
    r"|(?:" + "|".join(sorted(LOWERCASE_OK)) + r")(?![A-Za-z])"
    r"|(?i:(?:" + _alt([k for k in SUBUNITS if k != "sen"]) + r"))(?![A-Za-z])"
    r"|sen(?![A-Za-z])"  # lower case only: "5 Sen." is a senator
    r"|(?:" + _alt([*_SYMBOL_KEYS, *CJK_NAMES, "ரூ"]) + r"))"
)

_PREFIX_LOOKUP: Final[dict[str, str]] = {
    re.sub(r"\s+", "", k).lower(): v for k, v in SYMBOLS.items()
} | {"us$": "USD", "u.s$": "USD", "u.s.$": "USD", "mex$": "MXN", "r": "ZAR", "s$": "SGD"}


def currency_code(raw: str) -> tuple[str, float] | None:
    """Map a currency token as written to (ISO code, multiplier); None if it is not one."""
    key = "".join(raw.split())
    low = key.lower()
    if low in _PREFIX_LOOKUP:
        return _PREFIX_LOOKUP[low], 1.0
    if key in CJK_NAMES:
        return CJK_NAMES[key], 1.0
    squeezed = " ".join(raw.lower().split())
    if squeezed in NAMES:
        return NAMES[squeezed], 1.0
    if squeezed in SUBUNITS:
        return SUBUNITS[squeezed]
    upper = key.upper()
    if upper == "RMB":
        return "CNY", 1.0
    if upper in ISO_CODES:
        return upper, 1.0
    # "MUSD", "MEUR": the M is the Nordic/French "million" prefix.
    if len(upper) == 4 and upper[0] == "M" and upper[1:] in ISO_CODES:
        return upper[1:], 1_000_000.0
    return None
