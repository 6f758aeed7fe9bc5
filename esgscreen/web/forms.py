"""Form errors beside their fields: the curation rules' problems, each placed at the form
field it is about and said in words, all at once.

Pure functions, no Flask. A form declares ``Route``s from the dotted paths of its change
operation (``entity.identifiers.1.exchange``) to its own fields; a problem no route claims is
shown above the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from esgscreen.service.curation import FieldProblem


@dataclass(frozen=True, slots=True)
class Route:
    """Problems whose path matches ``pattern`` (a regular expression for the start of the path)
    belong to form field ``name``, labelled ``label``. A named group ``line`` numbers the line
    of a one-per-line text area."""

    pattern: str
    name: str
    label: str
    change: int | None = 0


@dataclass
class FormErrors:
    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        messages = self.fields.setdefault(name, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def __len__(self) -> int:
        return sum(len(m) for m in self.fields.values()) + len(self.general)

    def first(self, order: Sequence[str]) -> str | None:
        """The first field with an error, in the order the form shows its fields."""
        return next((name for name in order if name in self.fields), None)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!", ")")) else text + "."


def describe(message: str, label: str, rest: str = "", line: int | None = None) -> str:
    """One problem in words for the field it is shown beside."""
    subject = rest.replace("_", " ") if rest and rest != "value" else ""
    if message.startswith("is required"):
        text = f"{subject or label} {message}"
    elif message.startswith("must not be empty"):
        text = f"{subject or label} is required"
    elif message[:1].isupper():
        text = message
    elif subject:
        text = f"{subject} {message}"
    else:
        text = f"{label}: {message}" if message.startswith(("must", "only")) else message
    text = _sentence(text)
    return f"Line {line}: {text}" if line is not None else text


def place(problems: Iterable[FieldProblem], routes: Sequence[Route]) -> FormErrors:
    """Each problem at its field (the first route that claims its path), in words."""
    errors = FormErrors()
    for problem in problems:
        for route in routes:
            if route.change is not None and problem.change not in (route.change, None):
                continue
            found = re.match(rf"(?:{route.pattern})(?:$|\.(?P<rest>.*))", problem.path)
            if found is None:
                continue
            groups = found.groupdict()
            line = int(groups["line"]) + 1 if groups.get("line") is not None else None
            errors.add(route.name, describe(problem.message, route.label,
                                            groups.get("rest") or "", line))
            break
        else:
            where = f"{problem.path}: " if problem.path else ""
            errors.general.append(_sentence(f"{where}{problem.message}"))
    return errors
