"""Who may do what on a shared dashboard: the region's roles file (docs/server.md).

Each line of the file gives an e-mail address or a whole domain ('@school.nl') a role:
`beheerder` (everything, including the Data page and editing), `lezer` (every figure) or
`school:<vestigingscode>` (every figure, with that school preselected on Mijn school).
An exact address wins over its domain.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sto_metrics.errors import UserError
from sto_metrics.paths import DATA_DIR

ROLES_ENV = "STO_ROLLEN"
MANAGER = "beheerder"
READER = "lezer"
SCHOOL = "school"
_SCHOOL_ROLE = re.compile(r"^school:([0-9A-Z]{2}[A-Z0-9]{2}(?:[0-9]{2})?)$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Role:
    """A signed-in user's role; `school_id` only for a school coordinator."""

    name: str
    school_id: str | None = None

    @property
    def manages(self) -> bool:
        """May load and remove data, restore the demo and edit ambitions."""
        return self.name == MANAGER


def roles_path() -> Path:
    """STO_ROLLEN when set, else data/rollen.csv."""
    configured = os.environ.get(ROLES_ENV, "").strip()
    return Path(configured).expanduser() if configured else DATA_DIR / "rollen.csv"


def read_roles(path: Path | None = None) -> dict[str, Role]:
    """The roles file as {address or @domain (lower case): role}; empty when the file does not exist."""
    path = path or roles_path()
    if not path.is_file():
        return {}
    found: dict[str, Role] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line_number, row in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#") or (line_number == 1 and cells[0].lower() == "wie"):
                continue
            if len(cells) < 2:
                raise UserError(f"{path.name}, regel {line_number}: schrijf 'adres of @domein,rol'.")
            who, role_text = cells[0].lower(), cells[1].lower()
            if not (_ADDRESS.match(who) or _DOMAIN.match(who)):
                raise UserError(f"{path.name}, regel {line_number}, kolom 1: '{cells[0]}' is geen e-mailadres of @domein.")
            found[who] = _role(role_text, path, line_number)
    return found


def _role(text: str, path: Path, line_number: int) -> Role:
    if text in (MANAGER, READER):
        return Role(text)
    school = _SCHOOL_ROLE.match(text.upper().replace("SCHOOL:", "school:", 1))
    if school:
        return Role(SCHOOL, school.group(1))
    raise UserError(f"{path.name}, regel {line_number}, kolom 2: '{text}' is geen rol; kies beheerder, lezer of school:VESTIGINGSCODE.")


def role_for(email: str | None, roles: dict[str, Role]) -> Role | None:
    """The role of a signed-in address (an exact address before its domain); None: no access."""
    if not email or "@" not in email:
        return None
    email = email.strip().lower()
    return roles.get(email) or roles.get("@" + email.rsplit("@", 1)[1])
