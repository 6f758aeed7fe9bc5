"""Reading the policies file (``watchlist/policies.yaml``) into core ``Policy`` values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from esgscreen.core.model import RATINGS
from esgscreen.core.policy import ACTIONS, CodeRule, ExposureRule, Policy

DEFAULT_POLICY = "default"


class UnknownPolicy(LookupError):
    """A policy name that the policies file does not define."""
_action = fields.String(required=True, validate=validate.OneOf(ACTIONS))


class CodeRuleSchema(Schema):
    codes = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> CodeRule:
        return CodeRule(tuple(data["codes"]), data["action"])


class ExposureRuleSchema(Schema):
    codes = fields.List(fields.String(), load_default=list)
    min_share = fields.Float(required=True, validate=validate.Range(0, 100))
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    include_unstated = fields.Boolean(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> ExposureRule:
        return ExposureRule(tuple(data["codes"]), data["min_share"], data["action"],
                            data["include_unstated"])


class PolicyFileSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*$"))
    title = fields.String(required=True)
    description = fields.String(load_default="")
    rating_actions = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RATINGS)),
        values=fields.String(validate=validate.OneOf(ACTIONS)),
        required=True,
        validate=lambda actions: _every_rating(actions),
    )
    possible_match = fields.String(load_default="review", validate=validate.OneOf(ACTIONS))
    code_rules = fields.List(fields.Nested(CodeRuleSchema), load_default=list)
    exposure_rules = fields.List(fields.Nested(ExposureRuleSchema), load_default=list)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Policy:
        return Policy(
            id=data["id"],
            title=data["title"],
            description=data["description"],
            rating_actions=dict(data["rating_actions"]),
            possible_match=data["possible_match"],
            code_rules=tuple(data["code_rules"]),
            exposure_rules=tuple(data["exposure_rules"]),
        )


def _every_rating(actions: dict[str, str]) -> None:
    missing = ", ".join(r for r in RATINGS if r not in actions)
    if missing:
        raise ValidationError(f"an action is needed for every rating; missing: {missing}")


class PoliciesFileSchema(Schema):
    policies = fields.List(fields.Nested(PolicyFileSchema), required=True,
                           validate=validate.Length(min=1))


def load_policies(path: Path) -> dict[str, Policy]:
    """The policies in ``path``, by id; raises ValueError naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        policies = PoliciesFileSchema().load(data)["policies"]
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ValueError(f"{path}: {error}") from error
    by_id = {p.id: p for p in policies}
    if len(by_id) != len(policies):
        raise ValueError(f"{path}: two policies share an id")
    if DEFAULT_POLICY not in by_id:
        raise ValueError(f"{path}: a policy with id '{DEFAULT_POLICY}' is required")
    return by_id


def policy_view(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "title": policy.title,
        "description": policy.description,
        "rating_actions": dict(policy.rating_actions),
        "possible_match": policy.possible_match,
        "code_rules": [{"codes": list(r.codes), "action": r.action} for r in policy.code_rules],
        "exposure_rules": [
            {"codes": list(r.codes), "min_share": r.min_share, "action": r.action,
             "include_unstated": r.include_unstated}
            for r in policy.exposure_rules
        ],
    }
