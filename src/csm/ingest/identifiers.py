"""Recognise identifier-like data (issue 12): what in a string, key or number could single out a
person or their device. Pure functions; the string scan is cached per distinct string because the
same sensor ids, metrics and timestamps arrive over and over (the scan was 18 % of ingest CPU).

Each detector answers a short kind (`email`, `phone`, `mac`, ...) used in refusal details and in
the `<redacted:KIND>` placeholders of dead letters; none of them echoes the value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

# Strings are scanned only this far: no accepted field is this long, so a longer string is refused
# anyway and a dead letter cuts it; the bound keeps the scan cheap and the cache small.
SCAN_LIMIT = 128

# Field names that carry identifiers, compared lower-case without separators (mac_address = macAddress).
IDENTIFIER_KEYS = frozenset({
    "device", "deviceid", "devicename", "mac", "macaddress", "macaddr", "bssid", "ssid", "imsi", "imei",
    "msisdn", "iccid", "udid", "uuid", "idfa", "idfv", "gaid", "adid", "advertisingid", "phone",
    "phonenumber", "telephone", "tel", "telefoon", "telefoonnummer", "mobile", "mobiel", "gsm", "ip",
    "ipaddress", "ipv4", "ipv6", "plate", "licenseplate", "licenceplate", "numberplate", "kenteken",
    "image", "imagebase64", "photo", "picture", "foto", "face", "faces", "faceembedding", "trackid",
    "personid", "userid", "visitorid", "customerid", "clientid", "cookie", "sessionid", "email", "mail",
    "emailaddress", "name", "naam", "fullname", "firstname", "lastname", "surname", "givenname",
    "voornaam", "achternaam", "username", "account", "bsn", "ssn", "iban", "passport", "paspoort",
    "birthdate", "dateofbirth", "dob", "geboortedatum", "address", "adres", "postcode", "zipcode",
    "lat", "lon", "lng", "latitude", "longitude", "gps", "location", "geo",
})

ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_PLAIN_WORDS = re.compile(r"[a-z]+(?:[-_ ][a-z]+)*")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{3,}")
_IMAGE = re.compile(r"data:image/|/9j/4|iVBORw0KGgo")
_UUID = re.compile(r"(?<![0-9a-f])[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?![0-9a-f])", re.I)
_MAC = re.compile(
    r"(?<![0-9a-f])(?:[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}"
    r"|[0-9a-f]{12})(?![0-9a-f])",
    re.I,
)
_LONG_HEX = re.compile(r"(?<![0-9a-f])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{16,}(?![0-9a-f])", re.I)
# Anchored at the start of a run and bounded per group: no super-linear backtracking.
_IPV6_CANDIDATE = re.compile(r"(?<![0-9A-Fa-f:.])[0-9A-Fa-f.]{0,15}(?::[0-9A-Fa-f.]{0,15}){2,8}")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\d.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\d.])")
_IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Z0-9])", re.I)
_DIGIT_RUN = re.compile(r"(?<![\d+])(\+|00)?\(?\d(?:[ .()/-]{0,2}\d){7,18}(?!\d)")
_VERY_LONG_NUMBER = re.compile(r"\d{20,}")
_GEO = re.compile(r"(?<![\d.])-?\d{1,2}\.\d{4,}\s*[,; ]\s*-?\d{1,3}\.\d{4,}")
# Names: two capitalised words, Dutch particles allowed between (Jan de Vries), or a title and a name.
_NAME = re.compile(
    r"\b[A-Z][a-zà-ÿ]+(?:[ -](?:van|de|der|den|ter|ten|te|het|op|in|la|le|von|di|da|du|del|'t))* [A-Z][a-zà-ÿ]+\b"
)
_TITLED_NAME = re.compile(r"\b(?:[Dd]hr|[Mm]evr|[Mm]w|[Mm]r|[Mm]rs|[Mm]s|[Dd]r|[Ii]r|[Dd]rs)\.? [A-Z][a-zà-ÿ]+")
# Dutch licence plates (sidecodes 1-14) with dashes, the distinctive ones also without; foreign:
# Belgian, French SIV, British, German. Case-insensitive: plates arrive in lower case too.
_L, _D = "[a-z]", r"\d"
_NL_SIDECODES = [
    (f"{_L}{{2}}", f"{_D}{{2}}", f"{_D}{{2}}"), (f"{_D}{{2}}", f"{_D}{{2}}", f"{_L}{{2}}"),
    (f"{_D}{{2}}", f"{_L}{{2}}", f"{_D}{{2}}"), (f"{_L}{{2}}", f"{_D}{{2}}", f"{_L}{{2}}"),
    (f"{_L}{{2}}", f"{_L}{{2}}", f"{_D}{{2}}"), (f"{_D}{{2}}", f"{_L}{{2}}", f"{_L}{{2}}"),
    (f"{_D}{{2}}", f"{_L}{{3}}", f"{_D}"), (f"{_D}", f"{_L}{{3}}", f"{_D}{{2}}"),
    (f"{_L}{{2}}", f"{_D}{{3}}", f"{_L}"), (f"{_L}", f"{_D}{{3}}", f"{_L}{{2}}"),
    (f"{_L}{{3}}", f"{_D}{{2}}", f"{_L}"), (f"{_L}", f"{_D}{{2}}", f"{_L}{{3}}"),
    (f"{_D}", f"{_L}{{2}}", f"{_D}{{3}}"), (f"{_D}{{3}}", f"{_L}{{2}}", f"{_D}"),
]
_PLATE_FORMS = [
    "-".join(groups) for groups in _NL_SIDECODES
] + ["".join(groups) for groups in _NL_SIDECODES[6:]] + [
    r"\d-[a-z]{3}-\d{3}",  # Belgium
    r"[a-z]{2}-\d{3}-[a-z]{2}",  # France
    r"[a-z]{2}\d{2} ?[a-z]{3}",  # United Kingdom
    r"[a-zäöü]{1,3}-[a-z]{1,2} ?\d{1,4}[eh]?",  # Germany
]
# The lookaheads (a digit and a letter within reach) skip most positions before the alternation.
_PLATE = re.compile(
    r"(?<![a-z0-9])(?=[a-z0-9äöü -]{0,9}\d)(?=[a-z0-9äöü -]{0,9}[a-z])(?:" + "|".join(_PLATE_FORMS)
    + r")(?![a-z0-9])",
    re.I,
)


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if compact.startswith("NL") and re.fullmatch(r"NL\d{2}[A-Z]{4}\d{10}", compact):
        return True
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return 15 <= len(compact) <= 34 and int(digits) % 97 == 1


def _eleven_test(digits: str) -> bool:
    """The Dutch BSN check ("elfproef"): weights 9..2 and -1."""
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return len(digits) == 9 and sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def number_kind(digits: str, international: bool = False) -> str | None:
    """What a run of 8+ digits (separators removed) most likely is, or None when too short."""
    if international and len(digits) >= 8:
        return "phone"
    if len(digits) in (14, 15, 16):
        return "imei-imsi"
    if len(digits) == 9 and _eleven_test(digits):
        return "bsn"
    if digits.startswith("0") and len(digits) in (10, 11):
        return "phone"
    if len(digits) >= 9:
        return "number"
    return None


def _digit_runs(text: str) -> str | None:
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        kind = number_kind(digits, international=match.group(1) is not None)
        if kind:
            return kind
    return "number" if _VERY_LONG_NUMBER.search(text) else None


def _ipv6(text: str) -> str | None:
    for match in _IPV6_CANDIDATE.finditer(text):
        try:
            ipaddress.IPv6Address(match.group(0).rstrip("."))
        except ValueError:
            continue
        return "ipv6"
    return None


def _search(pattern: re.Pattern[str], kind: str) -> Callable[[str], str | None]:
    return lambda text: kind if pattern.search(text) else None


def _iban(text: str) -> str | None:
    return "iban" if any(_iban_ok(m.group(0)) for m in _IBAN.finditer(text)) else None


def _digit_runs_if_enough(text: str) -> str | None:
    return _digit_runs(text) if sum(map(str.isdigit, text)) >= 8 else None


# Order matters only for the kind reported: the most specific detectors come first. Detectors of
# forms that always hold a digit run only on text with digits.
_WITH_DIGITS: tuple[Callable[[str], str | None], ...] = (
    _search(_UUID, "device-id"), _search(_MAC, "mac"), _search(_LONG_HEX, "device-id"), _ipv6,
    _search(_IPV4, "ipv4"), _iban, _search(_GEO, "location"), _search(_PLATE, "plate"),
    _digit_runs_if_enough,
)
_ANY_TEXT: tuple[Callable[[str], str | None], ...] = (
    _search(_HANDLE, "handle"), _search(_NAME, "name"), _search(_TITLED_NAME, "name"),
)
_DIGIT = re.compile(r"\d")


def _scan(text: str) -> str | None:
    if _PLAIN_WORDS.fullmatch(text):
        return None  # lower-case words only: cannot hold any of the forms above
    stripped = ISO_TIMESTAMP.sub(" ", text)
    if not stripped.strip():
        return None
    if "@" in stripped and _EMAIL.search(stripped):
        return "email"
    if _IMAGE.search(stripped):
        return "image"
    detectors = (_WITH_DIGITS + _ANY_TEXT) if _DIGIT.search(stripped) else _ANY_TEXT
    for detector in detectors:
        kind = detector(stripped)
        if kind:
            return kind
    return None


@lru_cache(maxsize=65_536)
def _scan_cached(text: str) -> str | None:
    return _scan(text)


def string_kind(text: str) -> str | None:
    """The kind of identifier found in `text`, else None (cached per distinct short string)."""
    return _scan_cached(text[:SCAN_LIMIT])


def announced_kind(key: str) -> str | None:
    """A field name that announces identifiers (`mac_address`, `Kenteken`), else None."""
    normalised = re.sub(r"[^a-z0-9]", "", key.lower())
    return normalised if normalised in IDENTIFIER_KEYS else None


def key_kind(key: str) -> str | None:
    """A field name that announces identifiers, or one that is an identifier itself."""
    return announced_kind(key) or string_kind(key)


def integer_kind(value: int) -> str | None:
    """An integer that looks like a phone number, IMEI/IMSI or BSN written as a JSON number."""
    if abs(value) < 10**7 or abs(value) >= 10**19:
        return None
    digits = str(abs(value))
    if digits.startswith(("31", "32", "33", "44", "49")) and len(digits) in (10, 11, 12):
        return "phone"
    if len(digits) == 9 and digits.startswith("6"):
        return "phone"  # a Dutch mobile number without its leading zero
    kind = number_kind(digits)
    return kind if kind in ("imei-imsi", "bsn", "phone") else None


def cache_info() -> str:
    return str(_scan_cached.cache_info())
