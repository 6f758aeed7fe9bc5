"""Form errors placed beside their fields, in words; identifier problems found with the rest."""

from __future__ import annotations

import pytest

from esgscreen.service import curation
from esgscreen.service.curation import FieldProblem
from esgscreen.web.curation import ENTITY_ROUTES, IDENTIFIER_ROUTES
from esgscreen.web.forms import place


def entity_change(**entity: object) -> dict[str, object]:
    base = {"id": "example-spyware", "name": "Example Spyware Ltd", "kind": "vendor",
            "status": "active"}
    return {"op": "upsert_entity", "entity": {**base, **entity}}


def problems_of(changes: list[dict[str, object]]) -> list[FieldProblem]:
    with pytest.raises(curation.InvalidProposal) as caught:
        curation.parse_changes(changes)
    return caught.value.problems


def test_every_mistake_is_found_at_once_with_the_bad_isin_in_words() -> None:
    change = entity_change(
        country="ISR",
        identifiers=[{"type": "isin", "value": "IL0011794803", "confidence": "medium"}],
        flags=[{"code": "targeted_spyware", "severity": "critical", "status": "ongoing",
                "since": "2025-13", "summary": "Sells spyware.",
                "evidence": [{"url": "", "publisher": "Example Lab",
                              "authority": "primary"}]}],
    )
    errors = place(problems_of([change]), ENTITY_ROUTES)
    assert errors.fields["identifiers"] == [
        "Line 1: The ISIN's check digit is wrong: IL0011794803."]
    assert errors.fields["country"][0].startswith("The country: must be an ISO 3166-1")
    assert "not a real date" in errors.fields["flag_since"][0]
    assert errors.fields["evidence_url"] == ["The address (URL) is required."]
    assert len(errors) == 4 and not errors.general
    assert errors.first(("summary", "id", "country", "identifiers")) == "country"


def test_the_api_still_names_the_change_and_field() -> None:
    with pytest.raises(curation.InvalidProposal) as caught:
        curation.parse_changes([
            {"op": "add_identifier", "entity_id": "nso-group",
             "identifier": {"type": "lei", "value": "5493001KJTIIGC8Y1R13"}}])
    assert caught.value.errors == {"changes[0]": [
        "identifier.value: The LEI's check digit is wrong: 5493001KJTIIGC8Y1R13"]}
    errors = place(caught.value.problems, IDENTIFIER_ROUTES)
    assert errors.fields == {"value": ["The LEI's check digit is wrong: 5493001KJTIIGC8Y1R13."]}


def test_a_ticker_line_without_its_exchange_says_which_line() -> None:
    change = entity_change(identifiers=[
        {"type": "isin", "value": "IL0011794802", "confidence": "high"},
        {"type": "ticker", "value": "CLBT", "confidence": "high"}])
    errors = place(problems_of([change]), ENTITY_ROUTES)
    assert errors.fields == {"identifiers": [
        "Line 2: Exchange is required for a ticker: give the MIC of the listing, e.g. 'XNAS'."]}


def test_a_problem_no_field_claims_is_shown_above_the_form() -> None:
    errors = place([FieldProblem(3, "entity.products", "unknown product")], IDENTIFIER_ROUTES)
    assert errors.general == ["Entity.products: unknown product."]
    assert not errors.fields
