"""CompanyNotes: key account information, call notes, opportunity notes."""

from mspcrm.domain.entity import Entity, ParentRoute
from mspcrm.domain.fields import DateTime, Default, Field, Integer, Long, Maintained, Text

COMPANY_NOTE = Entity(
    name="CompanyNote",
    path="CompanyNotes",
    fields=(
        Field("id", Long(), read_only=True, required=True),
        Field("actionType", Integer(), required=True, picklist=True, default=Default.PICKLIST),
        Field("assignedResourceID", Integer(), reference="Resource"),
        Field("companyID", Integer(), required=True, reference="Company"),
        Field("completedDateTime", DateTime()),
        Field("contactID", Integer(), reference="Contact"),
        Field("createDateTime", DateTime(), read_only=True, maintained=Maintained.CREATED_AT),
        Field(
            "creatorResourceID",
            Integer(),
            read_only=True,
            reference="Resource",
            maintained=Maintained.CREATOR,
        ),
        Field("description", Text(32000), required=True),
        Field("endDateTime", DateTime()),
        Field(
            "impersonatorCreatorResourceID",
            Integer(),
            read_only=True,
            reference="Resource",
            maintained=Maintained.IMPERSONATOR,
        ),
        Field("lastModifiedDate", DateTime(), read_only=True, maintained=Maintained.MODIFIED_AT),
        Field("noteType", Integer(), picklist=True, default=Default.PICKLIST),
        Field("opportunityID", Integer(), reference="Opportunity"),
        Field("startDateTime", DateTime()),
        Field("title", Text(250)),
    ),
    can_delete=False,
    parent=ParentRoute(entity="Company", segment="Notes", field="companyID"),
    aliases={"name": "title", "note": "description"},
    lookup_fields=("title",),
    title_fields=("title",),
    list_fields=("title", "companyID", "actionType", "createDateTime"),
    search_fields=("title", "description"),
    indexed=("companyID",),
)
