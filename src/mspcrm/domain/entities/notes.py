"""CompanyNotes: key account information, call notes, opportunity notes."""

from mspcrm.domain.entities.common import created_at, creator, id_field, impersonator, modified_at
from mspcrm.domain.entity import Entity, ParentRoute
from mspcrm.domain.fields import DateTime, Default, Field, Integer, Text

COMPANY_NOTE = Entity(
    name="CompanyNote",
    path="CompanyNotes",
    fields=(
        id_field(),
        Field("actionType", Integer(), required=True, picklist=True, default=Default.PICKLIST),
        Field("assignedResourceID", Integer(), reference="Resource"),
        Field("companyID", Integer(), required=True, reference="Company"),
        Field("completedDateTime", DateTime()),
        Field("contactID", Integer(), reference="Contact"),
        created_at("createDateTime"),
        creator("creatorResourceID"),
        Field("description", Text(32000), required=True),
        Field("endDateTime", DateTime()),
        impersonator(),
        modified_at("lastModifiedDate"),
        Field("noteType", Integer(), picklist=True, default=Default.PICKLIST),
        Field("opportunityID", Integer(), reference="Opportunity"),
        Field("startDateTime", DateTime()),
        Field("title", Text(250)),
    ),
    can_delete=False,
    supports_webhooks=True,
    parent=ParentRoute(entity="Company", segment="Notes", field="companyID"),
    aliases={"name": "title", "note": "description"},
    lookup_fields=("title",),
    title_fields=("title",),
    list_fields=("title", "companyID", "actionType", "createDateTime"),
    search_fields=("title", "description"),
    indexed=("companyID",),
    former_names=("notes",),
)
