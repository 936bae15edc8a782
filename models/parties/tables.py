"""The parties: organisations, people, contracts and their delegation trees (Art. 15)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.enums import OrgKind, Role, Sector
from jikoflow.models.types import TableModel, enum_type

# A chat message mentions at most this many managers of an organisation: longer lists are cut
# (one organisation's size never stops its reports), and the parties file is held to it.
MAX_MENTIONS = 50


class Organization(TableModel, table=True):
    """A party: the ward (甲), the prime contractor (乙) or a subcontractor."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: OrgKind = Field(sa_type=enum_type(OrgKind))
    slack_channel: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)  # its role address for reports
    # How the written record addresses and signs: 「練馬区長 様」, 「代表取締役 山田 太郎」.
    addressee: str | None = Field(default=None, max_length=200)
    representative: str | None = Field(default=None, max_length=200)
    # A client's standing under the APPI: it decides the PPC's people threshold (DESIGN.md §6).
    sector: Sector = Field(
        default=Sector.PUBLIC,
        sa_type=enum_type(Sector),
        sa_column_kwargs={"server_default": Sector.PUBLIC.value},
    )


class Person(TableModel, table=True):
    """Someone at an organisation: a manager (管理責任者) or a worker (従事者)."""

    id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(foreign_key="organization.id", index=True, max_length=64)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    slack_user: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)


class Contract(TableModel, table=True):
    """One commission from a client (甲) to a prime contractor (乙)."""

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=300)
    client_id: str = Field(foreign_key="organization.id", max_length=64)
    contractor_id: str = Field(foreign_key="organization.id", max_length=64)


class Delegation(TableModel, table=True):
    """An edge parent → child in a contract's subcontract tree (Art. 15)."""

    __table_args__ = (sa.UniqueConstraint("contract_id", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contract.id", index=True, max_length=64)
    parent_id: str = Field(foreign_key="organization.id", max_length=64)
    child_id: str = Field(foreign_key="organization.id", max_length=64)
    approved_at: date | None = None
    upstream_notified_at: date | None = None
