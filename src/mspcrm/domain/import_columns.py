"""What an import file's columns may be called, and how rows are matched: data only.

A column is matched by its *key*: the header lower-cased with spaces, ``_``, ``-``
and ``.`` removed, so the wire name (``postalCode``), Autotask's import-template
name (``Postal Code``) and most spreadsheet spellings (``postal_code``) all meet.
The tables below list only the names that do not meet a wire name that way.
"""

from __future__ import annotations

import re

_NOT_KEY = re.compile(r"[\s_\-.]+")


def column_key(header: str) -> str:
    """``"Postal Code"`` -> ``"postalcode"``: how headers are compared."""
    return _NOT_KEY.sub("", header).lower()


# the entity words the CLI and the native API take, and the entity each names
IMPORT_BATCH = 1000  # rows per transaction, by default
EXPORT_FORMATS = ("csv", "json")  # what `export` writes (CSV is also what import reads)
IMPORT_ENTITIES: dict[str, str] = {
    "companies": "Company",
    "contacts": "Contact",
    "locations": "CompanyLocation",
    "opportunities": "Opportunity",
}

# column key -> wire field name (Autotask import-template names and common spellings)
COLUMN_ALIASES: dict[str, dict[str, str]] = {
    "Company": {
        "name": "companyName",
        "web": "webAddress",
        "website": "webAddress",
        "url": "webAddress",
        "zipcode": "postalCode",
        "zip": "postalCode",
        "active": "isActive",
        "taxexempt": "isTaxExempt",
        "clientportalactive": "isClientPortalActive",
        "marketsegment": "marketSegmentID",
        "territory": "territoryID",
        "companycategory": "companyCategoryID",
        "category": "companyCategoryID",
        "taxregion": "taxRegionID",
        "sic": "sicCode",
        "additionaladdressinfo": "additionalAddressInformation",
    },
    "Contact": {
        "email": "emailAddress",
        "email2": "emailAddress2",
        "email3": "emailAddress3",
        "address1": "addressLine",
        "address": "addressLine",
        "address2": "addressLine1",
        "postalcode": "zipCode",
        "zip": "zipCode",
        "mobile": "mobilePhone",
        "fax": "faxNumber",
        "active": "isActive",
        "primary": "primaryContact",
        "prefix": "namePrefix",
        "suffix": "nameSuffix",
        "linkedin": "linkedInUrl",
        "facebook": "facebookUrl",
        "twitter": "twitterUrl",
    },
    "CompanyLocation": {
        "sitename": "name",
        "locationname": "name",
        "site": "name",
        "location": "name",
        "zipcode": "postalCode",
        "zip": "postalCode",
        "active": "isActive",
        "primary": "isPrimary",
        "primarylocation": "isPrimary",
        "taxexempt": "isTaxExempt",
        "taxregion": "taxRegionID",
    },
    "Opportunity": {
        "opportunityname": "title",
        "name": "title",
        "projectedclose": "projectedCloseDate",
        "closedate": "projectedCloseDate",
        "category": "opportunityCategoryID",
        "opportunitycategory": "opportunityCategoryID",
        "totalamount": "amount",
    },
}

# column key -> reference field resolved from a name (the referenced entity's lookup fields,
# scoped to the row's company when the referenced entity belongs to a company)
NAME_COLUMNS: dict[str, dict[str, str]] = {
    "Company": {
        "parentcompany": "parentCompanyID",
        "parentcompanyname": "parentCompanyID",
        "accountmanager": "ownerResourceID",
        "owner": "ownerResourceID",
    },
    "Contact": {
        "company": "companyID",
        "companyname": "companyID",
        "sitename": "companyLocationID",
        "location": "companyLocationID",
        "locationname": "companyLocationID",
    },
    "CompanyLocation": {
        "company": "companyID",
        "companyname": "companyID",
    },
    "Opportunity": {
        "company": "companyID",
        "companyname": "companyID",
        "owner": "ownerResourceID",
        "opportunityowner": "ownerResourceID",
        "accountmanager": "ownerResourceID",
        "contact": "contactID",
        "contactemail": "contactID",
    },
}

# the fields that identify an existing record (tried in order; the first whose fields are
# all given is used). Text is compared ignoring letter case and runs of whitespace.
NATURAL_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Company": (("companyName",),),
    "Contact": (("companyID", "emailAddress"), ("companyID", "firstName", "lastName")),
    "CompanyLocation": (("companyID", "name"),),
    "Opportunity": (("companyID", "title"),),
}

# the columns an export writes first, in this order; then every other writable field
EXPORT_LEADING: dict[str, tuple[str, ...]] = {
    "Company": ("companyName", "companyType"),
    "Contact": ("companyID", "firstName", "lastName", "emailAddress"),
    "CompanyLocation": ("companyID", "name"),
    "Opportunity": ("companyID", "title"),
}
