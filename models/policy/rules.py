"""Resolving the policy: built-in defaults (DESIGN.md §6), then the file's defaults, then a
contract's own settings, merged field by field; and naming the place of a problem in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from jikoflow.models.errors import problem_text
from jikoflow.models.policy.schemas import ContractPolicy, OrganizationPolicy

BUILTIN: dict[str, Any] = ContractPolicy().model_dump(mode="json")


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    """Later layers over earlier ones; nested mappings merged key by key."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = value
    return out


def resolve_contract(
    defaults: dict[str, Any], contract: dict[str, Any] | None = None
) -> ContractPolicy:
    """The effective policy of a contract from what the file's defaults and the contract set."""
    return ContractPolicy.model_validate(merged(BUILTIN, defaults, contract or {}))


def resolve_organization(
    require_totp_default: bool | None, require_totp: bool | None
) -> OrganizationPolicy:
    """The effective policy of an organisation."""
    if require_totp is None:
        require_totp = bool(require_totp_default)
    return OrganizationPolicy(require_totp=require_totp)


def _sets(written: dict[str, Any], loc: Sequence[int | str]) -> bool:
    """Whether `written` sets anything at or below a prefix of `loc` (beyond the top level)."""
    node: Any = written
    for depth, part in enumerate(loc):
        if not isinstance(node, dict) or part not in node:
            return depth > 1
        node = node[part]
    return True


def contract_checks(
    defaults: dict[str, Any], contracts: list[dict[str, Any]]
) -> tuple[list[int | str], str] | None:
    """The first place where the defaults or a contract resolve to an inconsistent policy."""
    try:
        resolve_contract(defaults)
    except ValidationError as exc:
        error = exc.errors()[0]
        return ["defaults", *error["loc"]], problem_text(error)
    for index, contract in enumerate(contracts):
        try:
            resolve_contract(defaults, contract)
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = list(error["loc"])
            where: list[int | str] = (
                ["contracts", index, *loc] if _sets(contract, loc) else ["defaults", *loc]
            )
            return where, problem_text(error)
    return None


def place_of(loc: Sequence[int | str]) -> str:
    """`contracts[0].clocks.root_cause` from a location path."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"
