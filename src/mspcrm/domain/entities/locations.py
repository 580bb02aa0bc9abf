"""CompanyLocations: a company's sites (locations, branches)."""

from mspcrm.domain.entities.common import id_field
from mspcrm.domain.entity import Entity, ParentRoute
from mspcrm.domain.fields import Boolean, Decimal, Field, Integer, Text

COMPANY_LOCATION = Entity(
    name="CompanyLocation",
    path="CompanyLocations",
    fields=(
        id_field(),
        Field("address1", Text(128)),
        Field("address2", Text(128)),
        Field("alternatePhone1", Text(25)),
        Field("alternatePhone2", Text(25)),
        Field("city", Text(50)),
        Field("companyID", Integer(), required=True, reference="Company"),
        Field("countryID", Integer(), reference="Country"),
        Field("description", Text(500)),
        Field("fax", Text(25)),
        Field("isActive", Boolean(), default=True),
        Field("isPrimary", Boolean()),
        Field("isTaxExempt", Boolean()),
        Field("overrideCompanyTaxSettings", Boolean()),
        Field("name", Text(100), required=True),
        Field("phone", Text(25)),
        Field("postalCode", Text(20)),
        Field("roundtripDistance", Decimal()),
        Field("state", Text(25)),
        Field("taxRegionID", Integer(), picklist=True, picklist_key="Company.taxRegionID"),
    ),
    can_delete=True,
    supports_webhooks=True,
    parent=ParentRoute(entity="Company", segment="Locations", field="companyID"),
    aliases={
        "isPrimaryLocation": "isPrimary",
        "active": "isActive",
        "overrideAccountTaxSettings": "overrideCompanyTaxSettings",
    },
    name_inputs={"country": "countryID"},
    lookup_fields=("name",),
    title_fields=("name",),
    list_fields=("name", "companyID", "city", "state", "isPrimary", "isActive"),
    search_fields=("name", "city", "address1", "postalCode"),
    indexed=("companyID",),
    noun="site",  # what MSP staff call a company's location
    plural="sites",
    former_names=("locations",),
)
