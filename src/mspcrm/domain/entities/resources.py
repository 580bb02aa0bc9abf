"""Resources: the MSP's staff and API users (managed with the CLI)."""

from mspcrm.domain.entities.common import id_field
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, DateTime, Default, Field, Integer, Text

RESOURCE = Entity(
    name="Resource",
    path="Resources",
    fields=(
        id_field(),
        Field("email", Text(254), required=True),
        Field("email2", Text(254)),
        Field("email3", Text(254)),
        Field("firstName", Text(50), required=True),
        Field("hireDate", DateTime()),
        Field("initials", Text(8)),
        Field("isActive", Boolean(), default=True),
        Field("lastName", Text(50), required=True),
        Field("licenseType", Integer(), picklist=True),
        Field("middleName", Text(50)),
        Field("mobilePhone", Text(25)),
        Field("officeExtension", Text(10)),
        Field("officePhone", Text(25)),
        Field("resourceType", Text(50), default="Employee"),
        Field("securityLevel", Text(32), read_only=True, default="full"),
        Field("title", Text(50)),
        Field("userName", Text(100)),
        Field("userType", Integer(), picklist=True, default=Default.PICKLIST),
    ),
    api_writable=False,
    lookup_fields=("userName", "email"),
    title_fields=("firstName", "lastName"),
    list_fields=("firstName", "lastName", "email", "userName", "title", "isActive"),
    search_fields=("firstName", "lastName", "email", "userName"),
    indexed=("userName", "email"),
)
