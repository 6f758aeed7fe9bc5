"""Company-name normalisation: case, punctuation, diacritics, scripts, legal forms, generic words.

A name becomes a `NormalisedName`: its *distinctive* tokens (the part that identifies the
company), its *generic* tokens (words like group, technologies, holdings, capital that many
companies share, mapped to one canonical spelling), and the *legal forms* that were removed
(Ltd, GmbH, S.p.A., 株式会社 ...). Legal forms are weak evidence and never part of the identity;
generic words never make a match alone. Generic words and legal forms of eight letters or more
are also recognised with one typo (Technlogies, Holdinsg, Corporaton), keeping the first two
letters; a camel-case word ending in one is split (NSOGroup, DahuaTechnology, FinFisherGmbH).

Legal forms come from a hand-kept table of the common forms and their legal traditions,
extended from the ISO 20275 Entity Legal Forms list (`_add_elf_forms`): a form's full local
name and its abbreviations give one token (Aktiebolag and AB give ab). Registry decorations
(/DE/, ADR, CEDEAR, Class A, -W) are set aside and kept in `decorations`. Places written before
or after a name (Lisboa, Porto, Portugal) are kept in `places`, with the name without them in
`placeless`; whether they count is the matcher's decision. `common_word` says, from the
register and English word tables, when a word cannot identify a company on its own. The tables
are read from `esgscreen/core/data/` (see `esgscreen.core.tables`).

Scripts: Latin diacritics are folded (Société -> societe); Cyrillic and Greek are transliterated
to Latin, so a name written in either script meets its transliteration; scripts without a
transliteration table here (Chinese, Japanese, Hebrew, Arabic ...) are compared in their own
script, with common legal-form and generic suffixes (股份有限公司, 科技, 株式会社 ...) split off.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from esgscreen.core import tables

__all__ = [
    "ELF_VERSION",
    "GENERIC_WORDS",
    "LEGAL_FORM_FAMILIES",
    "NormalisedName",
    "Place",
    "common_word",
    "compatible_legal_families",
    "legal_forms_agree",
    "name_tokens",
    "normalise_name",
    "short_cjk",
    "token_weight",
    "unglue",
]

# --- legal forms -----------------------------------------------------------------------------

# Families group the forms of one legal tradition. A query and a watchlist name whose legal
# forms come from different families disagree a little (see matching); within a family they agree.
LEGAL_FORM_FAMILIES: dict[str, tuple[str, ...]] = {
    "common_law": (
        "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "company",
        "co ltd", "co inc", "and co", "plc", "public limited company", "public company limited",
        "pcl", "llc", "l l c", "limited liability company", "ulc", "unlimited liability company",
        "pte ltd", "pte", "pty ltd", "pty", "pvt ltd", "pvt", "private limited", "sdn bhd",
        "bhd", "berhad", "tbk", "lp", "llp", "lllp", "pllc", "limited partnership", "cic",
        "ltd sti", "sti",
    ),
    "germanic": (
        "gmbh", "gesmbh", "ges mbh", "mbh", "gmbh and co kg", "gmbh co kg", "ag", "ag and co kgaa",
        "kg", "kgaa", "ug", "ug haftungsbeschrankt", "se", "ev", "ohg", "gbr",
    ),
    "romance": (
        "sa", "s a", "sas", "sasu", "sarl", "sa rl", "s a r l", "s ar l", "eurl", "sca", "snc",
        "spa", "s p a", "srl", "s r l", "srls", "sapa", "sl", "s l", "slu", "sll", "ltda",
        "lda", "sa de cv", "sab de cv", "s de rl de cv", "s de rl", "sab", "sgps", "sprl",
        "scs", "scrl", "sccl", "sicav",
    ),
    "dutch": ("nv", "n v", "bv", "b v", "bvba", "vof", "commv"),
    "nordic": (
        "ab", "ab publ", "publ", "as", "a s", "asa", "aps", "oy", "oyj", "abp", "hf", "ehf", "ks",
        "ans",
    ),
    "central_eastern": (
        "zrt", "nyrt", "kft", "bt", "rt", "ad", "ead", "ood", "eood", "doo", "d o o", "dd",
        "dooel", "sro", "s r o", "spol s r o", "sp z o o", "sp z oo", "spzoo", "jsc", "ojsc",
        "cjsc", "pjsc", "ao", "oao", "zao", "pao", "ooo", "tov", "pat", "prat",
        "aktsionernoe obshchestvo",
        "publichnoe aktsionernoe obshchestvo", "otkrytoe aktsionernoe obshchestvo",
        "zakrytoe aktsionernoe obshchestvo", "obshchestvo s ogranichennoy otvetstvennostyu",
        "ae", "epe", "ike", "as",
    ),
    "east_asian": (
        "kk", "kabushiki kaisha", "kabushiki gaisha", "yk", "gk",
        "株式会社", "有限会社", "合同会社", "有限公司", "股份有限公司",
        "有限责任公司", "有限責任公司", "股份公司", "公司", "주식회사", "유한회사", "주",
    ),
    "hebrew": ("בעמ", "baam"),
}
# Families that name the same kind of company in different languages: a Japanese 株式会社 is
# rendered "Co., Ltd." or "Corporation" in English, an Israeli בע"מ is a "Ltd".
_COMPATIBLE = {
    frozenset({"common_law", "east_asian"}),
    frozenset({"common_law", "hebrew"}),
    frozenset({"romance", "central_eastern"}),  # S.A. is also the Polish and Greek form
}
# Forms written before the name ("PT Bank ...", "АО Позитив ...", "株式会社サン").
_PREFIX_FORMS = frozenset({
    "pt", "jsc", "ojsc", "cjsc", "pjsc", "ao", "oao", "zao", "pao", "ooo", "tov", "pat", "prat",
    "aktsionernoe obshchestvo", "publichnoe aktsionernoe obshchestvo",
    "otkrytoe aktsionernoe obshchestvo", "zakrytoe aktsionernoe obshchestvo",
    "obshchestvo s ogranichennoy otvetstvennostyu", "株式会社", "有限会社", "주식회사", "주",
})
# Forms that are never a word of a name, so they are removed wherever they stand.
_ANYWHERE_FORMS = frozenset({
    "ltd", "limited", "inc", "incorporated", "corp", "corporation", "plc", "llc", "gmbh",
    "gesmbh", "sarl", "spa", "srl", "zrt", "nyrt", "kft", "eood", "pjsc", "ojsc", "cjsc", "kgaa",
    "bvba", "publ", "oyj", "ltda", "pte", "pty", "bhd", "berhad", "sdn", "ulc", "pllc", "株式会社",
    "有限公司", "股份有限公司", "有限责任公司", "有限責任公司", "주식회사",
})


# Spellings of one form, written as their usual abbreviation.
_FORM_ABBREVIATIONS = {
    "limited": "ltd", "incorporated": "inc", "corporation": "corp", "company": "co",
    "publiclimitedcompany": "plc", "publiccompanylimited": "pcl", "limitedliabilitycompany": "llc",
    "unlimitedliabilitycompany": "ulc", "limitedpartnership": "lp", "privatelimited": "pvtltd",
    "berhad": "bhd", "kabushikikaisha": "kk", "kabushikigaisha": "kk", "株式会社": "kk",
    "aktsionernoeobshchestvo": "ao", "publichnoeaktsionernoeobshchestvo": "pao",
    "otkrytoeaktsionernoeobshchestvo": "oao", "zakrytoeaktsionernoeobshchestvo": "zao",
    "obshchestvosogranichennoyotvetstvennostyu": "ooo",
    "gesmbh": "gmbh", "mbh": "gmbh", "gmbhandcokg": "gmbhcokg", "abpubl": "ab", "publ": "ab",
    "spolsro": "sro", "andco": "co", "주식회사": "주", "유한회사": "유",
}
# Forms that name the same kind of company: an American "Corp." is also an "Inc.", a Japanese
# kabushiki kaisha writes itself "Co., Ltd." or "Corporation", a Russian PAO is a PJSC.
_FORM_CLASSES: dict[str, frozenset[str]] = {
    **{form: frozenset({"corporation"}) for form in ("inc", "corp", "co", "coinc")},
    **{form: frozenset({"limited"}) for form in ("ltd", "plc", "pteltd", "pte", "ptyltd", "pty",
                                                  "pvtltd", "pvt", "sdnbhd", "bhd", "有限公司",
                                                  "בעמ", "baam")},
    **{form: frozenset({"corporation", "limited"}) for form in ("coltd", "kk", "股份有限公司")},
    **{form: frozenset({"llc"}) for form in ("llc", "ooo", "有限责任公司", "有限責任公司")},
    **{form: frozenset({"joint_stock"}) for form in ("jsc", "ao", "pjsc", "pao", "ojsc", "oao",
                                                      "cjsc", "zao")},
    **{form: frozenset({"partnership"}) for form in ("lp", "llp", "lllp")},
}


def _legal_table() -> tuple[dict[tuple[str, ...], tuple[str, str]], int]:
    table: dict[tuple[str, ...], tuple[str, str]] = {}
    for family, forms in LEGAL_FORM_FAMILIES.items():
        for form in forms:
            joined = form.replace(" ", "")
            canonical = _FORM_ABBREVIATIONS.get(joined, joined)
            for key in (tuple(form.split()), (joined,)):
                table.setdefault(key, (canonical, family))
    return table, max(len(k) for k in table)


def legal_forms_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names' legal forms (canonical, as in NormalisedName) can be the same
    company's: true when either names none, or they share a form or a kind of form."""
    if not a or not b:
        return True
    for x in a:
        for y in b:
            if x == y or _FORM_CLASSES.get(x, frozenset()) & _FORM_CLASSES.get(y, frozenset()):
                return True
    return False


_LEGAL, _LEGAL_MAX = _legal_table()
_PREFIX_KEYS = {tuple(form.split()) for form in _PREFIX_FORMS}
_PREFIX_ONLY = frozenset({("pt",), ("주",), ("株式会社",), ("有限会社",), ("주식회사",)})
# Family of a single-token form (pt is Indonesian, only ever a prefix).
_LEGAL[("pt",)] = ("pt", "common_law")


def compatible_legal_families(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of legal-form families can describe the same company."""
    if not a or not b or a & b:
        return True
    return any(frozenset({x, y}) in _COMPATIBLE for x in a for y in b)


# --- generic words ---------------------------------------------------------------------------

_GENERIC_SPELLINGS: dict[str, tuple[str, ...]] = {
    "group": ("group", "groups", "grp", "gruppe", "groupe", "gruppo", "grupo", "gruppa", "grupa",
              "集团", "集團", "グループ"),
    "holding": ("holding", "holdings", "hldg", "hldgs", "holdco", "控股"),
    "technology": ("technology", "technologies", "tech", "techs", "technologie", "technologien",
                   "tecnologia", "tecnologias", "tecnologie", "tekhnologii", "tekhnologiya",
                   "teknoloji", "teknologi", "technologii", "科技", "技术", "技術",
                   "テクノロジー", "テクノロジーズ"),
    "international": ("international", "intl", "internacional", "internazionale",
                      "internationale", "国际", "國際"),
    "global": ("global", "worldwide"),
    "capital": ("capital", "kapital"),
    "system": ("system", "systems", "sys", "systemes", "sistemas", "sistemi", "systeme"),
    "solution": ("solution", "solutions", "soluciones", "soluzioni"),
    "partner": ("partner", "partners", "ptnrs"),
    "software": ("software", "软件", "軟件"),
    "network": ("network", "networks", "网络", "網絡"),
    "digital": ("digital", "数字"),
    "service": ("service", "services", "svcs", "servicios", "servizi"),
    "industry": ("industry", "industries", "inds"),
    "enterprise": ("enterprise", "enterprises"),
    "venture": ("venture", "ventures"),
    "management": ("management", "mgmt"),
    "investment": ("investment", "investments"),
    "lab": ("lab", "labs", "laboratory", "laboratories"),
    "information": ("information", "info", "信息", "資訊"),
    "communication": ("communication", "communications"),
    "electronics": ("electronics", "electronic", "elec", "電子", "电子"),
    "consulting": ("consulting", "consultancy", "consultants"),
}
# Chinese company names open with a province or city; it is not what tells them apart.
_PLACES = (
    "hangzhou", "zhejiang", "shenzhen", "sz", "beijing", "shanghai", "xiamen", "guangzhou",
    "guangdong", "jiangsu", "anhui", "hefei", "chengdu", "wuhan", "tianjin", "hainan",
    "chongqing", "nanjing", "suzhou", "fujian", "shandong", "sichuan", "hubei",
)
_GENERIC: dict[str, str] = {s: c for c, spellings in _GENERIC_SPELLINGS.items() for s in spellings}
_GENERIC.update({p: p for p in _PLACES})
GENERIC_WORDS = frozenset(_GENERIC.values())

_TYPO_MIN = 8  # spellings this long are also recognised with one typo


class _Misspellings:
    """Finds the long spelling a token is one typo away from (a letter missing, added, changed
    or two swapped), keeping the first two letters: Technolgy, Solutoins, Holdinsg, Corporaton."""

    def __init__(self, spellings: dict[str, str]) -> None:
        self._exact = {s: v for s, v in spellings.items() if s.isascii() and len(s) >= _TYPO_MIN}
        self._starts = frozenset(spelling[:2] for spelling in self._exact)
        self._minus_one: dict[str, str] = {}
        for spelling, value in self._exact.items():
            for i in range(2, len(spelling)):
                self._minus_one.setdefault(spelling[:i] + spelling[i + 1:], value)

    def get(self, token: str) -> str | None:
        if len(token) < _TYPO_MIN - 1 or token[:2] not in self._starts or not token.isascii():
            return None
        if token in self._minus_one:  # a letter left out
            return self._minus_one[token]
        for i in range(2, len(token)):
            shorter = token[:i] + token[i + 1:]
            # a letter changed or two swapped (both lose the same letter), or a letter added
            found = self._minus_one.get(shorter) or self._exact.get(shorter)
            if found is not None:
                return found
        return None


_GENERIC_MISSPELT = _Misspellings(_GENERIC)
_GENERIC_PREFIXABLE = tuple(s for s in _GENERIC if s.isascii() and len(s) >= 7)

_STOPWORDS = frozenset({"the", "and", "of", "de", "la", "le", "les", "des", "du", "y", "und",
                        "et", "di", "del", "della", "der", "die", "das", "for", "a", "an"})
# Words a portfolio system appends to a security's name: share classes, receipts, units.
_NOISE = frozenset({"ord", "ords", "ordinary", "shs", "shares", "share", "adr", "adrs", "ads",
                    "gdr", "reg", "registered", "bearer", "pref", "preferred", "common", "stock",
                    "unit", "units", "warrant", "warrants", "wt", "wts", "rights", "sponsored",
                    "spon", "unsponsored", "depositary", "receipts", "receipt", "npv",
                    "cedear", "cedears", "bdr", "bdrs", "drc", "gdrs", "unspon", "unsp",
                    "inh", "vzo"})
_CLASS_WORDS = frozenset({"class", "cl", "series", "ser", "cat"})
_SHARE_WORDS = frozenset({"shs", "shares", "share"})  # H Shares, A shs: a class before them
# The currency of a par value as German exchanges write it after a name (ATOS SE EO 1, BAE
# SYSTEMS PLC LS-,025, ELBIT SYSTEMS LTD. IS 1); O.N. (ohne Nennwert) and NA (Namensaktien)
# go with them: SAP SE O.N., SIEMENS AG NA O.N.
_PAR_CURRENCIES = frozenset({"eo", "dl", "ls", "sf", "yn", "hd", "is", "dk", "sk", "nk", "cd"})
_PAR_WORDS = frozenset({"on", "na"})

# CJK suffixes split off a run of ideographs, longest first.
_CJK_SUFFIXES = tuple(sorted(
    [s for s in _GENERIC if not s.isascii()]
    + [f for forms in LEGAL_FORM_FAMILIES.values() for f in forms if not f.isascii()],
    key=len, reverse=True,
))

# --- scripts ---------------------------------------------------------------------------------

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi",
    "є": "ye", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz",
    "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
}
_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}
_SPECIAL_LATIN = {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "œ": "oe",
                  "ı": "i", "ð": "d", "ħ": "h", "ŀ": "l"}
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC)
_LATIN_TABLE = str.maketrans({**_GREEK, **_SPECIAL_LATIN})
_NEEDS_TRANSLIT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")

# Dots and apostrophes join (S.p.A. -> spa, People's -> peoples); other punctuation separates.
_JOINERS = re.compile(r"[.'’`´\"״׳]")
_HYPHEN_CLASS = re.compile(r"\s*-\s*[a-z]$")
_TOKEN = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class Place:
    """A place written before or after a name: weak evidence, like a legal form."""

    text: str  # as normalised tokens, space-separated
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2 codes of the places of that name
    before: bool  # written before the name (Lisboa Northwind) rather than after it
    is_country: bool = False  # the name of a country (Portugal), not of a region or city


@dataclass(frozen=True, slots=True)
class NormalisedName:
    """A name reduced to what identifies a company, with what was set aside."""

    raw: str
    distinctive: tuple[str, ...]  # the identifying tokens, in order
    generic: tuple[str, ...]  # canonical generic words (technology, group, ...)
    legal_forms: tuple[str, ...]  # canonical legal forms removed (ltd, gmbh, spa, ...)
    families: frozenset[str]  # legal-form families of those forms
    compact: str  # distinctive words joined (with any small words between them, InTheCyber)
    weights: tuple[int, ...] = ()  # token_weight of each distinctive token
    weight: int = 0  # their sum
    transliterated: bool = False
    all_generic: bool = False  # no distinctive word: the generic words stand in for it
    decorations: tuple[str, ...] = ()  # registry and listing decorations removed (/de/, adr)
    places: tuple[Place, ...] = ()  # places written before or after the name
    placeless: NormalisedName | None = None  # the same name without those places

    @property
    def text(self) -> str:
        """The normalised name as one line: distinctive, then generic tokens."""
        return " ".join(self.distinctive + self.generic)

    @property
    def empty(self) -> bool:
        return not self.distinctive


def token_weight(token: str) -> int:
    """How much a token says: its length, with each ideograph or kana counting as two letters."""
    if token.isascii():
        return len(token)
    return len(token) + len(_CJK.findall(token))


def _fold(text: str) -> tuple[str, bool]:
    """Lower case, Latin without diacritics, Cyrillic and Greek transliterated."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text, False
    transliterated = _NEEDS_TRANSLIT.search(text) is not None
    text = text.translate(_CYRILLIC_TABLE)  # before decomposing: й and ё are letters of their own
    folded = "".join(_strip_marks(c) if c < "\u0530" else c for c in text)
    return folded.translate(_LATIN_TABLE), transliterated


def _strip_marks(char: str) -> str:
    """A Latin or Greek letter without its diacritics (kana voicing marks are kept)."""
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def _split_cjk(token: str) -> list[str]:
    """Split legal-form and generic suffixes (and a leading 株式会社) off a run of ideographs."""
    if not _CJK.search(token):
        return [token]
    head: list[str] = []
    tail: list[str] = []
    for prefix in ("株式会社", "有限会社", "주식회사"):
        if token.startswith(prefix) and len(token) > len(prefix):
            head.append(prefix)
            token = token[len(prefix):]
    changed = True
    while changed:
        changed = False
        for suffix in _CJK_SUFFIXES:
            if token.endswith(suffix) and len(token) > len(suffix):
                tail.insert(0, suffix)
                token = token[: -len(suffix)]
                changed = True
                break
    return head + [token] + tail


def _tokens(text: str) -> list[str]:
    text = _JOINERS.sub("", text.replace("&", " and "))
    text = _HYPHEN_CLASS.sub("", text)
    tokens = _TOKEN.findall(text)
    if not text.isascii():
        tokens = [part for token in tokens for part in _split_cjk(token)]
    return tokens


def name_tokens(text: str) -> list[str]:
    """The tokens a name is compared on, before anything is set aside (the data tables are
    written in these)."""
    return _tokens(_fold(text)[0])


# --- common words ----------------------------------------------------------------------------

_COMMON = tables.common_words()
_REGISTER_COUNTS: dict[str, int] = _COMMON["register_counts"]
_ENGLISH: dict[str, float] = _COMMON["english_zipf"]
_REGISTER_SIZE = int(_COMMON.get("register", {}).get("companies", 0))  # distinct names
COMMON_MIN_COMPANIES = 2  # a word in this many register names is no longer distinctive alone


def _english(token: str) -> bool:
    """An everyday English word longer than three letters (per, con, mit are the small words
    of legal forms)."""
    return len(token) > 3 and token in _ENGLISH



# --- ISO 20275 legal forms -------------------------------------------------------------------

_ELF_NAME_MAX = 6  # a longer full name is a description, not what follows a company's name
_ELF_WORD_MIN = 8  # a one-word full name this long (Aktiebolag) cannot be a word of a name


def _add_elf_forms() -> str:
    """Add the ELF code list's forms to the legal-form table; return the list's version.

    Each active form that has an abbreviation maps its full names (local and transliterated)
    and its abbreviations to one token: the form the hand-kept families above already know for
    any of them (Aktiebolag -> ab, Société anonyme -> sa, 株 -> kk), else its first trusted
    abbreviation. Abbreviations are trusted when the list writes them with dots (Kft.), in
    their own script (株), or the families know them; bare letters (KD, OBA) could be a word of
    a name. A form written as an everyday English word (Fund., Railroad, Sat.) is left out, and
    so is an English full name with an English word outside the legal vocabulary (Business
    Trust, Community Interest Company): such words belong to names. A name held by several
    forms takes the token most of them give.
    """
    data = tables.legal_forms()
    hand = dict(_LEGAL)
    vocabulary = {token for key in hand for token in key}  # limited, liability, company ...
    votes: dict[tuple[str, ...], Counter[tuple[str, str]]] = {}
    for form in data["forms"]:
        abbreviations = [(tuple(a["tokens"]), a["dotted"]) for a in form["abbreviations"]]
        names = [tuple(n) for n in form["names"]]
        known = [hand[k] for key in (*(a for a, _ in abbreviations), *names)
                 for k in (key, ("".join(key),)) if k in hand]
        trusted = [a for a, dotted in abbreviations
                   if dotted or not "".join(a).isascii() or ("".join(a),) in hand]
        if known:
            canonical, family = known[0]
        elif trusted:
            canonical, family = "".join(trusted[0]), ""
        else:
            continue
        keys = [a for a in trusted if len(a) > 1 or a[0] not in _ENGLISH]
        english = form.get("language") == "en"
        keys += [n for n in names
                 if not (english and any(_english(t) and t not in vocabulary for t in n)) and (
            2 <= len(n) <= _ELF_NAME_MAX
            or (len(n) == 1 and (len(n[0]) >= _ELF_WORD_MIN or not n[0].isascii())))]
        for key in keys:
            votes.setdefault(key, Counter())[(canonical, family)] += 1
    for key, counted in votes.items():
        if key in _LEGAL:
            continue
        joined = ("".join(key),)
        if joined in hand:  # S. A. R. L. is the sarl the families know
            _LEGAL[key] = hand[joined]
        else:
            _LEGAL[key] = max(counted, key=lambda cf: (counted[cf], cf[1] != "", cf[0]))
        if len(key) == 1 and len(key[0]) == 1 and not key[0].isascii():
            _PREFIX_KEYS.add(key)  # ㈱ and (주) stand before the name as often as after it
    return str(data.get("version", ""))


ELF_VERSION = _add_elf_forms()
_LEGAL_MAX = max(len(k) for k in _LEGAL)
_LEGAL_LAST = frozenset(k[-1] for k in _LEGAL)  # a name not ending in one of these has no form
_PREFIX_FIRST = frozenset(k[0] for k in _PREFIX_KEYS)
_LEGAL_MISSPELT = _Misspellings({key[0]: key[0] for key in _LEGAL if len(key) == 1})

# --- decorations -----------------------------------------------------------------------------

# The SEC's state-of-incorporation and other suffixes: /DE/, /NEW/, \TX\, Limited/ADR.
_SLASHED = re.compile(r"(?<=\w\w|\w\.)\s*[/\\]\s*([a-z]{1,4})\s*[/\\]"
                      r"|(?<=[\w.)»\"+])\s+[/\\]([a-z]{1,4})[/\\](?=\s|$)"  # Fund I /DE/
                      r"|(?<=\w\w|\w\.)\s*/\s*([a-z]{1,3})\s*$")  # not A/S, I/S


def _strip_decorations(text: str) -> tuple[str, list[str]]:
    found = [f"/{a or b or c}/" for a, b, c in _SLASHED.findall(text)]
    if found:
        text = _SLASHED.sub(" ", text)
    return text, found


def _strip_noise(tokens: list[str]) -> list[str]:
    removed = []
    while tokens:
        if tokens[-1] in _NOISE:
            if (tokens[-1] in _SHARE_WORDS and len(tokens) >= 3 and len(tokens[-2]) == 1
                    and tokens[-2].isalpha() and tokens[-3] not in _CLASS_WORDS):
                removed.append(" ".join(tokens[-2:]))
                del tokens[-2:]
            else:
                removed.append(tokens.pop())
        elif len(tokens) >= 2 and tokens[-2] in _CLASS_WORDS and len(tokens[-1]) == 1:
            removed.append(" ".join(tokens[-2:]))
            del tokens[-2:]
        elif (size := _par_value(tokens)) or (len(tokens) >= 3 and tokens[-1] in _PAR_WORDS
                                              and _par_word_follows(tokens[-2])):
            size = size or 1
            removed.append(" ".join(tokens[-size:]))
            del tokens[-size:]
        else:
            return removed
    return removed


def _par_value(tokens: list[str]) -> int:
    """How many tokens a trailing par value takes (eo 1, ls 025, eo 4 40), or 0."""
    digits = 0
    while digits < 2 and len(tokens) > digits + 2 and tokens[-1 - digits].isdigit():
        digits += 1
    if digits and tokens[-1 - digits] in _PAR_CURRENCIES:
        return digits + 1
    return 0


def _par_word_follows(token: str) -> bool:
    """Whether O.N. or NA may follow this token: a legal form, NA, or another listing word."""
    return token in _PAR_WORDS or token in _NOISE or (token,) in _LEGAL


def _strip_legal(
    tokens: list[str], decorations: list[str] | None = None
) -> list[tuple[str, str]]:
    """Remove legal forms from the end, from the start, and unambiguous ones anywhere (and the
    decorations a form had before it: Cellebrite ADR Ltd)."""
    found: list[tuple[str, str]] = []
    while len(tokens) > 1 and tokens[-1] in _LEGAL_LAST:
        for size in range(min(_LEGAL_MAX, len(tokens) - 1), 0, -1):
            key = tuple(tokens[-size:])
            if key in _LEGAL and key not in _PREFIX_ONLY:
                found.append(_LEGAL[key])
                del tokens[-size:]
                break
        else:
            break
        removed = _strip_noise(tokens)
        if decorations is not None:
            decorations += removed
    while len(tokens) > 1 and tokens[0] in _PREFIX_FIRST:
        for size in range(min(_LEGAL_MAX, len(tokens) - 1), 0, -1):
            key = tuple(tokens[:size])
            if key in _PREFIX_KEYS:
                found.append(_LEGAL[key])
                del tokens[:size]
                break
        else:
            break
    if len(tokens) > 1:
        kept = [t for t in tokens if t not in _ANYWHERE_FORMS]
        if kept and len(kept) < len(tokens):
            found.extend(_LEGAL[(t,)] for t in tokens if t in _ANYWHERE_FORMS)
            tokens[:] = kept
    return found


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])"
                             r"|(?<=[a-z])(?=[A-Z]{2,})")
_CAMEL_HINT = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]")  # where a boundary may be
_LEADING_LETTERS = re.compile(r"[a-z]*")


def unglue(raw: str) -> str:
    """Split words written together in camel case that end in a generic word or a legal form
    (NSOGroup, DahuaTechnology, FinFisherGmbH); other camel-case names (QuaDream, InTheCyber,
    PartnerRe) stay whole."""
    if not _CAMEL_HINT.search(raw):
        return raw
    words = []
    for word in raw.split():
        parts = _CAMEL_BOUNDARY.split(word)
        known = [_known_part(part) for part in parts]
        if len(parts) == 1 or not known[-1]:  # PartnerRe, ServiceNow: the brand is the word
            words.append(word)
            continue
        pieces: list[tuple[str, bool]] = []
        for part, is_known in zip(parts, known, strict=True):
            if pieces and not is_known and not pieces[-1][1]:
                pieces[-1] = (pieces[-1][0] + part, False)
            else:
                pieces.append((part, is_known))
        words.extend(piece for piece, _ in pieces)
    return " ".join(words)


def _known_part(part: str) -> bool:
    letters = _LEADING_LETTERS.match(part.lower())
    key = letters.group() if letters else ""  # Partners,LP -> partners
    return key in _GENERIC or (key,) in _LEGAL


def normalise_name(raw: str) -> NormalisedName:
    """Normalise a company name for matching (pure; the same input always gives the same value)."""
    text, transliterated = _fold(unglue(raw))
    text, decorations = _strip_decorations(text) if "/" in text or "\\" in text else (text, [])
    hyphenated = _HYPHEN_CLASS.search(text) if "-" in text else None
    if hyphenated:
        decorations.append(hyphenated.group().strip())
    tokens = _tokens(text)
    decorations += _strip_noise(tokens)
    if len(tokens) >= 2 and (tokens[-1],) not in _LEGAL:
        tokens[-1] = _LEGAL_MISSPELT.get(tokens[-1]) or tokens[-1]  # Corporaton
    legal = _strip_legal(tokens, decorations)
    if len(tokens) >= 2 and (tokens[-1] in _PLACE_ENDS or tokens[0] in _PLACE_STARTS):
        places, rest = _edge_places(tokens)
    else:
        places, rest = (), tokens
    placeless = None
    if places:
        rest = list(rest)
        rest_legal = _strip_legal(rest, decorations)
        more, rest = _edge_places(rest) if len(rest) >= 2 else ((), rest)
        places += more
        placeless = _finish(raw, rest, legal + rest_legal, transliterated, decorations, (), None)
        if placeless.empty or placeless.all_generic:
            places, placeless = (), None
    return _finish(raw, tokens, legal, transliterated, decorations, places, placeless)


def _finish(
    raw: str,
    tokens: list[str],
    legal: list[tuple[str, str]],
    transliterated: bool,
    decorations: list[str],
    places: tuple[Place, ...],
    placeless: NormalisedName | None,
) -> NormalisedName:
    if len(tokens) >= 2 and tokens[-1] not in _GENERIC and len(tokens[-1]) >= 6:
        # A truncated last word ("TECHNOLO" in a 30-character security name field).
        for spelling in _GENERIC_PREFIXABLE:
            if spelling.startswith(tokens[-1]):
                tokens[-1] = spelling
                break
    distinctive: list[str] = []
    generic: list[str] = []
    joined: list[str] = []  # distinctive words with the small words between them
    last = len(tokens) - 1
    for position, token in enumerate(tokens):
        # "of", "di", "de" join words inside a name; first or last they may be its initials.
        if token in _STOPWORDS and (0 < position < last or token == "the"):
            if distinctive and position < last:
                joined.append(token)
            continue
        canonical = _GENERIC.get(token)
        if canonical is None:
            canonical = _GENERIC_MISSPELT.get(token)
        if canonical is None:
            distinctive.append(token)
            joined.append(token)
        else:
            generic.append(canonical)
    all_generic = not distinctive and len(generic) >= 2
    if all_generic:
        distinctive, generic = generic, []
        joined = distinctive
    weights = tuple(token_weight(token) for token in distinctive)
    return NormalisedName(
        raw=raw,
        distinctive=tuple(distinctive),
        generic=tuple(generic),
        legal_forms=tuple(form for form, _ in reversed(legal)),
        families=frozenset(family for _, family in legal if family),
        compact="".join(joined),
        weights=weights,
        weight=sum(weights),
        transliterated=transliterated,
        all_generic=all_generic,
        decorations=tuple(decorations),
        places=places,
        placeless=placeless,
    )


# --- places ----------------------------------------------------------------------------------

_PLACE_TABLE: dict[tuple[str, ...], tuple[str, ...]] = {
    tuple(name.split()): tuple(codes) for name, codes in tables.places()["places"].items()
}
_PLACE_MAX = max((len(key) for key in _PLACE_TABLE), default=1)
_COUNTRY_NAMES = frozenset(tuple(name.split()) for name in tables.places().get("countries", ()))
_PLACE_ENDS = frozenset(key[-1] for key in _PLACE_TABLE)  # to pass most names by at once
_PLACE_STARTS = frozenset(key[0] for key in _PLACE_TABLE)


def _edge_places(tokens: list[str]) -> tuple[tuple[Place, ...], list[str]]:
    """Places written after the name and before it, and the tokens left between them; a place
    is only taken while a word that is neither a place nor a small word remains."""
    found: list[Place] = []
    rest = list(tokens)
    for before in (False, True):
        while len(rest) >= 2:
            for size in range(min(_PLACE_MAX, len(rest) - 1), 0, -1):
                key = tuple(rest[:size]) if before else tuple(rest[-size:])
                countries = _PLACE_TABLE.get(key)
                if countries is None:
                    continue
                remaining = rest[size:] if before else rest[:-size]
                if all(t in _STOPWORDS or t in _GENERIC for t in remaining):
                    continue
                found.append(Place(" ".join(key), countries, before, key in _COUNTRY_NAMES))
                rest = remaining
                break
            else:
                break
    return tuple(found), rest


def place_countries(text: str) -> tuple[str, ...]:
    """The ISO codes of the places written so (normalised tokens, space-separated)."""
    return _PLACE_TABLE.get(tuple(text.split()), ())


def common_word(token: str) -> str | None:
    """Why a word cannot identify a company on its own, from the data (None when it can): it is
    in the names of several companies of the register, or an ordinary English word."""
    if len(token) < 3 or not token.isascii() or not token.isalpha():
        return None
    count = _REGISTER_COUNTS.get(token, 0)
    if count >= COMMON_MIN_COMPANIES:
        return f"'{token}' is in {count} of {_REGISTER_SIZE:,} listed companies' names"
    if token in _ENGLISH:
        return f"'{token}' is an everyday English word"
    return None


def short_cjk(name: NormalisedName) -> bool:
    """A name whose distinctive part is two ideographs, kana or hangul or fewer (大华, サン):
    too short to identify a company on its own."""
    return len(name.compact) <= 2 and _CJK.search(name.compact) is not None
