"""The SDK's generated module (``mspcrm/sdk/declared.py``): the declared entities' names and
one ``TypedDict`` per entity, rendered from the declarations, so the SDK (which imports
nothing of the server) knows them without a second hand-kept list.

    python -m mspcrm.domain.sdk_module > src/mspcrm/sdk/declared.py

A test fails when the checked-in module differs from what this renders.
"""

from __future__ import annotations

from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.fields import Boolean, DateTime, Double, Field, Integer

HEADER = '''"""Generated from the entity declarations by ``python -m mspcrm.domain.sdk_module``:
do not edit (a test compares it with the declarations).

``DECLARED_ENTITIES`` names every entity an mspcrm server declares; each ``TypedDict``
describes a record of one entity as the wire has it, so editors complete field names.
Records stay plain ``dict`` objects at run time: ``company: Company = client.companies.get(1)``.
"""

from __future__ import annotations

from typing import Any, TypedDict
'''


def python_type(field: Field) -> str:
    kind = field.kind
    if isinstance(kind, Boolean):
        base = "bool"
    elif isinstance(kind, Integer):
        base = "int"
    elif isinstance(kind, Double):
        base = "float"
    elif isinstance(kind, DateTime):
        base = "str"  # ISO 8601, as on the wire
    else:
        base = "str"
    return base if field.name == "id" else f"{base} | None"


def typed_dict(entity: Entity) -> str:
    lines = [
        "",
        "",
        f"class {entity.name}(TypedDict, total=False):",
        f'    """A record of ``{entity.path}``."""',
        "",
    ]
    lines.extend(f"    {f.name}: {python_type(f)}" for f in entity.fields if not f.udf)
    if entity.has_udfs:
        lines.append("    userDefinedFields: list[UserDefinedField]")
    return "\n".join(lines)


def render(registry: Registry) -> str:
    exported = ["DECLARED_ENTITIES", "UserDefinedField", *(e.name for e in registry)]
    names = "".join(f'    ("{e.path}", "{e.name}"),\n' for e in registry)
    parts = [
        HEADER,
        f"DECLARED_ENTITIES: tuple[tuple[str, str], ...] = (\n{names})",
        "",
        "",
        "class UserDefinedField(TypedDict):",
        "    name: str",
        "    value: Any",
        *(typed_dict(e) for e in registry),
        "",
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in sorted(exported, key=lambda n: (not n.isupper(), n))),
        "]",
    ]
    return "\n".join(parts).replace("\n\n\n\n", "\n\n\n") + "\n"


if __name__ == "__main__":
    print(render(build_registry()), end="")
