"""Small core values for tests that need a watchlist without the bundled files."""

from __future__ import annotations

from dataclasses import replace

from esgscreen.core.model import Alias, Entity, Evidence, Flag, FlagCode, Identifier, Relation

EVIDENCE = Evidence("https://example.org/report", "Example Lab", "2021-07-18", "A report",
                    "primary")

TAXONOMY = (
    FlagCode("targeted_spyware", "Targeted spyware vendor", "Sells spyware.", "critical",
             ("UNGP Principle 13",)),
    FlagCode("litigation", "Litigation", "Sued over abuse.", "medium", ("UNGP Principle 22",)),
    FlagCode("ownership_exposure", "Ownership exposure", "Derived.", "high",
             ("UNGP Principle 13",), derived=True),
)


def vendor(entity_id: str = "acme-spy", **changes: object) -> Entity:
    entity = Entity(
        id=entity_id,
        name="Acme Spyware Ltd.",
        kind="vendor",
        country="IL",
        aliases=(Alias("Acme", "trading"), Alias("アクメ", "local_script", "ja")),
        identifiers=(
            Identifier("isin", "US0378331005", confidence="low", source="https://example.org/i",
                       note="single source"),
            Identifier("ticker", "ACME", exchange="XNAS"),
        ),
        products=("Peeker",),
        relations=(
            Relation("owned_by", "acme-holdings", share=47.0, since="2021-08",
                     evidence=(EVIDENCE,)),
        ),
        flags=(
            Flag("targeted_spyware", "critical", "ongoing", "2021-07", "Sells spyware.",
                 (EVIDENCE, replace(EVIDENCE, url="https://example.org/second", title=None,
                                    authority="low"))),
        ),
        description="A made-up vendor.",
    )
    return replace(entity, **changes)


def holding(entity_id: str = "acme-holdings", **changes: object) -> Entity:
    return replace(Entity(id=entity_id, name="Acme Holdings Corp", kind="holding"), **changes)
