"""Countries: read-only, seeded from ISO 3166 (id = the ISO numeric code)."""

from mspcrm.domain.entities.common import id_field
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, Field, Integer, Text

COUNTRY = Entity(
    name="Country",
    path="Countries",
    fields=(
        id_field(),
        Field("addressFormatID", Integer(), read_only=True),
        Field("countryCode", Text(2), read_only=True),
        Field("displayName", Text(100), read_only=True),
        Field("invoiceTemplateID", Integer(), read_only=True),
        Field("isActive", Boolean(), read_only=True),
        Field("isDefaultCountry", Boolean(), read_only=True),
        Field("name", Text(100), read_only=True),
        Field("quoteTemplateID", Integer(), read_only=True),
    ),
    can_create=False,
    can_update=False,
    api_writable=False,
    lookup_fields=("name", "countryCode", "displayName"),
    title_fields=("displayName",),
    list_fields=("name", "countryCode", "isActive"),
    search_fields=("name", "countryCode", "displayName"),
    indexed=("countryCode",),
)
