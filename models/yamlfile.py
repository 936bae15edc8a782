"""Reading a YAML file people write (the parties file, the policy file) defensively: safe
tags only, no aliases (an expansion bomb grows a small file past memory), duplicate keys an
error instead of "last wins", a size cap, and deep nesting refused."""

from __future__ import annotations

from typing import Any

import yaml

from jikoflow.models.errors import BadInput


class _Refused(yaml.MarkedYAMLError):
    """A problem this module finds (an alias, a duplicate key), not a syntax error."""


class _NoDuplicates:
    """Duplicate keys refused (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the constructor refuses it next
                break
            if duplicate:
                raise _Refused(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc,no-any-return]


class StrictLoader(_NoDuplicates, yaml.SafeLoader):
    """Safe YAML without aliases (refused where they stand) and with duplicate keys refused."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Refused(problem="aliases are not allowed", problem_mark=mark)
        return super().compose_node(parent, index)


# libyaml parses a large parties file ten times faster than the pure-Python loader; it
# composes in C, so an alias is found afterwards as a node met twice.
_FAST_BASE: Any = getattr(yaml, "CSafeLoader", StrictLoader)


class FastStrictLoader(_NoDuplicates, _FAST_BASE):  # type: ignore[misc]
    """StrictLoader's rules over libyaml's parser."""

    def construct_document(self, node: Any) -> Any:
        _refuse_aliases(node)
        return super().construct_document(node)


def _refuse_aliases(root: Any) -> None:
    """An alias is a node met twice in the composed graph (the parser shares the anchor's)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise _Refused(problem="aliases are not allowed", problem_mark=node.start_mark)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def load_strict(text: str, name: str, max_bytes: int, *, fast: bool = False) -> Any:
    """The data of a YAML text named `name`; refusals name the file and the line. `fast`
    parses with libyaml, whose syntax errors are worded as "unreadable YAML"."""
    if len(text.encode()) > max_bytes:
        raise BadInput(name, f"larger than {max_bytes // 1024} KiB")
    loader = FastStrictLoader if fast else StrictLoader
    try:
        return yaml.load(text, Loader=loader)  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f" (line {mark.line + 1})" if mark is not None else ""
        own = isinstance(exc, _Refused) or not fast
        raise BadInput(
            name, f"{(exc.problem if own else None) or 'unreadable YAML'}{line}"
        ) from None
    except RecursionError:
        raise BadInput(name, "nested too deeply") from None
    except ValueError as exc:  # a date YAML recognises that the calendar does not: 2026-02-30
        raise BadInput(name, f"invalid value: {exc}") from None
    except yaml.YAMLError:
        raise BadInput(name, "unreadable YAML") from None
