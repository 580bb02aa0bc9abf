"""ContactRoles: what a person does for their company (authorizes work, billing contact, ...).

First-class, queryable data rather than free text in a contact's note: one row
per contact and role, reached as a child of the contact
(``/Contacts/{id}/Roles``) or on its own (``/ContactRoles/query`` filtered by
``companyID`` or ``role``). ``companyID`` is kept equal to the contact's company
by the services, so a company's roles are one indexed query.
"""

from mspcrm.domain.entity import Entity, ParentRoute
from mspcrm.domain.fields import DateTime, Field, Integer, Long, Maintained, Text

CONTACT_ROLE = Entity(
    name="ContactRole",
    path="ContactRoles",
    fields=(
        Field("id", Long(), read_only=True, required=True),
        Field(
            "companyID",
            Integer(),
            read_only=True,
            reference="Company",
            description="The contact's company; kept equal to it by the server",
        ),
        Field("contactID", Integer(), required=True, reference="Contact"),
        Field("createDate", DateTime(), read_only=True, maintained=Maintained.CREATED_AT),
        Field("notes", Text(500)),
        Field("role", Integer(), required=True, picklist=True),
    ),
    can_delete=True,
    parent=ParentRoute(entity="Contact", segment="Roles", field="contactID"),
    title_fields=("role",),
    list_fields=("contactID", "companyID", "role", "notes"),
    search_fields=("notes",),
    indexed=("role",),
)
