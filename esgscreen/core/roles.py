"""Roles of API keys and users, from least to most trusted.

A role may do everything the roles before it may: a reviewer can also propose and screen.
"""

from __future__ import annotations

ROLES = ("screener", "curator", "reviewer", "admin")


def role_allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)
