"""The parties file: organisations, people and contracts with their delegation trees.

`read_parties` validates everything before anything is written; every refusal names the place
in the file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from jikoflow.models.enums import OrgKind, Role, Sector
from jikoflow.models.errors import BadInput, problem_text
from jikoflow.models.parties.chain import Chain, Tier
from jikoflow.models.parties.tables import MAX_MENTIONS
from jikoflow.models.yamlfile import load_strict

# A parties file of a few thousand organisations is well under this; a bigger one is a mistake
# or an attack, refused before it is parsed.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Bidirectional overrides make a name display as another (U+202E "right-to-left override").
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _printable(value: str) -> str:
    # A name is shown in terminals, chat and records: control characters (an ANSI escape
    # sequence repaints the terminal) and bidi overrides are refused, not passed on.
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in value):
        raise ValueError("control characters (terminal escapes, line breaks) are not allowed")
    return value


Name = Annotated[str, AfterValidator(_printable)]
# Slack member ids: U… or W… and capital letters and digits.
SLACK_USER = r"^[UW][A-Z0-9]{2,20}$"

Slug = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# One mailbox, as it may stand in a To: header: no display name, list separator or line break.
MAILBOX = r"^[^@\s<>,;\"()\[\]]+@[^@\s<>,;\"()\[\]]+\.[^@\s<>,;\"()\[\]]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PersonIn(_Strict):
    """A person as written in the parties file."""

    id: str = Slug
    name: Name = Field(min_length=1, max_length=200)
    role: Role
    slack_user: str | None = Field(default=None, max_length=64, pattern=SLACK_USER)
    email: str | None = Field(default=None, max_length=200, pattern=MAILBOX)


class OrganizationIn(_Strict):
    """An organisation as written in the parties file."""

    id: str = Slug
    name: Name = Field(min_length=1, max_length=200)
    kind: OrgKind
    slack_channel: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200, pattern=MAILBOX)
    addressee: Name | None = Field(default=None, min_length=1, max_length=200)
    representative: Name | None = Field(default=None, min_length=1, max_length=200)
    sector: Sector = Sector.PUBLIC
    people: list[PersonIn] = Field(default_factory=list)


class DelegationIn(_Strict):
    """One delegation edge as written in the parties file."""

    model_config = ConfigDict(populate_by_name=True)

    parent: str = Field(alias="from")
    child: str = Field(alias="to")
    approved_at: date | None = None
    upstream_notified_at: date | None = None


class ContractIn(_Strict):
    """A contract as written in the parties file."""

    id: str = Slug
    title: Name = Field(min_length=1, max_length=300)
    client: str
    contractor: str
    delegations: list[DelegationIn] = Field(default_factory=list)


class PartiesFile(_Strict):
    """The whole parties file."""

    organizations: list[OrganizationIn] = Field(default_factory=list)
    contracts: list[ContractIn] = Field(default_factory=list)


def _place(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def read_parties(path: Path) -> PartiesFile:
    """Read and validate a parties file; every refusal names the place in the file."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(str(path), f"larger than {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInput(str(path), "not UTF-8 text") from None
    raw: Any = load_strict(text, str(path), MAX_FILE_BYTES, fast=True)
    if not isinstance(raw, dict):
        raise BadInput(str(path), "expected a mapping with organizations and contracts")
    try:
        parties = PartiesFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"{path.name}: {_place(err['loc'])}", problem_text(err)) from None
    check_references(parties, path.name)
    return parties


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise BadInput(f"{where}[{i}].id", f"duplicate id {ident!r}")
        seen.add(ident)


def check_references(parties: PartiesFile, name: str) -> None:
    """Ids unique, references known, each contract's delegations a tree under 乙."""
    orgs = {o.id: o for o in parties.organizations}
    _unique([o.id for o in parties.organizations], f"{name}: organizations")
    _unique([p.id for o in parties.organizations for p in o.people], f"{name}: people")
    _unique([c.id for c in parties.contracts], f"{name}: contracts")
    for oi, org in enumerate(parties.organizations):
        # Chat mentions an organisation's managers by their Slack ids; more than a message
        # carries would be cut from every message, so the file is held to the limit.
        mentioned = [p for p in org.people if p.role is Role.MANAGER and p.slack_user]
        if len(mentioned) > MAX_MENTIONS:
            raise BadInput(
                f"{name}: organizations[{oi}].people",
                f"{len(mentioned)} managers with slack_user; at most {MAX_MENTIONS} per "
                "organisation (a chat message mentions no more)",
            )
    for ci, contract in enumerate(parties.contracts):
        where = f"{name}: contracts[{ci}]"
        for fld in ("client", "contractor"):
            if getattr(contract, fld) not in orgs:
                ref = getattr(contract, fld)
                raise BadInput(f"{where}.{fld}", f"unknown organisation {ref!r}")
        if orgs[contract.client].kind is not OrgKind.CLIENT:
            raise BadInput(f"{where}.client", f"{contract.client} is not of kind client")
        if orgs[contract.contractor].kind is OrgKind.CLIENT:
            raise BadInput(f"{where}.contractor", f"{contract.contractor} is of kind client")
        for di, d in enumerate(contract.delegations):
            for fld, ref in (("from", d.parent), ("to", d.child)):
                if ref not in orgs:
                    raise BadInput(
                        f"{where}.delegations[{di}].{fld}", f"unknown organisation {ref!r}"
                    )
            if orgs[d.child].kind is OrgKind.CLIENT:
                raise BadInput(f"{where}.delegations[{di}].to", f"{d.child} is of kind client")
        try:
            chain_of(contract)
        except BadInput as exc:
            raise BadInput(f"{where}.delegations", exc.message) from None


def chain_of(contract: ContractIn) -> Chain:
    """The chain a contract of the file describes."""
    tiers = [
        Tier(d.parent, d.child, d.approved_at, d.upstream_notified_at) for d in contract.delegations
    ]
    return Chain.build(contract.id, contract.client, contract.contractor, tiers)
