"""Name normalisation: case, punctuation, diacritics, scripts, legal forms, generic words."""

from __future__ import annotations

import pytest

from esgscreen.core.names import (
    GENERIC_WORDS,
    LEGAL_FORM_FAMILIES,
    legal_forms_agree,
    normalise_name,
    unglue,
)


@pytest.mark.parametrize(
    ("raw", "distinctive", "family"),
    [
        # common-law and English renderings
        ("Cellebrite DI Ltd.", ("cellebrite", "di"), "common_law"),
        ("Thalestris Limited", ("thalestris",), "common_law"),
        ("Ability Inc.", ("ability",), "common_law"),
        ("Cambridge Holdco Corp.", ("cambridge",), "common_law"),
        ("Sun Corporation", ("sun",), "common_law"),
        ("Grayshift, LLC", ("grayshift",), "common_law"),
        ("Meggitt PLC", ("meggitt",), "common_law"),
        ("Computer Security Initiative Consultancy PTE. LTD.",
         ("computer", "security", "initiative"), "common_law"),
        ("Telstra Pty Ltd", ("telstra",), "common_law"),
        ("Shopify ULC", ("shopify",), "common_law"),
        ("Thoma Bravo, L.P.", ("thoma", "bravo"), "common_law"),
        ("Goldman Sachs & Co. LLC", ("goldman", "sachs"), "common_law"),
        ("PT Bank Central Asia Tbk", ("bank", "central", "asia"), "common_law"),
        # Germanic
        ("Trovicor GmbH", ("trovicor",), "germanic"),
        ("Siemens AG", ("siemens",), "germanic"),
        ("Porsche Automobil Holding SE", ("porsche", "automobil"), "germanic"),
        ("Beispiel GmbH & Co. KG", ("beispiel",), "germanic"),
        # Romance
        ("Intellexa S.A.", ("intellexa",), "romance"),
        ("Novalpina Capital Group S.à r.l.", ("novalpina",), "romance"),
        ("RCS Lab S.p.A.", ("rcs",), "romance"),
        ("Area SpA", ("area",), "romance"),
        ("Tykelab S.r.l.", ("tykelab",), "romance"),
        ("Variston IT S.L.", ("variston", "it"), "romance"),
        ("Atos SAS", ("atos",), "romance"),
        ("Cemex S.A.B. de C.V.", ("cemex",), "romance"),
        # Dutch and Nordic
        ("Philips N.V.", ("philips",), "dutch"),
        ("Exor B.V.", ("exor",), "dutch"),
        ("Micro Systemation AB (publ)", ("micro", "systemation"), "nordic"),
        ("Nokia Oyj", ("nokia",), "nordic"),
        ("Equinor ASA", ("equinor",), "nordic"),
        ("Novo Nordisk A/S", ("novo", "nordisk"), "nordic"),
        # Central and Eastern Europe
        ("Cytrox Holdings Zrt", ("cytrox",), "central_eastern"),
        ("Cytrox AD", ("cytrox",), "central_eastern"),
        ("PJSC Positive Group", ("positive",), "central_eastern"),
        ("Aktsionernoe Obshchestvo Pozitiv Teknolodzhiz", ("pozitiv", "teknolodzhiz"),
         "central_eastern"),
        ("OOO Matrix", ("matrix",), "central_eastern"),
        ("Beispiel s.r.o.", ("beispiel",), "central_eastern"),
        ("Beispiel Sp. z o.o.", ("beispiel",), "central_eastern"),
        # East Asian and Hebrew
        ("サン電子株式会社", ("サン",), "east_asian"),
        ("商汤集团股份有限公司", ("商汤",), "east_asian"),
        ("Toyota Kabushiki Kaisha", ("toyota",), "east_asian"),
        ("רייזון בע\"מ", ("רייזון",), "hebrew"),
    ],
)
def test_legal_forms_are_removed_and_classified(raw: str, distinctive: tuple, family: str) -> None:
    name = normalise_name(raw)
    assert name.distinctive == distinctive
    assert family in name.families
    assert name.legal_forms


def test_every_family_is_covered() -> None:
    assert set(LEGAL_FORM_FAMILIES) == {
        "common_law", "germanic", "romance", "dutch", "nordic", "central_eastern", "east_asian",
        "hebrew",
    }


@pytest.mark.parametrize(
    ("raw", "distinctive"),
    [
        ("AE Industrial Partners, LP", ("ae", "industrial")),  # AE is a legal form only at the end
        ("AB InBev", ("ab", "inbev")),
        ("SA Recycling", ("sa", "recycling")),
        ("Co-Diagnostics", ("co", "diagnostics")),
        ("AG", ("ag",)),  # a name is never emptied by its legal form
    ],
)
def test_short_legal_words_stay_when_they_are_the_name(raw: str, distinctive: tuple) -> None:
    assert normalise_name(raw).distinctive == distinctive


@pytest.mark.parametrize(
    ("raw", "distinctive", "generic"),
    [
        ("NSO Group Technologies Ltd.", ("nso",), ("group", "technology")),
        ("Saito Tech Ltd.", ("saito",), ("technology",)),
        ("Novalpina Capital Partners", ("novalpina",), ("capital", "partner")),
        ("Hangzhou Hikvision Digital Technology Co., Ltd.", ("hikvision",),
         ("hangzhou", "digital", "technology")),
        ("Tiger Global Management", ("tiger",), ("global", "management")),
        ("Voyager Labs", ("voyager",), ("lab",)),
        ("Grupo Positivo", ("positivo",), ("group",)),
        ("云从科技集团股份有限公司", ("云从",), ("technology", "group")),
    ],
)
def test_generic_words_are_set_aside(raw: str, distinctive: tuple, generic: tuple) -> None:
    name = normalise_name(raw)
    assert name.distinctive == distinctive
    assert name.generic == generic
    assert set(generic) <= GENERIC_WORDS


@pytest.mark.parametrize(
    ("raw", "distinctive", "generic", "legal"),
    [
        ("Dahua Technlogy", ("dahua",), ("technology",), ()),  # a letter left out
        ("Cobwebs Technoolgies", ("cobwebs",), ("technology",), ()),  # two swapped
        ("Cytrox Holdinsg Zrt", ("cytrox",), ("holding",), ("zrt",)),
        ("Paragon Solutiins", ("paragon",), ("solution",), ()),  # one changed
        ("Geedge Networkss", ("geedge",), ("network",), ()),  # one added
        ("Zhejang Dahua", ("dahua",), ("zhejiang",), ()),
        ("Sun Corporaton", ("sun",), (), ("corp",)),
        ("Ability Incorporatd", ("ability",), (), ("inc",)),
    ],
)
def test_long_generic_words_and_legal_forms_are_recognised_with_one_typo(
    raw: str, distinctive: tuple, generic: tuple, legal: tuple
) -> None:
    name = normalise_name(raw)
    assert (name.distinctive, name.generic, name.legal_forms) == (distinctive, generic, legal)


@pytest.mark.parametrize(
    ("raw", "distinctive"),
    [
        ("Capita plc", ("capita",)),  # short: not read as Capital
        ("Systemax Inc", ("systemax",)),  # seven-letter generic words need exact spelling
        ("PartnerRe Ltd", ("partnerre",)),  # two edits from Partners
        ("Sechnology Ltd", ("sechnology",)),  # the first letter must stay
    ],
)
def test_distinctive_words_near_generic_ones_stay_distinctive(raw: str, distinctive: tuple) -> None:
    assert normalise_name(raw).distinctive == distinctive


@pytest.mark.parametrize("raw", ["Technologies Ltd", "Group", "Holdings Inc.", "グループ"])
def test_a_single_generic_word_leaves_nothing_distinctive(raw: str) -> None:
    assert normalise_name(raw).empty


def test_a_name_of_generic_words_only_keeps_them_as_its_identity() -> None:
    name = normalise_name("Global Systems Group")
    assert name.all_generic
    assert name.distinctive == ("global", "system", "group")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Cellebrite", "CELLEBRITE"),
        ("Cellébrite", "Cellebrite"),
        ("Nestlé S.A.", "NESTLE SA"),
        ("Société Générale", "Societe Generale"),
        ("Straße AG", "Strasse AG"),
        ("Ｃｅｌｌｅｂｒｉｔｅ", "Cellebrite"),  # full-width forms
        ("L'Oréal", "LOreal"),
        ("People's Bank", "Peoples Bank"),
        ("Hik-Vision", "Hik Vision"),
        ("InTheCyber", "In The Cyber"),
        ("HANGZHOU HIKVISION DIGITAL-A", "Hangzhou Hikvision Digital"),  # share class
        ("SENSETIME GROUP INC-CL B", "SenseTime Group Inc"),
        ("MICRO SYSTEMATION AB CLASS B SHARES", "Micro Systemation AB"),
        ("ZHEJIANG DAHUA TECHNOLO", "Zhejiang Dahua Technology"),  # truncated field
        ("The Paragon Group", "Paragon Group"),
        ("Black & Decker", "Black and Decker"),
    ],
)
def test_spelling_variants_normalise_alike(a: str, b: str) -> None:
    left, right = normalise_name(a), normalise_name(b)
    assert (left.compact, left.generic) == (right.compact, right.generic)


@pytest.mark.parametrize(
    ("raw", "distinctive"),
    [
        ("Позитив Текнолоджиз", ("pozitiv", "teknolodzhiz")),
        ("ПАО «Группа Позитив»", ("pozitiv",)),
        ("Цитрокс АД", ("tsitroks",)),
        ("Ελληνικά Πετρέλαια Α.Ε.", ("ellinika", "petrelaia")),
        ("Йота", ("yota",)),
    ],
)
def test_cyrillic_and_greek_are_transliterated(raw: str, distinctive: tuple) -> None:
    name = normalise_name(raw)
    assert name.distinctive == distinctive
    assert name.transliterated


@pytest.mark.parametrize(
    ("raw", "distinctive"),
    [
        ("サン電子", ("サン",)),
        ("グループ会社サン", ("グループ会社サン",)),
        ("国投智能(厦门)信息股份有限公司", ("国投智能", "厦门")),
        ("东方网力", ("东方网力",)),
        ("רייזון", ("רייזון",)),
    ],
)
def test_other_scripts_keep_their_own_letters(raw: str, distinctive: tuple) -> None:
    name = normalise_name(raw)
    assert name.distinctive == distinctive
    assert not name.transliterated


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("Sun Corp", "Sun Corporation", True),
        ("Sun Inc", "Sun Corp", True),
        ("Sun Co., Ltd.", "Sun Corporation", True),
        ("Sun Ltd", "Sun Limited", True),
        ("Positive PJSC", "PAO Positive", True),
        ("Matrix Ltd", "Matrix LLC", False),
        ("Area Inc", "Area SpA", False),
        ("Cellebrite", "Cellebrite Ltd", True),  # no form on one side: nothing to disagree on
    ],
)
def test_legal_forms_agree(a: str, b: str, agree: bool) -> None:
    assert legal_forms_agree(normalise_name(a).legal_forms, normalise_name(b).legal_forms) is agree


def test_normalisation_is_pure() -> None:
    assert normalise_name("NSO Group Technologies Ltd.") == normalise_name(
        "NSO Group Technologies Ltd."
    )


@pytest.mark.parametrize(
    ("raw", "unglued"),
    [
        ("NSOGroup", "NSO Group"),
        ("DahuaTechnology", "Dahua Technology"),
        ("FinFisherGmbH", "FinFisher GmbH"),
        ("CellebriteDILtd.", "CellebriteDI Ltd."),
        ("GammaInternationalUKLtd", "Gamma International UK Ltd"),
        ("AEIndustrialPartners,LP", "AE Industrial Partners,LP"),
        # camel-case names that do not end in a generic word or legal form stay whole
        ("QuaDream", "QuaDream"),
        ("InTheCyber", "InTheCyber"),
        ("PartnerRe", "PartnerRe"),
        ("ServiceNow", "ServiceNow"),
        ("iFlytek", "iFlytek"),
        ("NSO GROUP", "NSO GROUP"),
    ],
)
def test_words_glued_to_a_generic_word_or_legal_form_are_split(raw: str, unglued: str) -> None:
    assert unglue(raw) == unglued
