#!/usr/bin/env python3
"""A labeled development set for PII detection, in Amazon Comprehend's entity types.

    python3 bench/pii_dataset.py                      # -> bench/data/pii_dev.jsonl, 3000 records
    python3 bench/pii_dataset.py --n 500 --seed 7 --out /tmp/small.jsonl

Each line is one record:

    {"id": 17, "kind": "pii"|"negative", "template": "fin-03",
     "text": "...", "spans": [{"start": s, "end": e, "type": "SSN"}, ...]}

Offsets are Python `str` indices (Unicode code points, end exclusive), the unit of
Comprehend's BeginOffset/EndOffset. Some texts hold accented names and emoji, so an
implementation that counts UTF-8 bytes or UTF-16 units shows up as misaligned spans.

The set is synthetic: values come from `faker` (names, streets, cities) and from the
generators below (identifiers), placed into hand-written templates of support tickets,
medical notes, CRM rows, chat logs, config snippets, log lines, letters and forms. The
same --seed gives the same file for the same faker version (faker's data changes between
releases; the README pins the version used).

Labeling rules (what a span is, so that two detectors can be compared fairly):

* Every value that a template inserts as PII is labeled with its Comprehend type; nothing
  in a template's fixed text is PII. Titles stay outside NAME ("Dr. <Smith>"); brackets,
  quotes and "key = " prefixes stay outside every span.
* ADDRESS is the whole postal address as written ("12 Main St, Springfield, IL 62704"),
  one span, as in Comprehend's documentation example.
* DATE_TIME: every date or time expression is labeled, including timestamps at the start
  of log lines and chat lines, dates of birth and appointment times, because Comprehend's
  DATE_TIME covers any date or time of day. A card's expiry ("08/27") is labeled
  CREDIT_DEBIT_EXPIRY only. Consequently the negative records contain no dates or times.
* AGE includes the unit when one is written next to the number ("42 years", "42-year-old",
  "42 y/o"); a bare number after "Age:" or "aged" is the number alone.
* Values are valid where a checksum or structural rule exists: Luhn card numbers (Visa,
  Mastercard 51-55 and 2221-2720, Amex, Discover), IBAN mod-97 (and the national check
  digits of Belgian and Spanish account numbers), ABA routing checksum,
  VIN check digit, Verhoeff for Aadhaar, NHS mod-11, UK UTR check digit, Luhn for
  Canadian SIN and for the (Ontario-style) health number, SSN area/group/serial rules
  (area not 000/666/9xx, group not 00, serial not 0000), ITIN (9xx, group 50-65, 70-88,
  90-92, 94-99), UK NINO prefix rules, PAN's fourth letter. `validate()` re-checks every
  labeled value before the file is written.
* Negative records ("kind": "negative", no spans) are hard negatives: order and invoice
  ids, ticket keys, git hashes, SHA-256 digests, UUIDs, AWS ARNs (with 12-digit account
  ids), version strings shaped like IPv4 addresses ("firmware 4.2.10.1", "section
  2.3.1.4"), SKUs, tracking numbers, prices, line and port numbers, ISBNs, 16-digit
  references that fail Luhn, 9-digit references that fail the ABA checksum, IBANs that
  fail mod-97, VINs with a wrong check digit, 12-digit numbers that fail Verhoeff,
  SSN-shaped numbers with area 000/666/9xx, product and tool names that are also
  surnames or first names (Jenkins, Cassandra, Hugo). Some PII records carry the same
  distractors, unlabeled.
"""

import argparse
import collections
import datetime
import ipaddress
import json
import pathlib
import random
import re
import string
import sys
import unicodedata

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data" / "pii_dev.jsonl"

TYPES = [
    "NAME", "ADDRESS", "EMAIL", "PHONE", "SSN", "DATE_TIME", "AGE", "CREDIT_DEBIT_NUMBER",
    "CREDIT_DEBIT_CVV", "CREDIT_DEBIT_EXPIRY", "PIN", "BANK_ACCOUNT_NUMBER", "BANK_ROUTING",
    "SWIFT_CODE", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "PASSPORT_NUMBER", "DRIVER_ID",
    "IP_ADDRESS", "MAC_ADDRESS", "URL", "USERNAME", "PASSWORD", "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY", "LICENSE_PLATE", "VEHICLE_IDENTIFICATION_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER", "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER", "CA_HEALTH_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "IN_PERMANENT_ACCOUNT_NUMBER", "IN_AADHAAR",
    "IN_NREGA", "IN_VOTER_NUMBER",
]

LOCALES = ["en_US", "en_GB", "en_CA", "en_IN", "de_DE", "fr_FR", "es_ES"]
LOCALE_WEIGHTS = [50, 14, 10, 10, 6, 5, 5]

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
HEX = "0123456789abcdef"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# --- checksums -------------------------------------------------------------------------

def luhn_check_digit(payload):
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number):
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_VD = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
       [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
       [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
       [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
       [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_VP = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
       [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
       [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
       [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
_VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_check_digit(payload):
    c = 0
    for i, ch in enumerate(reversed(payload)):
        c = _VD[c][_VP[(i + 1) % 8][int(ch)]]
    return str(_VINV[c])


def verhoeff_valid(number):
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _VD[c][_VP[i % 8][int(ch)]]
    return c == 0


def iban_check_digits(country, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return f"{98 - n % 97:02d}"


def iban_valid(iban):
    s = iban.replace(" ", "")
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def aba_valid(number):
    d = [int(c) for c in number]
    return len(d) == 9 and (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


_VIN_VALUES = {**{str(i): i for i in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_check_char(vin17):
    r = sum(_VIN_VALUES[c] * w for c, w in zip(vin17, _VIN_WEIGHTS)) % 11
    return "X" if r == 10 else str(r)


def nhs_valid(number):
    d = [int(c) for c in number if c.isdigit()]
    if len(d) != 10:
        return False
    check = 11 - sum(x * w for x, w in zip(d[:9], range(10, 1, -1))) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == d[9]


def utr_check_digit(nine):
    return "21987654321"[sum(int(c) * w for c, w in zip(nine, (6, 7, 8, 9, 10, 5, 4, 3, 2))) % 11]


def utr_valid(number):
    d = number.replace(" ", "")
    return len(d) == 10 and d.isdigit() and utr_check_digit(d[1:]) == d[0]


ITIN_GROUPS = [g for g in range(50, 100) if not (66 <= g <= 69 or g == 89 or g == 93)]
NINO_BAD_FIRST = set("DFIQUV")
NINO_BAD_SECOND = set("DFIOQUV")
NINO_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def ssn_valid(s):
    d = re.sub(r"\D", "", s)
    area, group, serial = d[:3], d[3:5], d[5:]
    return (len(d) == 9 and area not in ("000", "666") and area[0] != "9" and group != "00"
            and serial != "0000")


def itin_valid(s):
    d = re.sub(r"\D", "", s)
    return len(d) == 9 and d[0] == "9" and int(d[3:5]) in ITIN_GROUPS


def nino_valid(s):
    d = s.replace(" ", "")
    return (re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", d) is not None and d[0] not in NINO_BAD_FIRST
            and d[1] not in NINO_BAD_SECOND and d[:2] not in NINO_BAD_PREFIX)


def card_valid(s):
    d = re.sub(r"[ -]", "", s)
    if not d.isdigit() or not luhn_valid(d):
        return False
    if d[0] == "4":
        return len(d) == 16
    if d[:2] in ("34", "37"):
        return len(d) == 15
    if 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720:
        return len(d) == 16
    return d.startswith(("6011", "65")) and len(d) == 16


VALIDATORS = {
    "CREDIT_DEBIT_NUMBER": card_valid,
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": iban_valid,
    "BANK_ROUTING": aba_valid,
    "VEHICLE_IDENTIFICATION_NUMBER": lambda v: len(v) == 17 and vin_check_char(v) == v[8],
    "IN_AADHAAR": lambda v: (lambda d: len(d) == 12 and d[0] not in "01" and verhoeff_valid(d))(re.sub(r"\D", "", v)),
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER": nhs_valid,
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER": utr_valid,
    "SSN": ssn_valid,
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": itin_valid,
    "UK_NATIONAL_INSURANCE_NUMBER": nino_valid,
    "CA_SOCIAL_INSURANCE_NUMBER": lambda v: (lambda d: len(d) == 9 and d[0] not in "08" and luhn_valid(d))(re.sub(r"\D", "", v)),
    "CA_HEALTH_NUMBER": lambda v: (lambda d: len(d) == 10 and luhn_valid(d))(re.sub(r"\D", "", v)),
    "IN_PERMANENT_ACCOUNT_NUMBER": lambda v: re.fullmatch(r"[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]", v) is not None,
    "IN_VOTER_NUMBER": lambda v: re.fullmatch(r"[A-Z]{3}\d{7}", v) is not None,
    "AWS_ACCESS_KEY": lambda v: re.fullmatch(r"(AKIA|ASIA)[A-Z2-7]{16}", v) is not None,
    "AWS_SECRET_KEY": lambda v: re.fullmatch(r"[A-Za-z0-9/+]{40}", v) is not None,
    "SWIFT_CODE": lambda v: re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", v) is not None,
    "EMAIL": lambda v: re.fullmatch(r"[^@\s]+@[A-Za-z0-9.-]+\.[a-z]{2,}", v) is not None,
}


# --- small helpers ---------------------------------------------------------------------

def ascii_fold(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def clean(s):
    return re.sub(r"\s+", " ", s.replace("\n", ", ")).strip(" ,")


def pattern(rng, pat):
    """D digit, L upper letter, A upper alphanumeric, H lower hex; anything else as is."""
    out = []
    for ch in pat:
        if ch == "D":
            out.append(rng.choice(DIGITS))
        elif ch == "L":
            out.append(rng.choice(UPPER))
        elif ch == "A":
            out.append(rng.choice(UPPER + DIGITS))
        elif ch == "H":
            out.append(rng.choice(HEX))
        else:
            out.append(ch)
    return "".join(out)


def digits(rng, n, first_nonzero=False):
    s = "".join(rng.choice(DIGITS) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = str(rng.randint(1, 9)) + s[1:]
    return s


def group(s, sizes, sep):
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    return sep.join(out)


# --- the record context: random source, fakers, people --------------------------------

class Persona:
    def __init__(self, fake, rng, locale):
        self.locale = locale
        self.fake = fake
        self.first = fake.first_name()
        self.last = fake.last_name()
        self.middle = rng.choice(UPPER) if rng.random() < 0.12 else None
        self.female = rng.random() < 0.5


class Ctx:
    def __init__(self, rng, fakers, locale):
        self.rng = rng
        self.fakers = fakers
        self.locale = locale
        self.people = {}

    def person(self, idx):
        if idx not in self.people:
            loc = self.locale if idx in (0, 1) or self.rng.random() < 0.7 else self.rng.choices(LOCALES, LOCALE_WEIGHTS)[0]
            self.people[idx] = Persona(self.fakers[loc], self.rng, loc)
        return self.people[idx]

    @property
    def fake(self):
        return self.fakers[self.locale]


# --- generators: one function per field, ctx and the field's index --------------------

def g_name(c, i):
    p = c.person(i)
    if p.middle and c.rng.random() < 0.8:
        return f"{p.first} {p.middle}. {p.last}"
    return f"{p.first} {p.last}"


def g_first(c, i):
    return c.person(i).first


def g_last(c, i):
    return c.person(i).last


def _local_part(c, p):
    f, l = ascii_fold(p.first).lower().replace(" ", ""), ascii_fold(p.last).lower().replace(" ", "").replace("'", "")
    if not f or not l:
        return c.fake.user_name()
    r = c.rng
    return r.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}{r.randint(1, 99)}", f"{l}.{f[0]}", f"{f}{r.randint(70, 99)}",
                     f"{f}.{l}{r.randint(1, 9)}", c.fake.user_name()])


def g_email(c, i):
    p = c.person(i)
    r = c.rng
    domain = r.choice(["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me",
                       "aol.com", "gmx.de", "yahoo.co.uk", "rediffmail.com",
                       p.fake.domain_name(), p.fake.domain_name(), p.fake.domain_name()])
    return f"{_local_part(c, p)}@{domain}"


def g_username(c, i):
    p = c.person(i)
    r = c.rng
    f, l = ascii_fold(p.first).lower().replace(" ", ""), ascii_fold(p.last).lower().replace(" ", "").replace("'", "")
    if not f or not l:
        return c.fake.user_name()
    return r.choice([f"{f[0]}{l}", f"{f}.{l}", f"{f}_{l[0]}{r.randint(1, 99)}", f"{l}{f[0]}{r.randint(1, 99)}",
                     f"{f}{r.randint(1980, 2009)}", p.fake.user_name(), f"{f}-{l}", f"{f[:3]}{l[:3]}{r.randint(1, 9)}"])


US_AREA = ["201", "202", "206", "212", "213", "214", "216", "267", "301", "303", "305", "310", "312", "313",
           "323", "347", "404", "408", "412", "415", "425", "469", "503", "512", "516", "602", "612", "615",
           "617", "646", "650", "702", "704", "713", "718", "720", "773", "786", "813", "818", "832", "847",
           "858", "904", "916", "917", "919", "949", "952", "971"]
CA_AREA = ["416", "647", "437", "604", "778", "403", "587", "514", "438", "613", "905", "780", "204", "902"]


def g_phone(c, i):
    r = c.rng
    loc = c.person(i).locale
    if loc in ("en_US", "en_CA"):
        a = r.choice(US_AREA if loc == "en_US" else CA_AREA)
        e = str(r.randint(2, 9)) + digits(r, 2)
        while e[1:] == "11":
            e = str(r.randint(2, 9)) + digits(r, 2)
        n = digits(r, 4)
        return r.choice([f"({a}) {e}-{n}", f"{a}-{e}-{n}", f"{a}.{e}.{n}", f"+1 {a} {e} {n}", f"+1-{a}-{e}-{n}",
                         f"1 ({a}) {e}-{n}", f"{a}{e}{n}", f"+1 ({a}) {e}-{n}"])
    if loc == "en_GB":
        if r.random() < 0.5:
            m = "7" + r.choice("1234579") + digits(r, 8)
            return r.choice([f"0{m[:4]} {m[4:]}", f"+44 {m[:4]} {m[4:]}", f"+44 {m[:4]} {m[4:7]} {m[7:]}", f"0{m}"])
        city = r.choice(["20", "161", "121", "131", "141", "113", "117"])
        rest = digits(r, 10 - len(city), first_nonzero=True)
        if city == "20":
            rest = r.choice("378") + rest[1:]
            return r.choice([f"020 {rest[:4]} {rest[4:]}", f"+44 20 {rest[:4]} {rest[4:]}"])
        return r.choice([f"0{city} {rest[:3]} {rest[3:]}", f"+44 {city} {rest[:3]} {rest[3:]}"])
    if loc == "en_IN":
        m = r.choice("6789") + digits(r, 9)
        return r.choice([f"+91 {m[:5]} {m[5:]}", f"+91-{m}", f"{m}", f"0{m[:5]} {m[5:]}", f"+91 {m}"])
    if loc == "de_DE":
        return r.choice([f"+49 30 {digits(r, 8, True)}", f"+49 151 {digits(r, 8, True)}", f"030 {digits(r, 7, True)}",
                         f"+49 89 {digits(r, 7, True)}"])
    if loc == "fr_FR":
        d = r.choice("167") + digits(r, 8)
        return r.choice([f"+33 {d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}", f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}"])
    d = r.choice("69") + digits(r, 8)
    return r.choice([f"+34 {d[:3]} {d[3:6]} {d[6:]}", f"{d[:3]} {d[3:5]} {d[5:7]} {d[7:]}"])


def g_address(c, i):
    p = c.person(i)
    f = p.fake
    loc = p.locale
    if loc == "en_US":
        return clean(f"{f.street_address()}, {f.city()}, "
                     f"{f.state_abbr(include_territories=False, include_freely_associated_states=False)} {f.zipcode()}")
    if loc == "en_GB":
        flat = f"Flat {c.rng.randint(1, 40)}, " if c.rng.random() < 0.2 else ""
        return clean(f"{flat}{f.building_number()} {f.street_name()}, {f.city()} {f.postcode()}")
    if loc == "en_CA":
        pc = f.postalcode()
        return clean(f"{f.street_address()}, {f.city()}, {f.province_abbr()} {pc[:3]} {pc[3:]}")
    if loc == "en_IN":
        return clean(f"{f.street_address()}, {f.city()}, {f.state()} {f.postcode()}")
    if loc == "de_DE":
        return clean(f"{f.street_address()}, {f.postcode()} {f.city()}")
    if loc == "fr_FR":
        return clean(f"{f.street_address()}, {f.postcode()} {f.city()}")
    return clean(f"{f.street_address()}, {f.postcode()} {f.city()}")


def g_street(c, i):
    return clean(c.person(i).fake.street_address())


def _rand_date(r, lo=(2018, 1, 1), hi=(2026, 12, 31)):
    a, b = datetime.date(*lo).toordinal(), datetime.date(*hi).toordinal()
    return datetime.date.fromordinal(r.randint(a, b))


def _ordinal(n):
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def fmt_date(c, d):
    r = c.rng
    dmy = c.locale in ("en_GB", "en_IN", "de_DE", "fr_FR", "es_ES")
    m, day, y = d.month, d.day, d.year
    common = [f"{MONTHS[m - 1]} {day}, {y}", f"{MONTHS[m - 1][:3]} {day}, {y}", f"{y}-{m:02d}-{day:02d}",
              f"{MONTHS[m - 1]} {_ordinal(day)}, {y}", f"{WEEKDAYS[d.weekday()]}, {MONTHS[m - 1]} {day}"]
    if dmy:
        local = [f"{day} {MONTHS[m - 1]} {y}", f"{day:02d}/{m:02d}/{y}", f"{day} {MONTHS[m - 1][:3]} {y}",
                 f"{day:02d}.{m:02d}.{y}" if c.locale == "de_DE" else f"{day:02d}-{m:02d}-{y}"]
    else:
        local = [f"{m:02d}/{day:02d}/{y}", f"{m}/{day}/{y}", f"{m}/{day}/{y % 100:02d}"]
    return r.choice(common + local + local)


def g_date(c, i):
    return fmt_date(c, _rand_date(c.rng))


def g_dob(c, i):
    return fmt_date(c, _rand_date(c.rng, (1938, 1, 1), (2006, 12, 31)))


def g_time(c, i):
    r = c.rng
    h, mi = r.randint(0, 23), r.choice([0, 0, 15, 30, 45, r.randint(0, 59)])
    h12 = (h % 12) or 12
    ampm = "AM" if h < 12 else "PM"
    return r.choice([f"{h12}:{mi:02d} {ampm}", f"{h:02d}:{mi:02d}", f"{h12}{ampm.lower()}",
                     f"{h12}:{mi:02d} {ampm.lower()[0]}.m.", f"{h12}:{mi:02d}{ampm.lower()}"])


def g_datetime(c, i):
    r = c.rng
    d = _rand_date(r)
    h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    choice = r.randrange(4)
    if choice == 0:
        return f"{fmt_date(c, d)} at {g_time(c, i)}"
    if choice == 1:
        return f"{d.isoformat()}T{h:02d}:{mi:02d}:{s:02d}Z"
    if choice == 2:
        return f"{d.isoformat()} {h:02d}:{mi:02d}"
    return f"{fmt_date(c, d)}, {g_time(c, i)}"


def g_log_ts(c, i):
    r = c.rng
    d = _rand_date(r, (2023, 1, 1), (2025, 12, 31))
    h, mi, s, ms = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999)
    return r.choice([f"{d.isoformat()}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}Z", f"{d.isoformat()} {h:02d}:{mi:02d}:{s:02d},{ms:03d}",
                     f"{d.year}/{d.month:02d}/{d.day:02d} {h:02d}:{mi:02d}:{s:02d}",
                     f"{MONTHS[d.month - 1][:3]} {d.day:2d} {h:02d}:{mi:02d}:{s:02d}"])


def g_clf_ts(c, i):
    r = c.rng
    d = _rand_date(r, (2023, 1, 1), (2025, 12, 31))
    return f"{d.day:02d}/{MONTHS[d.month - 1][:3]}/{d.year}:{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} +0000"


def g_age(c, i):
    return str(c.rng.randint(18, 92))


def g_age_years(c, i):
    return f"{c.rng.randint(2, 92)} years"


def g_age_yo(c, i):
    return f"{c.rng.randint(18, 92)}-year-old"


def g_age_short(c, i):
    return c.rng.choice([f"{c.rng.randint(18, 92)} y/o", f"{c.rng.randint(18, 92)}yo", f"{c.rng.randint(18, 92)} yrs"])


def _card_digits(r):
    brand = r.choices(["visa", "mc5", "mc2", "amex", "disc"], [35, 20, 15, 15, 15])[0]
    if brand == "visa":
        p = "4" + digits(r, 14)
    elif brand == "mc5":
        p = "5" + str(r.randint(1, 5)) + digits(r, 13)
    elif brand == "mc2":
        p = str(r.randint(2221, 2720)) + digits(r, 11)
    elif brand == "amex":
        p = "3" + r.choice("47") + digits(r, 12)
    else:
        p = r.choice(["6011" + digits(r, 11), "65" + digits(r, 13)])
    return p + luhn_check_digit(p)


def _fmt_card(r, d):
    if len(d) == 15:
        return r.choice([group(d, [4, 6, 5], " "), group(d, [4, 6, 5], "-"), d])
    return r.choice([group(d, [4, 4, 4, 4], " "), group(d, [4, 4, 4, 4], "-"), d, group(d, [4, 4, 4, 4], " ")])


def g_card(c, i):
    return _fmt_card(c.rng, _card_digits(c.rng))


def g_cvv(c, i):
    return digits(c.rng, c.rng.choice([3, 3, 3, 4]))


def g_expiry(c, i):
    r = c.rng
    m, y = r.randint(1, 12), r.randint(2024, 2032)
    return r.choice([f"{m:02d}/{y % 100:02d}", f"{m:02d}/{y % 100:02d}", f"{m:02d}/{y}", f"{m}/{y % 100:02d}", f"{m:02d}-{y % 100:02d}"])


def g_pin(c, i):
    return digits(c.rng, c.rng.choice([4, 4, 4, 6]))


def g_bank_account(c, i):
    r = c.rng
    loc = c.person(0).locale
    if loc == "en_GB":
        return digits(r, 8, True)
    if loc == "en_IN":
        return digits(r, r.randint(11, 16), True)
    return digits(r, r.randint(8, 12), True)


ABA_PREFIXES = [f"{n:02d}" for n in list(range(1, 13)) + list(range(21, 33)) + list(range(61, 73))]


def _aba_digits(r):
    while True:
        p = r.choice(ABA_PREFIXES) + digits(r, 6)
        for chk in DIGITS:
            if aba_valid(p + chk):
                return p + chk


def g_routing(c, i):
    return _aba_digits(c.rng)


SWIFT_BANKS = [("DEUT", "DE", ["FF", "BB", "MM", "HH"]), ("COBA", "DE", ["FF", "HH"]), ("CHAS", "US", ["33", "UM"]),
               ("BOFA", "US", ["3N", "S3"]), ("CITI", "US", ["33"]), ("WFBI", "US", ["S6"]), ("HSBC", "GB", ["2L"]),
               ("BARC", "GB", ["22"]), ("NWBK", "GB", ["2L"]), ("LOYD", "GB", ["2L"]), ("SBIN", "IN", ["BB"]),
               ("HDFC", "IN", ["BB"]), ("ICIC", "IN", ["BB"]), ("ROYC", "CA", ["T2"]), ("TDOM", "CA", ["TT"]),
               ("BNPA", "FR", ["PP"]), ("SOGE", "FR", ["PP"]), ("BSCH", "ES", ["MM"]), ("CAIX", "ES", ["BB"]),
               ("UBSW", "CH", ["ZH"]), ("INGB", "NL", ["2A"]), ("ABNA", "NL", ["2A"])]


def g_swift(c, i):
    r = c.rng
    bank, cc, locs = r.choice(SWIFT_BANKS)
    base = bank + cc + r.choice(locs)
    return r.choice([base, base, base + "XXX", base + pattern(r, "AAA")])


IBAN_FORMATS = {"DE": "DDDDDDDDDDDDDDDDDD", "GB": "LLLLDDDDDDDDDDDDDD", "FR": "DDDDDDDDDDAAAAAAAAAAADD",
                "ES": "DDDDDDDDDDDDDDDDDDDD", "NL": "LLLLDDDDDDDDDD", "IT": "LDDDDDDDDDDAAAAAAAAAAAA",
                "CH": "DDDDDAAAAAAAAAAAA", "IE": "LLLLDDDDDDDDDDDDDD", "BE": "DDDDDDDDDDDD", "AT": "DDDDDDDDDDDDDDDD"}


def _es_ccc_digit(ds):
    v = 11 - sum(int(d) * w for d, w in zip(ds, (1, 2, 4, 8, 5, 10, 9, 7, 3, 6))) % 11
    return str({11: 0, 10: 1}.get(v, v))


def _iban(r):
    cc = r.choice(list(IBAN_FORMATS))
    bban = pattern(r, IBAN_FORMATS[cc])
    if cc == "BE":    # national check: first ten digits mod 97 (0 -> 97)
        bban = bban[:10] + f"{int(bban[:10]) % 97 or 97:02d}"
    elif cc == "ES":  # national check digits of the CCC
        bban = bban[:8] + _es_ccc_digit("00" + bban[:8]) + _es_ccc_digit(bban[10:]) + bban[10:]
    return cc + iban_check_digits(cc, bban) + bban


def g_iban(c, i):
    s = _iban(c.rng)
    return c.rng.choice([s, " ".join(s[j:j + 4] for j in range(0, len(s), 4))])


def g_passport(c, i):
    r = c.rng
    loc = c.person(0).locale
    pat = {"en_US": r.choice(["DDDDDDDDD", "LDDDDDDDD"]), "en_GB": "DDDDDDDDD", "en_IN": "LDDDDDDD",
           "en_CA": "LLDDDDDD", "fr_FR": "DDLLDDDDD", "es_ES": "LLLDDDDDD"}.get(loc)
    if pat:
        s = pattern(r, pat)
        return s if s[0] != "0" else "5" + s[1:]
    return "C" + "".join(r.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(8))


def _uk_licence(c):
    p = c.person(0)
    r = c.rng
    sur = re.sub(r"[^A-Z]", "", ascii_fold(p.last).upper())[:5].ljust(5, "9")
    dob = _rand_date(r, (1945, 1, 1), (2005, 12, 31))
    month = dob.month + (50 if p.female else 0)
    first = re.sub(r"[^A-Z]", "", ascii_fold(p.first).upper())[:1] or "X"
    mid = p.middle or "9"
    return f"{sur}{str(dob.year)[2]}{month:02d}{dob.day:02d}{str(dob.year)[3]}{first}{mid}9{pattern(r, 'AA')}"


US_DL = ["LDDDDDDD", "DDD DDD DDD", "LDDD-DDD-DD-DDD-D", "LDDD-DDDD-DDDD", "DDDDDDDD", "DD DDD DDD",
         "L DDD DDD DDD DDD", "LDDDDDDDDDDD", "DDDDDDDDD", "LDD-DD-DDDD"]
IN_STATES = ["MH", "KA", "DL", "TN", "UP", "GJ", "RJ", "WB", "KL", "AP", "TS", "MP", "PB", "HR", "BR", "OR"]


def g_driver_id(c, i):
    r = c.rng
    loc = c.person(0).locale
    if loc == "en_GB":
        return _uk_licence(c)
    if loc == "en_IN":
        st = r.choice(IN_STATES)
        body = f"{r.randint(1, 50):02d}{r.randint(1995, 2023)}{digits(r, 7)}"
        return r.choice([f"{st}{body[:2]} {body[2:]}", f"{st}-{body}", f"{st}{body}"])
    if loc == "en_CA":
        first = re.sub(r"[^A-Z]", "", ascii_fold(c.person(0).last).upper())[:1] or "A"
        return first + pattern(r, "DDDD-DDDDD-DDDDD")
    if loc == "es_ES":
        n = r.randint(10000000, 99999999)
        return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"
    if loc in ("de_DE", "fr_FR"):
        return pattern(r, "ADDDAAADDAD" if loc == "de_DE" else "DDDDDDDDDDDD")
    return pattern(r, r.choice(US_DL))


def g_ipv4(c, i):
    r = c.rng
    kind = r.random()
    if kind < 0.25:
        return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    if kind < 0.45:
        return f"192.168.{r.randint(0, 255)}.{r.randint(1, 254)}"
    if kind < 0.55:
        return f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    first = r.choice([n for n in range(11, 224) if n not in (127, 172, 192)])
    return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def g_ipv6(c, i):
    r = c.rng
    groups = [r.randint(0, 0xffff) for _ in range(8)]
    groups[0] = r.choice([0x2001, 0x2a02, 0x2600, 0x2406, 0xfe80, 0x2a00])
    if r.random() < 0.6:
        k = r.randint(2, 5)
        for j in range(k, k + r.randint(1, 3)):
            groups[j] = 0
    addr = ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups))
    return addr.compressed if r.random() < 0.8 else addr.exploded


def g_ip(c, i):
    return g_ipv6(c, i) if c.rng.random() < 0.25 else g_ipv4(c, i)


def g_mac(c, i):
    r = c.rng
    b = [r.randint(0, 255) for _ in range(6)]
    b[0] &= 0xfe
    h = "".join(f"{x:02x}" for x in b)
    k = r.randrange(5)
    if k == 0:
        return ":".join(h[j:j + 2] for j in range(0, 12, 2))
    if k == 1:
        return ":".join(h[j:j + 2] for j in range(0, 12, 2)).upper()
    if k == 2:
        return "-".join(h[j:j + 2] for j in range(0, 12, 2)).upper()
    if k == 3:
        return ".".join(h[j:j + 4] for j in range(0, 12, 4))
    return ":".join(h[j:j + 2] for j in range(0, 12, 2))


def g_url(c, i):
    r = c.rng
    f = c.fake
    user = g_username(c, i)
    return r.choice([
        f"https://www.{f.domain_name()}/", f.uri(), f.uri(), f"https://{f.domain_name()}/{f.uri_path()}",
        f"https://www.linkedin.com/in/{user}", f"https://github.com/{user}", f"http://{f.domain_name()}/profile?id={r.randint(1000, 99999)}",
        f"www.{f.domain_name()}", f"https://{user}.{r.choice(['blog', 'photos', 'me'])}.{r.choice(['net', 'io', 'com'])}",
        f"https://www.facebook.com/{user}",
    ])


WORDS = ["sunny", "table", "river", "maple", "falcon", "copper", "velvet", "orbit", "pepper", "harbor", "tiger",
         "meadow", "cobalt", "ember", "lantern", "quartz", "willow", "nimbus", "saffron", "glacier"]


def g_password(c, i):
    r = c.rng
    k = r.randrange(4)
    if k == 0:
        return "".join(r.choice(string.ascii_letters + DIGITS + "!@#$%^&*-_") for _ in range(r.randint(10, 18)))
    if k == 1:
        return f"{r.choice(WORDS).title()}{r.choice(WORDS).title()}{r.randint(10, 99)}{r.choice('!@#$%&*')}"
    if k == 2:
        return c.fake.password(length=r.randint(10, 16))
    return f"{r.choice(WORDS)}-{r.choice(WORDS)}-{r.choice(WORDS)}-{r.randint(1, 9)}"


def g_aws_akid(c, i):
    r = c.rng
    return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + "".join(r.choice(UPPER + "234567") for _ in range(16))


def g_aws_secret(c, i):
    r = c.rng
    return "".join(r.choice(string.ascii_letters + DIGITS + "/+") for _ in range(40))


def g_plate(c, i):
    r = c.rng
    loc = c.person(0).locale
    if loc == "en_GB":
        return pattern(r, r.choice(["LLDD LLL", "LLDDLLL"]))
    if loc == "en_IN":
        st = r.choice(IN_STATES)
        return r.choice([f"{st} {r.randint(1, 50):02d} {pattern(r, 'LL')} {digits(r, 4)}",
                         f"{st}{r.randint(1, 50):02d}{pattern(r, 'LL')}{digits(r, 4)}",
                         f"{st}-{r.randint(1, 50):02d}-{pattern(r, 'L')}-{digits(r, 4)}"])
    if loc == "en_CA":
        return pattern(r, r.choice(["LLLL DDD", "LLL DDD", "LLLL-DDD"]))
    if loc == "de_DE":
        return pattern(r, r.choice(["L LL DDDD", "LL LL DDD", "LLL L DDD"]))
    if loc == "fr_FR":
        return pattern(r, "LL-DDD-LL")
    if loc == "es_ES":
        return digits(r, 4) + " " + "".join(r.choice("BCDFGHJKLMNPRSTVWXYZ") for _ in range(3))
    return pattern(r, r.choice(["DLLLDDD", "LLL-DDDD", "LLL DDDD", "LLLDDDD", "DLLL DDD", "LLL-DDD", "DDD-LLL"]))


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_YEAR = "ABCDEFGHJKLMNPRSTVWXY123456789"
WMIS = ["1HG", "JHM", "WBA", "1FT", "5YJ", "3VW", "KMH", "SAJ", "1G1", "2T1", "JN1", "WDD", "YV1", "WAU", "1C4"]


def g_vin(c, i):
    r = c.rng
    body = r.choice(WMIS) + "".join(r.choice(VIN_CHARS) for _ in range(5)) + "0" + r.choice(VIN_YEAR) + r.choice(VIN_CHARS) + digits(r, 6)
    return body[:8] + vin_check_char(body) + body[9:]


def g_nino(c, i):
    r = c.rng
    while True:
        a, b = r.choice(UPPER), r.choice(UPPER)
        if a not in NINO_BAD_FIRST and b not in NINO_BAD_SECOND and a + b not in NINO_BAD_PREFIX:
            break
    d = digits(r, 6)
    s = r.choice("ABCD")
    return r.choice([f"{a}{b}{d}{s}", f"{a}{b} {d[:2]} {d[2:4]} {d[4:]} {s}", f"{a}{b}{d}{s}"])


def g_utr(c, i):
    r = c.rng
    nine = digits(r, 9)
    u = utr_check_digit(nine) + nine
    return r.choice([u, u, f"{u[:5]} {u[5:]}"])


def g_nhs(c, i):
    r = c.rng
    while True:
        nine = str(r.randint(4, 7)) + digits(r, 8)
        chk = 11 - sum(int(x) * w for x, w in zip(nine, range(10, 1, -1))) % 11
        chk = 0 if chk == 11 else chk
        if chk != 10:
            n = nine + str(chk)
            return r.choice([f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]} {n[3:6]} {n[6:]}", n, f"{n[:3]}-{n[3:6]}-{n[6:]}"])


def g_sin(c, i):
    r = c.rng
    p = r.choice("12345679") + digits(r, 7)
    n = p + luhn_check_digit(p)
    return r.choice([f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}", n])


def g_ca_health(c, i):
    r = c.rng
    p = str(r.randint(1, 9)) + digits(r, 8)
    n = p + luhn_check_digit(p)
    return r.choice([f"{n[:4]}-{n[4:7]}-{n[7:]}", f"{n[:4]} {n[4:7]} {n[7:]}", n])


def g_ssn(c, i):
    r = c.rng
    area = r.randint(1, 899)
    while area == 666:
        area = r.randint(1, 899)
    n = f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"
    return r.choices([f"{n[:3]}-{n[3:5]}-{n[5:]}", f"{n[:3]} {n[3:5]} {n[5:]}", n], [70, 15, 15])[0]


def g_itin(c, i):
    r = c.rng
    n = f"9{digits(r, 2)}{r.choice(ITIN_GROUPS)}{r.randint(0, 9999):04d}"
    return r.choices([f"{n[:3]}-{n[3:5]}-{n[5:]}", f"{n[:3]} {n[3:5]} {n[5:]}", n], [75, 10, 15])[0]


def g_pan(c, i):
    r = c.rng
    initial = re.sub(r"[^A-Z]", "", ascii_fold(c.person(0).last).upper())[:1] or r.choice(UPPER)
    return pattern(r, "LLL") + r.choice("PPPPPPCHFATBLJG") + initial + digits(r, 4) + r.choice(UPPER)


def g_aadhaar(c, i):
    r = c.rng
    p = str(r.randint(2, 9)) + digits(r, 10)
    n = p + verhoeff_check_digit(p)
    return r.choice([f"{n[:4]} {n[4:8]} {n[8:]}", f"{n[:4]} {n[4:8]} {n[8:]}", f"{n[:4]}-{n[4:8]}-{n[8:]}", n])


def g_nrega(c, i):
    r = c.rng
    st = r.choice(IN_STATES)
    house = digits(r, r.choice([3, 3, 6]))
    return f"{st}-{digits(r, 2)}-{digits(r, 3)}-{digits(r, 3)}-{house}/{r.randint(1, 99)}"


def g_voter(c, i):
    return pattern(c.rng, "LLLDDDDDDD")


# --- negative (never PII) fields --------------------------------------------------------

PRODUCTS = ["Nimbus Router X2", "Quartz Analytics", "the Helios dashboard", "Orca CLI", "Pylon Gateway",
            "Atlas Sync", "the Borealis SDK", "Vertex Queue", "Lumen Edge", "the Kestrel agent"]
TOOLS = ["Jenkins", "Kubernetes", "Terraform", "Ansible", "Django", "Flask", "Grafana", "Jupyter", "Redis",
         "Kafka", "Cassandra", "Celery", "Sidekiq", "Hadoop", "Maven", "Gradle", "Sentry", "Hudson", "Jasper",
         "Hugo"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "ap-northeast-1", "ca-central-1"]
FUNCS = ["handle_request", "parse_header", "load_config", "render_invoice", "apply_discount", "flush_buffer",
         "resolve_alias", "compute_tax"]
PATHS = ["src/billing/invoice.py", "app/models/order.rb", "lib/parser.js", "cmd/server/main.go",
         "services/auth/handler.py", "core/src/cache.rs", "web/views/checkout.tsx"]
KEYS = ["customer_id", "sku", "warehouse", "currency", "region", "plan_tier", "locale"]
ENVS = ["staging", "prod", "qa", "dev", "canary"]
JOBS = ["nightly-etl", "build-frontend", "deploy-api", "integration-tests", "reindex-search", "backup-db"]
ROLES = ["ci-deployer", "lambda-exec", "readonly-audit", "data-pipeline", "ecs-task"]


def n_order_id(c, i):
    r = c.rng
    return r.choice([f"ORD-{digits(r, r.randint(6, 8))}", f"#{digits(r, 7, True)}", pattern(r, "LL-DDDDD"),
                     f"PO-{digits(r, 10, True)}", pattern(r, "AAAA-AAAA").upper()])


def n_ticket(c, i):
    r = c.rng
    return r.choice([f"JIRA-{r.randint(100, 9999)}", f"SUP-{r.randint(10000, 99999)}", f"INC{digits(r, 7)}",
                     f"OPS-{r.randint(10, 999)}", f"CS-{r.randint(1000, 99999)}"])


def n_invoice(c, i):
    return c.rng.choice([f"INV-{digits(c.rng, 7)}", f"INV{digits(c.rng, 5)}", f"2-{digits(c.rng, 6)}"])


def n_git_sha(c, i):
    return "".join(c.rng.choice(HEX) for _ in range(40))


def n_git_short(c, i):
    return "".join(c.rng.choice(HEX) for _ in range(c.rng.choice([7, 8, 10])))


def n_sha256(c, i):
    return "".join(c.rng.choice(HEX) for _ in range(64))


def n_uuid(c, i):
    r = c.rng
    h = "".join(r.choice(HEX) for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"


def n_account12(c, i):
    return digits(c.rng, 12, True)


def n_arn(c, i):
    r = c.rng
    acct = n_account12(c, i)
    region = r.choice(REGIONS)
    return r.choice([f"arn:aws:iam::{acct}:role/{r.choice(ROLES)}", f"arn:aws:kms:{region}:{acct}:key/{n_uuid(c, i)}",
                     f"arn:aws:s3:::{r.choice(JOBS)}-artifacts", f"arn:aws:lambda:{region}:{acct}:function:{r.choice(FUNCS)}",
                     f"arn:aws:sns:{region}:{acct}:{r.choice(JOBS)}-alerts"])


def n_version(c, i):
    r = c.rng
    return r.choice([f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}", f"v{r.randint(1, 5)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
                     f"{r.randint(1, 4)}.{r.randint(0, 12)}.{r.randint(0, 9)}-rc.{r.randint(1, 5)}"])


def n_version4(c, i):
    """A version or section number that is also a syntactically valid IPv4 address."""
    r = c.rng
    return f"{r.randint(1, 12)}.{r.randint(0, 20)}.{r.randint(0, 40)}.{r.randint(0, 250)}"


def n_sku(c, i):
    return c.rng.choice([pattern(c.rng, "LL-DDDDLL-LLL"), pattern(c.rng, "LLL-DDDDD"), pattern(c.rng, "DDDD-LL-DD")])


def n_tracking(c, i):
    r = c.rng
    k = r.randrange(3)
    if k == 0:
        return "1Z" + pattern(r, "AAAAAA") + digits(r, 10)
    if k == 1:
        return group("94" + digits(r, 20), [4, 4, 4, 4, 4, 2], " ")
    return digits(r, 12, True)


def n_price(c, i):
    r = c.rng
    v = r.randint(1, 250000) / 100
    return r.choice([f"${v:,.2f}", f"€{v:.2f}", f"USD {v:.2f}", f"£{v:,.2f}", f"{v:.2f} EUR"])


def n_int(c, i):
    return str(c.rng.randint(2, 950))


def n_line(c, i):
    return str(c.rng.randint(1, 4800))


def n_port(c, i):
    return str(c.rng.choice([8080, 8443, 5432, 6379, 9092, 3306, 27017, c.rng.randint(1024, 65535)]))


def n_bad_card(c, i):
    r = c.rng
    d = _card_digits(r)
    d = d[:-1] + str((int(d[-1]) + r.randint(1, 9)) % 10)
    assert not luhn_valid(d)
    return _fmt_card(r, d)


def n_bad_aba(c, i):
    r = c.rng
    while True:
        d = digits(r, 9, True)
        if not aba_valid(d):
            return d


def n_bad_ssn(c, i):
    r = c.rng
    area = r.choice(["000", "666", f"9{digits(r, 2)}"])
    return f"{area}-{digits(r, 2)}-{digits(r, 4)}"


def n_bad_iban(c, i):
    r = c.rng
    s = _iban(r)
    s = s[:2] + f"{(int(s[2:4]) + r.randint(1, 50)) % 97 + 2:02d}" + s[4:]
    if iban_valid(s):
        s = s[:2] + ("03" if s[2:4] != "03" else "04") + s[4:]
    assert not iban_valid(s)
    return s


def n_bad_vin(c, i):
    r = c.rng
    v = g_vin(c, i)
    wrong = r.choice([ch for ch in "0123456789X" if ch != v[8]])
    return v[:8] + wrong + v[9:]


def n_bad_aadhaar(c, i):
    r = c.rng
    while True:
        d = str(r.randint(2, 9)) + digits(r, 11)
        if not verhoeff_valid(d):
            return f"{d[:4]} {d[4:8]} {d[8:]}"


def n_hex(c, i):
    return "#" + "".join(c.rng.choice("0123456789ABCDEF") for _ in range(6))


def n_pod(c, i):
    r = c.rng
    return f"{r.choice(JOBS)}-{''.join(r.choice(HEX) for _ in range(9))}-{''.join(r.choice(LOWER + DIGITS) for _ in range(5))}"


def n_error_code(c, i):
    r = c.rng
    return r.choice([f"0x{''.join(r.choice('0123456789ABCDEF') for _ in range(8))}", f"E{r.randint(1000, 9999)}",
                     f"ERR_{r.choice(['TIMEOUT', 'QUOTA', 'SCHEMA', 'CONFLICT'])}_{r.randint(10, 99)}"])


def n_isbn(c, i):
    r = c.rng
    body = "978" + digits(r, 9)
    chk = (10 - sum(int(d) * (1 if j % 2 == 0 else 3) for j, d in enumerate(body)) % 10) % 10
    s = body + str(chk)
    return f"{s[:3]}-{s[3]}-{s[4:7]}-{s[7:12]}-{s[12]}"


def n_pct(c, i):
    return f"{c.rng.randint(1, 999) / 10:.1f}%"


def n_float(c, i):
    return f"{c.rng.random():.4f}"


def n_ms(c, i):
    return str(c.rng.randint(3, 4000))


def n_size(c, i):
    return c.rng.choice([f"{c.rng.choice([128, 256, 512, 1024, 2048])} MiB", f"{c.rng.randint(1, 64)} GiB"])


def n_ref(c, i):
    return digits(c.rng, c.rng.randint(10, 12), True)


def n_serial(c, i):
    return "SN-" + pattern(c.rng, "AAAAAAAA")


def n_http(c, i):
    return c.rng.choice(["200", "201", "204", "301", "400", "403", "404", "409", "429", "500", "502", "503"])


def n_pick(options):
    return lambda c, i: c.rng.choice(options)


# field name -> (type or None, generator). In a template, <<name#2>> is field "name" with
# index 2: person fields (name, first, last, email, username, phone, address) take another
# person; for the others the index only tells two placeholders apart.
FIELDS = {
    "name": ("NAME", g_name), "first": ("NAME", g_first), "last": ("NAME", g_last),
    "email": ("EMAIL", g_email), "username": ("USERNAME", g_username), "phone": ("PHONE", g_phone),
    "address": ("ADDRESS", g_address), "street": ("ADDRESS", g_street),
    "date": ("DATE_TIME", g_date), "dob": ("DATE_TIME", g_dob), "time": ("DATE_TIME", g_time),
    "datetime": ("DATE_TIME", g_datetime), "log_ts": ("DATE_TIME", g_log_ts), "clf_ts": ("DATE_TIME", g_clf_ts),
    "age": ("AGE", g_age), "age_years": ("AGE", g_age_years), "age_yo": ("AGE", g_age_yo), "age_short": ("AGE", g_age_short),
    "card": ("CREDIT_DEBIT_NUMBER", g_card), "cvv": ("CREDIT_DEBIT_CVV", g_cvv),
    "expiry": ("CREDIT_DEBIT_EXPIRY", g_expiry), "pin": ("PIN", g_pin),
    "bank_account": ("BANK_ACCOUNT_NUMBER", g_bank_account), "routing": ("BANK_ROUTING", g_routing),
    "swift": ("SWIFT_CODE", g_swift), "iban": ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", g_iban),
    "passport": ("PASSPORT_NUMBER", g_passport), "driver_id": ("DRIVER_ID", g_driver_id),
    "ip": ("IP_ADDRESS", g_ip), "ipv4": ("IP_ADDRESS", g_ipv4), "ipv6": ("IP_ADDRESS", g_ipv6),
    "mac": ("MAC_ADDRESS", g_mac), "url": ("URL", g_url), "password": ("PASSWORD", g_password),
    "aws_akid": ("AWS_ACCESS_KEY", g_aws_akid), "aws_secret": ("AWS_SECRET_KEY", g_aws_secret),
    "plate": ("LICENSE_PLATE", g_plate), "vin": ("VEHICLE_IDENTIFICATION_NUMBER", g_vin),
    "nino": ("UK_NATIONAL_INSURANCE_NUMBER", g_nino), "utr": ("UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", g_utr),
    "nhs": ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", g_nhs), "sin": ("CA_SOCIAL_INSURANCE_NUMBER", g_sin),
    "ca_health": ("CA_HEALTH_NUMBER", g_ca_health), "ssn": ("SSN", g_ssn),
    "itin": ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", g_itin), "pan": ("IN_PERMANENT_ACCOUNT_NUMBER", g_pan),
    "aadhaar": ("IN_AADHAAR", g_aadhaar), "nrega": ("IN_NREGA", g_nrega), "voter": ("IN_VOTER_NUMBER", g_voter),
    # never PII
    "order_id": (None, n_order_id), "ticket": (None, n_ticket), "invoice": (None, n_invoice),
    "git_sha": (None, n_git_sha), "git_short": (None, n_git_short), "sha256": (None, n_sha256),
    "uuid": (None, n_uuid), "arn": (None, n_arn), "account12": (None, n_account12), "version": (None, n_version),
    "version4": (None, n_version4), "sku": (None, n_sku), "tracking": (None, n_tracking), "price": (None, n_price),
    "int": (None, n_int), "line": (None, n_line), "port": (None, n_port), "bad_card": (None, n_bad_card),
    "bad_aba": (None, n_bad_aba), "bad_ssn": (None, n_bad_ssn), "bad_iban": (None, n_bad_iban),
    "bad_vin": (None, n_bad_vin), "bad_aadhaar": (None, n_bad_aadhaar), "hex": (None, n_hex), "pod": (None, n_pod),
    "error_code": (None, n_error_code), "isbn": (None, n_isbn), "pct": (None, n_pct), "float": (None, n_float),
    "ms": (None, n_ms), "size": (None, n_size), "ref": (None, n_ref), "serial": (None, n_serial),
    "http": (None, n_http), "product": (None, n_pick(PRODUCTS)), "tool": (None, n_pick(TOOLS)),
    "region": (None, n_pick(REGIONS)), "func": (None, n_pick(FUNCS)), "path": (None, n_pick(PATHS)),
    "key": (None, n_pick(KEYS)), "env": (None, n_pick(ENVS)), "job": (None, n_pick(JOBS)), "role": (None, n_pick(ROLES)),
    "sex": (None, n_pick(["male", "female", "man", "woman"])),
    "emoji": (None, n_pick(["🙂", "👍", "🙏", "😅", "👋", "🚀", "✅", "😬"])),
}

# --- templates --------------------------------------------------------------------------
# (id, text). <<field>> is a placeholder, <<field#2>> a second person or value. The fixed
# text holds no PII, no dates, no URLs.

POSITIVE = [
    # support tickets
    ("sup-01", "Ticket <<ticket>>: <<name>> called from <<phone>> saying the invoice for order <<order_id>> never arrived. Please email <<email>> once resolved."),
    ("sup-02", "Customer <<name>> (<<email>>) reports that the password reset link expired. Account username: <<username>>."),
    ("sup-03", "Hi support, my name is <<name>> and I haven't been able to log in since <<date>>. My username is <<username>>, I already tried resetting it twice."),
    ("sup-04", "Caller verified identity with SSN <<ssn>> and date of birth <<dob>>; issue escalated to tier 2."),
    ("sup-05", "Please update the shipping address on order <<order_id>> to <<address>>. Thanks, <<first>>"),
    ("sup-06", "I was charged twice on my card <<card>>, exp <<expiry>>. Can someone look into it? - <<name>>"),
    ("sup-07", "Escalation: user <<username>> locked out after 5 failed attempts from IP <<ip>> at <<time>>."),
    ("sup-08", "The customer's callback number is <<phone>>; best time to reach them is after <<time>>."),
    ("sup-09", "Name: <<name>>\nEmail: <<email>>\nPhone: <<phone>>\nIssue: the mobile app crashes when uploading a receipt."),
    ("sup-10", "Hello, this is <<first>> again. My new number is <<phone>> and my email changed to <<email>>."),
    ("sup-11", "Login attempt for <<email>> from <<ipv6>> was blocked by the risk engine."),
    ("sup-12", "Agent note: <<name>> wants the card <<card>> removed from the account and a refund of <<price>> for <<sku>>."),
    ("sup-13", "Customer says the delivery to <<address>> was left outside in the rain. Tracking <<tracking>>. Contact <<phone>>."),
    ("sup-14", "Re: <<ticket>> - <<first>> confirmed the fix works on <<product>> <<version>>. Closing."),
    ("sup-15", "Please reset the PIN for the kiosk account of <<name>>; the old PIN <<pin>> was written on a sticky note."),
    ("sup-16", "Request from <<email>>: delete my data. Username <<username>>, last login from <<ipv4>>."),
    # medical notes
    ("med-01", "Patient <<name>>, a <<age_yo>> <<sex>>, presented with chest pain on <<date>>. Contact: <<phone>>."),
    ("med-02", "Pt: <<name>> | DOB: <<dob>> | Age: <<age>> | NHS No: <<nhs>> | GP: Dr. <<last#2>>"),
    ("med-03", "<<name>> is <<age_years>> old and was referred by Dr. <<name#2>> for a follow-up MRI scheduled for <<datetime>>."),
    ("med-04", "Discharge summary for <<name>> (NHS number <<nhs>>). Admitted <<date>>, discharged <<date#2>>."),
    ("med-05", "Health card <<ca_health>> was verified for <<name>> at intake; SIN on file: <<sin>>."),
    ("med-06", "Allergies: penicillin. Patient aged <<age>>, lives at <<address>> with spouse."),
    ("med-07", "Follow-up call with <<first>> at <<time>>: BP stable, continue lisinopril 10 mg."),
    ("med-08", "Insurance claim for <<name>>, SSN <<ssn>>, DOB <<dob>>, procedure code 99213."),
    ("med-09", "OHIP number: <<ca_health>>; emergency contact <<name#2>> at <<phone#2>>."),
    ("med-10", "S: <<age_short>> F c/o headache and nausea. O: T 37.2, HR 78. Seen by Dr. <<last#2>>."),
    ("med-11", "NHS number <<nhs>> does not match the records for <<name>>; please confirm with the patient's GP surgery."),
    ("med-12", "Prescription for <<name>> (<<age_short>>), pick-up at the pharmacy after <<time>>."),
    ("med-13", "Ontario health number <<ca_health>> - version code missing, ask <<first>> to bring the card."),
    # CRM rows
    ("crm-01", "id,name,email,phone\n<<int>>,<<name>>,<<email>>,<<phone>>\n<<int#2>>,<<name#2>>,<<email#2>>,<<phone#2>>"),
    ("crm-02", "customer_id\tfull_name\tdob\tssn\n<<int>>\t<<name>>\t<<dob>>\t<<ssn>>"),
    ("crm-03", '{"customer": "<<name>>", "email": "<<email>>", "tier": "gold", "ltv": <<int>>}'),
    ("crm-04", "<<name>> | <<email>> | <<phone>> | last order <<order_id>> | signed up <<date>>"),
    ("crm-05", "Lead: <<name>>, <<age_short>>, interested in the premium plan; reach at <<email>> or <<phone>>."),
    ("crm-06", "contact_name=<<name>>;contact_email=<<email>>;mailing_address=<<address>>"),
    ("crm-07", "| <<name>> | <<username>> | <<ip>> | <<sku>> |"),
    ("crm-08", "Account owner: <<name>>\nBilling address: <<address>>\nVAT exempt: no\nPlan: <<product>>"),
    ("crm-09", '{"user": "<<username>>", "last_ip": "<<ip>>", "mac": "<<mac>>", "plan": "pro"}'),
    ("crm-10", "name,passport,nationality_checked\n<<name>>,<<passport>>,yes"),
    # chat logs
    ("chat-01", "[<<time>>] <<username>>: hey, can you resend the invite to <<email>>?\n[<<time#2>>] <<username#2>>: done <<emoji>>"),
    ("chat-02", "<<first>>: what's the wifi password?\n<<first#2>>: it's <<password>> <<emoji>>"),
    ("chat-03", "<<first>>: my new number is <<phone>>, text me when you land <<emoji>>"),
    ("chat-04", "user: my PIN is <<pin>>, is that safe to share here?\nagent: Please never share your PIN in chat."),
    ("chat-05", "<<username>> joined the channel.\n<<username>>: hi all, I'm <<name>>, new on the data team <<emoji>>"),
    ("chat-06", "DM from <<username>>: sending you my IBAN <<iban>> for the trip costs <<emoji>>"),
    ("chat-07", "<<first>> <<emoji>>: the rental car is a grey hatchback, plate <<plate>>, parked in level 2."),
    ("chat-08", "<<first>>: can you pay me back? my account is <<bank_account>>, routing <<routing>>"),
    ("chat-09", "[<<datetime>>] <<first>>: I'm <<age_years>> old, stop asking <<emoji>>"),
    ("chat-10", "<<username>>: anyone know who owns <<mac>>? it keeps grabbing <<ipv4>>"),
    ("chat-11", "<<first>>: my login is <<username>> and password <<password>> if you need to check the report"),
    ("chat-12", "<<first>>: here's my portfolio <<url>> <<emoji>>"),
    # config snippets
    ("cfg-01", "[default]\naws_access_key_id = <<aws_akid>>\naws_secret_access_key = <<aws_secret>>\nregion = <<region>>"),
    ("cfg-02", "export AWS_ACCESS_KEY_ID=<<aws_akid>>\nexport AWS_SECRET_ACCESS_KEY=<<aws_secret>>\nexport AWS_DEFAULT_REGION=<<region>>"),
    ("cfg-03", "DB_HOST=<<ip>>\nDB_USER=<<username>>\nDB_PASSWORD=<<password>>\nDB_PORT=<<port>>"),
    ("cfg-04", "smtp:\n  host: <<ipv4>>\n  user: <<email>>\n  password: \"<<password>>\"\n  port: 587"),
    ("cfg-05", '{"accessKeyId": "<<aws_akid>>", "secretAccessKey": "<<aws_secret>>", "sessionName": "<<job>>"}'),
    ("cfg-06", "webhook_url: <<url>>\nadmin_email: <<email>>\nretries: 3"),
    ("cfg-07", "interface eth0\n  hwaddress ether <<mac>>\n  address <<ipv4>>/24"),
    ("cfg-08", "allowlist:\n  - <<ip>>\n  - <<ip#2>>\nowner: <<username>>"),
    ("cfg-09", "# TODO remove before commit\nAWS_SECRET_ACCESS_KEY = \"<<aws_secret>>\""),
    ("cfg-10", "host <<ip>>\n  User <<username>>\n  Port <<port>>"),
    ("cfg-11", "Found AWS key <<aws_akid>> in commit <<git_sha>> (file deploy/env.sh); rotate it."),
    ("cfg-12", "homepage = \"<<url>>\"\nauthors = [\"<<name>> <<<email>>>\"]"),
    ("cfg-13", "dhcp-host=<<mac>>,<<ipv4>>,infinite"),
    # finance
    ("fin-01", "Please wire the deposit to IBAN <<iban>> (BIC <<swift>>), beneficiary <<name>>."),
    ("fin-02", "Direct deposit form: routing number <<routing>>, account number <<bank_account>>, account holder <<name>>."),
    ("fin-03", "ACH details - ABA <<routing>> / Acct <<bank_account>>"),
    ("fin-04", "Payment failed for card <<card>> (CVV <<cvv>>, expires <<expiry>>)."),
    ("fin-05", "Card: <<card>>  Exp: <<expiry>>  CVC: <<cvv>>  Name on card: <<name>>"),
    ("fin-06", "Your ATM PIN <<pin>> has been reset; you can now withdraw at any branch."),
    ("fin-07", "Transfer of <<price>> from account <<bank_account>> to <<iban>> was approved on <<date>>."),
    ("fin-08", "The beneficiary bank's SWIFT code is <<swift>> and the IBAN is <<iban>>."),
    ("fin-09", "Checking account <<bank_account>> at routing <<routing>> was closed on <<date>>."),
    ("fin-10", "card_number=<<card>>&exp=<<expiry>>&cvv=<<cvv>>&amount=<<int>>"),
    ("fin-11", "Use BIC/SWIFT <<swift>> for international transfers to <<name>>."),
    ("fin-12", "Security code <<cvv>> on the back of the card did not match."),
    ("fin-13", "New debit card ending soon: valid thru <<expiry>>; temporary PIN <<pin>>."),
    ("fin-14", "Invoice <<invoice>> paid by <<name>> with <<card>>."),
    ("fin-15", "Wire instructions: Bank SWIFT <<swift>>, Account No. <<bank_account>>, Ref <<invoice>>."),
    ("fin-16", "Remittance to <<name>>, IBAN <<iban>>, reference <<order_id>>."),
    # HR / government
    ("hr-01", "Employee <<name>>, SSN <<ssn>>, start date <<date>>, salary <<price>>."),
    ("hr-02", "W-7 application: ITIN <<itin>> assigned to <<name>>."),
    ("hr-03", "Tax ID (ITIN): <<itin>>; filing status: single; preparer <<name>>."),
    ("hr-04", "Your ITIN <<itin>> will expire unless it is used on a federal tax return."),
    ("hr-05", "NI number: <<nino>>\nUTR: <<utr>>\nName: <<name>>"),
    ("hr-06", "Letter to <<name>> at <<address>> regarding Self Assessment UTR <<utr>>."),
    ("hr-07", "Please quote your National Insurance number (<<nino>>) in all correspondence."),
    ("hr-08", "SIN: <<sin>>\nEmployee: <<name>>\nStart: <<date>>"),
    ("hr-09", "New hire <<name>> provided Social Insurance Number <<sin>> and a void cheque."),
    ("hr-10", "PAN: <<pan>>, Aadhaar: <<aadhaar>>, Name: <<name>>"),
    ("hr-11", "KYC for <<name>> completed with Aadhaar <<aadhaar>> and PAN card <<pan>>."),
    ("hr-12", "Voter ID (EPIC) <<voter>> belongs to <<name>>, <<address>>."),
    ("hr-13", "MGNREGA job card <<nrega>> issued to <<name>> of <<address>>."),
    ("hr-14", "Job card no. <<nrega>>; wages credited to account <<bank_account>>."),
    ("hr-15", "Please link your PAN <<pan>> with Aadhaar <<aadhaar>> before filing."),
    ("hr-16", "Applicant <<name>> (EPIC no. <<voter>>) requested a correction of the electoral roll entry."),
    ("hr-17", "UTR <<utr>> - the payment on account for <<name>> is overdue."),
    ("hr-18", "My Aadhaar number is <<aadhaar>> and my phone is <<phone>>."),
    ("hr-19", "NREGA worker <<name>>, job card <<nrega>>, Aadhaar seeded: yes."),
    ("hr-20", "The NINO <<nino>> on the P45 does not match <<name>>."),
    ("hr-21", "Form 1040 was filed with ITIN <<itin>> instead of an SSN."),
    ("hr-22", "Unique Taxpayer Reference: <<utr>>"),
    ("hr-23", "Payroll: <<name>>, SIN <<sin>>, direct deposit to account <<bank_account>>."),
    ("hr-24", "Employee record - <<name>>, <<age_years>>, DL <<driver_id>>."),
    # travel
    ("trv-01", "Passenger <<name>>, passport <<passport>>, DOB <<dob>>, seat 14C."),
    ("trv-02", "Your visa application for <<name>> (passport number <<passport>>) was received on <<date>>."),
    ("trv-03", "Check-in at <<datetime>>; guest <<name>>, phone <<phone>>, car plate <<plate>>."),
    ("trv-04", "Passport No.: <<passport>>\nSurname: <<last>>\nGiven names: <<first>>\nDate of birth: <<dob>>"),
    ("trv-05", "Booking <<order_id>> for <<name>> and <<name#2>>, arriving <<datetime>>."),
    ("trv-06", "Lost passport report: holder <<name>>, document <<passport>>, last seen at the hotel lobby."),
    # auto
    ("car-01", "Vehicle <<vin>> registered to <<name>> with license plate <<plate>>."),
    ("car-02", "VIN: <<vin>>\nPlate: <<plate>>\nOwner: <<name>>\nDriver's license: <<driver_id>>"),
    ("car-03", "Traffic stop: driver <<name>>, DL# <<driver_id>>, plate <<plate>>, at <<time>>."),
    ("car-04", "The car with plate <<plate>> has been parked in bay 12 since <<time>>."),
    ("car-05", "Recall notice for VIN <<vin>>: replace the airbag inflator at no cost."),
    ("car-06", "Driver licence number <<driver_id>> was scanned at the rental desk for <<name>>."),
    ("car-07", "Toll violation: reg. <<plate>>, amount <<price>>."),
    ("car-08", "Insurance quote for the vehicle with VIN <<vin>>, main driver aged <<age>>."),
    ("car-09", "Please enter your driver's license number (<<driver_id>>) exactly as printed."),
    # network and logs
    ("log-01", "<<log_ts>> WARN auth: failed login for user=<<username>> src=<<ip>>"),
    ("log-02", "<<log_ts>> INFO dhcp: lease <<ipv4>> assigned to <<mac>>"),
    ("log-03", "sshd[<<int>>]: Accepted publickey for <<username>> from <<ip>> port <<port>> ssh2"),
    ("log-04", "<<ipv4>> - - [<<clf_ts>>] \"GET /api/v2/orders HTTP/1.1\" <<http>> <<int>>"),
    ("log-05", "Device <<mac>> moved from VLAN 10 to VLAN 20 at <<time>>."),
    ("log-06", "Blocked outbound connection from <<ipv6>> to <<ip>> on port <<port>>."),
    ("log-07", "User <<email>> opened <<url>> from <<ip>>."),
    ("log-08", "<<log_ts>> ERROR payment: card <<card>> declined (request <<uuid>>)"),
    ("log-09", "<<log_ts>> DEBUG session created for <<email>> ip=<<ip>> ua=Mozilla/5.0"),
    ("log-10", "audit: <<username>> changed the password of <<username#2>> from <<ipv4>>"),
    ("log-11", "<<log_ts>> INFO signup name=\"<<name>>\" email=<<email>> plan=free"),
    # letters, emails
    ("let-01", "Dear <<name>>,\n\nThank you for your application. We will contact you at <<email>> or <<phone>>.\n\nKind regards,\n<<name#2>>"),
    ("let-02", "Hi <<first>>,\nYour appointment is confirmed for <<datetime>> at <<address>>.\nSee you then!"),
    ("let-03", "From: <<name>> <<<email>>>\nTo: <<email#2>>\nSubject: updated bank details\n\nPlease use account <<bank_account>>, routing <<routing>> from now on."),
    ("let-04", "Dear Mr. <<last>>, we have received your change of address to <<address>>."),
    ("let-05", "Hello <<first>>, your temporary password is <<password>> and expires after first use."),
    ("let-06", "<<first>>, your order <<order_id>> will be delivered to <<street>> between <<time>> and <<time#2>>."),
    ("let-07", "Ms. <<last>> asked us to send the contract to <<email>> instead of her old address."),
    ("let-08", "Congratulations to <<name>>, who just turned <<age>>!"),
    ("let-09", "Best,\n<<name>>\nSenior Analyst\n<<phone>> | <<email>> | <<url>>"),
    # forms and misc
    ("frm-01", "Full name: <<name>>\nDate of birth: <<dob>>\nAge: <<age>>\nAddress: <<address>>"),
    ("frm-02", "Emergency contact: <<name#2>> (<<phone#2>>)"),
    ("frm-03", "I, <<name>>, born <<dob>>, residing at <<address>>, hereby authorize the transfer."),
    ("frm-04", "Username: <<username>>\nPassword: <<password>>\nSecurity PIN: <<pin>>"),
    ("frm-05", "My son is <<age_years>> old and needs his passport renewed; his passport number is <<passport>>."),
    ("frm-06", "Applicant is a <<age_yo>> resident of <<address>>."),
    ("frm-07", "License plate: <<plate>>   VIN: <<vin>>   Odometer: <<int>> mi"),
    ("frm-08", "Please send the documents to <<name>>, <<address>>, before <<date>>."),
    ("frm-09", "Website: <<url>>\nTwitter: @<<username>>"),
    ("frm-10", "IP of the kiosk: <<ipv4>>, MAC <<mac>>, serial <<serial>>."),
    ("frm-11", "DOB <<dob>> | SSN <<ssn>> | ITIN n/a"),
    ("frm-12", "Date: <<date>>\nPatient: <<name>>\nSignature on file."),
    ("frm-13", "Reminder: the meeting with <<name>> moved to <<datetime>>."),
    ("frm-14", "Access code for the lockbox is <<pin>>; tenant <<name>> moves in on <<date>>."),
]

NEGATIVE = [
    ("neg-01", "Build <<int>> failed: test_auth.py line <<line>> raised AssertionError (expected <<int#2>>, got <<int#3>>)."),
    ("neg-02", "Deployed <<product>> <<version>> to <<region>>; image digest sha256:<<sha256>>."),
    ("neg-03", "commit <<git_sha>>\n\n    Fix off-by-one in pagination (closes <<ticket>>)"),
    ("neg-04", "Order <<order_id>> shipped via UPS, tracking <<tracking>>. Total: <<price>>."),
    ("neg-05", "SKU <<sku>> is back in stock: <<int>> units at <<price>> each."),
    ("neg-06", "Request <<uuid>> completed in <<ms>> ms with status <<http>>."),
    ("neg-07", "Key policy attached to <<arn>>."),
    ("neg-08", "Upgrade the firmware from version <<version4>> to <<version4#2>> before the maintenance window."),
    ("neg-09", "The batch reference <<bad_card>> did not pass validation and was discarded."),
    ("neg-10", "Set the primary color to <<hex>> and the border radius to <<int>>px."),
    ("neg-11", "Traceback (most recent call last):\n  File \"<<path>>\", line <<line>>, in <<func>>\nKeyError: '<<key>>'"),
    ("neg-12", "Error <<error_code>>: access denied while reading the registry hive."),
    ("neg-13", "Cache hit ratio dropped to <<pct>> after the <<product>> rollout."),
    ("neg-14", "ISBN <<isbn>>, 3rd edition, <<int>> pages."),
    ("neg-15", "Invoice <<invoice>> for <<int>> seats of <<product>>: <<price>> net 30."),
    ("neg-16", "sku,qty,price\n<<sku>>,<<int>>,<<price>>\n<<sku#2>>,<<int#2>>,<<price#2>>"),
    ("neg-17", "max_connections = <<int>>\nlisten_port = <<port>>\nlog_level = \"warn\"\nretry_backoff_ms = <<ms>>"),
    ("neg-18", "Pod <<pod>> restarted <<int>> times (OOMKilled, limit <<size>>)."),
    ("neg-19", "The checksum of the weights file is <<sha256>>; matrix shape is (<<int>>, <<int#2>>)."),
    ("neg-20", "Ticket <<ticket>>: export button does nothing on the settings page of <<product>>."),
    ("neg-21", "<<tool>> job <<job>> #<<int>> succeeded; artifacts uploaded to the <<env>> bucket."),
    ("neg-22", "Please update to <<product>> <<version>>; older builds leak memory in the parser."),
    ("neg-23", "Gas used: <<int>>; block <<ref>>; tx hash 0x<<sha256>>."),
    ("neg-24", "Model accuracy <<pct>> on <<int>> samples; seed <<int#2>>; learning rate <<float>>."),
    ("neg-25", "The role <<arn>> lacks kms:Decrypt on the key in account <<account12>>."),
    ("neg-26", "Serial number <<serial>> (hardware rev <<version>>) failed the burn-in test."),
    ("neg-27", "Reference number <<ref>> was assigned to the purchase request for <<product>>."),
    ("neg-28", "See chapter 12, section <<version4>>, for the grammar of the query language."),
    ("neg-29", "Speed of light is 299,792,458 m/s; the sample took <<ms>> ms to settle."),
    ("neg-30", "Cherry-picked <<git_short>> onto the release branch; <<git_short#2>> conflicts in <<path>>."),
    ("neg-31", "Coordinates of the bug: row <<line>>, column <<int>> of the generated file."),
    ("neg-32", "Tracking <<tracking>> shows the parcel at the sorting facility."),
    ("neg-33", "<<tool>> reported <<int>> flaky tests in the <<env>> pipeline; quarantine them in <<ticket>>."),
    ("neg-34", "The part number <<bad_ssn>> is obsolete; order <<sku>> instead."),
    ("neg-35", "ABA lookup failed for <<bad_aba>>: not a valid routing number."),
    ("neg-36", "Card-like test value <<bad_card>> fails the Luhn check and must be rejected by the form."),
    ("neg-37", "Query returned <<int>> rows in <<ms>> ms; plan hash <<git_short>>."),
    ("neg-38", "Cluster <<job>> in <<region>> scaled from <<int>> to <<int#2>> nodes; cost estimate <<price>> per month."),
    ("neg-39", "terraform plan: <<int>> to add, <<int#2>> to change, <<int#3>> to destroy."),
    ("neg-40", "Warehouse <<key>> moved <<int>> pallets of <<sku>>; variance <<pct>>."),
    ("neg-41", "docker pull <<job>>@sha256:<<sha256>>"),
    ("neg-42", "Feature flag <<key>> is enabled for <<pct>> of traffic in <<env>>."),
    ("neg-43", "HTTP <<http>> from the upstream after <<ms>> ms; retrying with backoff."),
    ("neg-44", "Release notes for <<product>> <<version>>: faster startup, smaller binary (<<size>>)."),
    ("neg-45", "Bump <<tool>> from <<version>> to <<version#2>> in the lockfile."),
    ("neg-46", "Hash of the build input: <<sha256>> (reproducible: yes)."),
    ("neg-47", "Object key <<uuid>>.parquet written to the <<env>> lake, <<size>>."),
    ("neg-48", "Order <<order_id>> was refunded: <<price>> returned to the original payment method."),
    ("neg-49", "Driver version <<version4>> is required for the new GPU nodes."),
    ("neg-50", "Error <<error_code>> at <<path>>:<<line>>:<<int>>."),
    ("neg-51", "Stock check: <<sku>> x<<int>>, <<sku#2>> x<<int#2>>, <<sku#3>> x<<int#3>>."),
    ("neg-52", "Quarterly revenue grew <<pct>> to <<price>>; churn fell to <<pct#2>>."),
    ("neg-53", "Lambda <<arn>> timed out after <<ms>> ms."),
    ("neg-54", "Shipment <<tracking>> is out for delivery; invoice <<invoice>> attached."),
    ("neg-55", "The test suite for <<product>> has <<int>> cases; <<int#2>> skipped on <<tool>>."),
    ("neg-56", "Weight: <<int>> g, dimensions <<int#2>> x <<int#3>> x <<int#4>> mm, SKU <<sku>>."),
    ("neg-57", "Config reload applied to <<int>> workers; checksum <<git_short>>."),
    ("neg-58", "Patch <<version4>> fixes the regression reported in <<ticket>>."),
    ("neg-59", "Batch <<ref>> processed: <<int>> ok, <<int#2>> rejected (<<error_code>>)."),
    ("neg-60", "We owe the vendor <<price>> for PO <<order_id>>; approval pending in <<ticket>>."),
    ("neg-61", "Fixture <<bad_iban>> has a wrong mod-97 check and the validator must reject it."),
    ("neg-62", "Chassis code <<bad_vin>> failed the check-digit test; the scanner misread it."),
    ("neg-63", "Batch total <<bad_aadhaar>> units across <<int>> warehouses."),
    ("neg-64", "Cassandra compaction finished on <<int>> SSTables; <<size>> reclaimed."),
    ("neg-65", "Grafana panel <<int>> shows p99 latency of <<ms>> ms for <<product>>."),
    ("neg-66", "Upgrade guide: 1. stop the service 2. install <<version>> 3. run migrations <<int>> through <<int#2>>."),
    ("neg-67", "The matrix has rank <<int>>; eigenvalues near <<float>> were clipped."),
    ("neg-68", "Dependency tree: <<tool>> <<version>> -> <<tool#2>> <<version#2>>."),
]

COUNTRY_OF_FIELD = {"nhs": "en_GB", "nino": "en_GB", "utr": "en_GB", "sin": "en_CA", "ca_health": "en_CA",
                    "pan": "en_IN", "aadhaar": "en_IN", "voter": "en_IN", "nrega": "en_IN",
                    "itin": "en_US", "ssn": "en_US", "routing": "en_US"}

PLACEHOLDER = re.compile(r"<<([a-z0-9_]+)(?:#(\d+))?>>")


def fields_of(text):
    return [(m.group(1), int(m.group(2) or 0)) for m in PLACEHOLDER.finditer(text)]


def render(template, ctx):
    """The template's text with its fields filled in, and the labeled spans."""
    out, spans, pos, last = [], [], 0, 0
    for m in PLACEHOLDER.finditer(template):
        literal = template[last:m.start()]
        out.append(literal)
        pos += len(literal)
        base, idx = m.group(1), int(m.group(2) or 0)
        label, gen = FIELDS[base]
        value = gen(ctx, idx)
        if label:
            spans.append({"start": pos, "end": pos + len(value), "type": label})
        out.append(value)
        pos += len(value)
        last = m.end()
    out.append(template[last:])
    return "".join(out), spans


def types_of(template):
    return {FIELDS[b][0] for b, _ in fields_of(template) if FIELDS[b][0]}


def locale_for(template, rng):
    for b, _ in fields_of(template):
        if b in COUNTRY_OF_FIELD:
            return COUNTRY_OF_FIELD[b]
    return rng.choices(LOCALES, LOCALE_WEIGHTS)[0]


def join(parts, rng):
    """Concatenates rendered (text, spans) pieces with a space or newline."""
    text, spans = "", []
    for t, s in parts:
        if text:
            text += rng.choice([" ", "\n", "\n\n"]) if text[-1] in ".!?" else rng.choice(["\n", "\n\n"])
        spans += [{**x, "start": x["start"] + len(text), "end": x["end"] + len(text)} for x in s]
        text += t
    return text, spans


def validate(rec):
    text, spans = rec["text"], rec["spans"]
    prev_end = 0
    for s in spans:
        value = text[s["start"]:s["end"]]
        assert s["type"] in TYPES, s
        assert value and value == value.strip(), (rec, s)
        assert s["start"] >= prev_end, f"overlapping spans in {rec}"
        prev_end = s["end"]
        check = VALIDATORS.get(s["type"])
        if check and not check(value):
            raise AssertionError(f"{s['type']} value {value!r} fails its check in record {rec['id']}")
    if rec["kind"] == "negative":
        assert not spans


def build(n, seed, pii_fraction):
    from faker import Faker  # here, so that pii_accuracy.py can import TYPES without faker

    rng = random.Random(seed)
    fakers = {}
    for k, loc in enumerate(LOCALES):
        fakers[loc] = Faker(loc)
        fakers[loc].seed_instance(seed * 1000 + k)
    by_type = collections.defaultdict(list)
    for tid, t in POSITIVE:
        for ty in types_of(t):
            by_type[ty].append((tid, t))
    missing = [t for t in TYPES if not by_type[t]]
    assert not missing, f"no template for {missing}"

    n_pos = round(n * pii_fraction)
    targets = []
    while len(targets) < n_pos:
        round_ = list(TYPES)
        rng.shuffle(round_)
        targets += round_
    records = []
    for target in targets[:n_pos]:
        tid, t = rng.choice(by_type[target])
        ctx = Ctx(rng, fakers, locale_for(t, rng))
        parts = [render(t, ctx)]
        ids = [tid]
        roll = rng.random()
        if roll < 0.25:       # a distractor sentence after
            nid, nt = rng.choice(NEGATIVE)
            parts.append(render(nt, ctx))
            ids.append(nid)
        elif roll < 0.35:     # or before
            nid, nt = rng.choice(NEGATIVE)
            parts.insert(0, render(nt, ctx))
            ids.insert(0, nid)
        elif roll < 0.45:     # or a second PII sentence
            tid2, t2 = rng.choice(POSITIVE)
            parts.append(render(t2, Ctx(rng, fakers, ctx.locale)))
            ids.append(tid2)
        text, spans = join(parts, rng)
        records.append({"kind": "pii", "template": "+".join(ids), "text": text, "spans": spans})
    for _ in range(n - n_pos):
        ctx = Ctx(rng, fakers, rng.choices(LOCALES, LOCALE_WEIGHTS)[0])
        picks = rng.sample(NEGATIVE, rng.choice([1, 1, 1, 2, 2, 3]))
        text, spans = join([render(t, ctx) for _, t in picks], rng)
        records.append({"kind": "negative", "template": "+".join(i for i, _ in picks), "text": text, "spans": spans})
    rng.shuffle(records)
    out = []
    for i, r in enumerate(records):
        rec = {"id": i, **r}
        validate(rec)
        out.append(rec)
    return out


def summarize(records, file=sys.stdout):
    spans = collections.Counter()
    docs = collections.Counter()
    for r in records:
        for s in r["spans"]:
            spans[s["type"]] += 1
        for t in {s["type"] for s in r["spans"]}:
            docs[t] += 1
    with_pii = sum(1 for r in records if r["spans"])
    chars = sum(len(r["text"]) for r in records)
    print(f"{len(records)} records, {with_pii} with PII ({100 * with_pii / len(records):.1f} %), "
          f"{len(records) - with_pii} without; {chars} characters, "
          f"{sum(len(r['text'].encode()) for r in records)} UTF-8 bytes", file=file)
    print(f"{'type':<42} {'spans':>6} {'records':>8}", file=file)
    for t in TYPES:
        print(f"{t:<42} {spans[t]:>6} {docs[t]:>8}", file=file)
    print(f"{'total':<42} {sum(spans.values()):>6}", file=file)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=3000, help="number of records (default 3000)")
    ap.add_argument("--seed", type=int, default=20240611, help="random seed (default 20240611)")
    ap.add_argument("--pii-fraction", type=float, default=0.5, help="share of records with PII (default 0.5)")
    ap.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT})")
    args = ap.parse_args()
    records = build(args.n, args.seed, args.pii_fraction)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    summarize(records)


if __name__ == "__main__":
    main()
