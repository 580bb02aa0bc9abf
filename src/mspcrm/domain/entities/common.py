"""Field declarations many entities share, written once."""

from mspcrm.domain.fields import DateTime, Field, Integer, Long, Maintained


def id_field() -> Field:
    return Field("id", Long(), read_only=True, required=True)


def created_at(name: str = "createDate") -> Field:
    return Field(name, DateTime(), read_only=True, maintained=Maintained.CREATED_AT)


def modified_at(name: str) -> Field:
    return Field(name, DateTime(), read_only=True, maintained=Maintained.MODIFIED_AT)


def creator(name: str) -> Field:
    return Field(
        name, Integer(), read_only=True, reference="Resource", maintained=Maintained.CREATOR
    )


def impersonator() -> Field:
    return Field(
        "impersonatorCreatorResourceID",
        Integer(),
        read_only=True,
        reference="Resource",
        maintained=Maintained.IMPERSONATOR,
    )
