"""Generated from the entity declarations by ``python -m mspcrm.domain.sdk_module``:
do not edit (a test compares it with the declarations).

``DECLARED_ENTITIES`` names every entity an mspcrm server declares; each ``TypedDict``
describes a record of one entity as the wire has it, so editors complete field names.
Records stay plain ``dict`` objects at run time: ``company: Company = client.companies.get(1)``.
"""

from __future__ import annotations

from typing import Any, TypedDict

DECLARED_ENTITIES: tuple[tuple[str, str], ...] = (
    ("Companies", "Company"),
    ("Contacts", "Contact"),
    ("CompanyLocations", "CompanyLocation"),
    ("Opportunities", "Opportunity"),
    ("Contracts", "Contract"),
    ("CompanyNotes", "CompanyNote"),
    ("ContactRoles", "ContactRole"),
    ("Resources", "Resource"),
    ("Countries", "Country"),
    ("CompanyWebhooks", "CompanyWebhook"),
    ("CompanyWebhookFields", "CompanyWebhookField"),
    ("CompanyWebhookUdfFields", "CompanyWebhookUdfField"),
    ("CompanyWebhookExcludedResources", "CompanyWebhookExcludedResource"),
    ("ContactWebhooks", "ContactWebhook"),
    ("ContactWebhookFields", "ContactWebhookField"),
    ("ContactWebhookUdfFields", "ContactWebhookUdfField"),
    ("ContactWebhookExcludedResources", "ContactWebhookExcludedResource"),
    ("CompanyLocationWebhooks", "CompanyLocationWebhook"),
    ("CompanyLocationWebhookFields", "CompanyLocationWebhookField"),
    ("CompanyLocationWebhookExcludedResources", "CompanyLocationWebhookExcludedResource"),
    ("OpportunityWebhooks", "OpportunityWebhook"),
    ("OpportunityWebhookFields", "OpportunityWebhookField"),
    ("OpportunityWebhookUdfFields", "OpportunityWebhookUdfField"),
    ("OpportunityWebhookExcludedResources", "OpportunityWebhookExcludedResource"),
    ("ContractWebhooks", "ContractWebhook"),
    ("ContractWebhookFields", "ContractWebhookField"),
    ("ContractWebhookUdfFields", "ContractWebhookUdfField"),
    ("ContractWebhookExcludedResources", "ContractWebhookExcludedResource"),
    ("CompanyNoteWebhooks", "CompanyNoteWebhook"),
    ("CompanyNoteWebhookFields", "CompanyNoteWebhookField"),
    ("CompanyNoteWebhookExcludedResources", "CompanyNoteWebhookExcludedResource"),
    ("WebhookEventErrorLogs", "WebhookEventErrorLog"),
)


class UserDefinedField(TypedDict):
    name: str
    value: Any


class Company(TypedDict, total=False):
    """A record of ``Companies``."""

    id: int
    additionalAddressInformation: str | None
    address1: str | None
    address2: str | None
    alternatePhone1: str | None
    alternatePhone2: str | None
    apiVendorID: int | None
    assetValue: float | None
    billToCompanyLocationID: int | None
    billToAdditionalAddressInformation: str | None
    billingAddress1: str | None
    billingAddress2: str | None
    billToAddressToUse: int | None
    billToAttention: str | None
    billToCity: str | None
    billToState: str | None
    billToZipCode: str | None
    billToCountryID: int | None
    city: str | None
    classification: int | None
    companyCategoryID: int | None
    companyName: str | None
    companyNumber: str | None
    companyType: int | None
    competitorID: int | None
    countryID: int | None
    createDate: str | None
    createdByResourceID: int | None
    currencyID: int | None
    fax: str | None
    impersonatorCreatorResourceID: int | None
    invoiceEmailMessageID: int | None
    invoiceMethod: int | None
    invoiceNonContractItemsToParentCompany: bool | None
    invoiceTemplateID: int | None
    isActive: bool | None
    isClientPortalActive: bool | None
    isEnabledForComanaged: bool | None
    isTaskFireActive: bool | None
    isTaxExempt: bool | None
    lastActivityDate: str | None
    lastTrackedModifiedDateTime: str | None
    marketSegmentID: int | None
    ownerResourceID: int | None
    parentCompanyID: int | None
    phone: str | None
    postalCode: str | None
    purchaseOrderTemplateID: int | None
    quoteEmailMessageID: int | None
    quoteTemplateID: int | None
    sicCode: str | None
    state: str | None
    stockMarket: str | None
    stockSymbol: str | None
    surveyCompanyRating: float | None
    taxID: str | None
    taxRegionID: int | None
    territoryID: int | None
    webAddress: str | None
    userDefinedFields: list[UserDefinedField]


class Contact(TypedDict, total=False):
    """A record of ``Contacts``."""

    id: int
    additionalAddressInformation: str | None
    addressLine: str | None
    addressLine1: str | None
    alternatePhone: str | None
    apiVendorID: int | None
    bulkEmailOptOutTime: str | None
    city: str | None
    companyID: int | None
    companyLocationID: int | None
    countryID: int | None
    createDate: str | None
    emailAddress: str | None
    emailAddress2: str | None
    emailAddress3: str | None
    extension: str | None
    externalID: str | None
    facebookUrl: str | None
    faxNumber: str | None
    firstName: str | None
    impersonatorCreatorResourceID: int | None
    isActive: int | None
    isOptedOutFromBulkEmail: bool | None
    lastActivityDate: str | None
    lastModifiedDate: str | None
    lastName: str | None
    linkedInUrl: str | None
    middleInitial: str | None
    mobilePhone: str | None
    namePrefix: int | None
    nameSuffix: int | None
    note: str | None
    receivesEmailNotifications: bool | None
    phone: str | None
    primaryContact: bool | None
    roomNumber: str | None
    solicitationOptOut: bool | None
    solicitationOptOutTime: str | None
    state: str | None
    surveyOptOut: bool | None
    title: str | None
    twitterUrl: str | None
    zipCode: str | None
    userDefinedFields: list[UserDefinedField]


class CompanyLocation(TypedDict, total=False):
    """A record of ``CompanyLocations``."""

    id: int
    address1: str | None
    address2: str | None
    alternatePhone1: str | None
    alternatePhone2: str | None
    city: str | None
    companyID: int | None
    countryID: int | None
    description: str | None
    fax: str | None
    isActive: bool | None
    isPrimary: bool | None
    isTaxExempt: bool | None
    overrideCompanyTaxSettings: bool | None
    name: str | None
    phone: str | None
    postalCode: str | None
    roundtripDistance: float | None
    state: str | None
    taxRegionID: int | None


class Opportunity(TypedDict, total=False):
    """A record of ``Opportunities``."""

    id: int
    advancedField1: float | None
    advancedField2: float | None
    advancedField3: float | None
    advancedField4: float | None
    advancedField5: float | None
    amount: float | None
    assessmentScore: float | None
    barriers: str | None
    closedDate: str | None
    companyID: int | None
    contactID: int | None
    cost: float | None
    createDate: str | None
    creatorResourceID: int | None
    description: str | None
    helpNeeded: str | None
    impersonatorCreatorResourceID: int | None
    lastActivity: str | None
    leadSource: int | None
    lossReason: int | None
    lossReasonDetail: str | None
    lostDate: str | None
    market: str | None
    monthlyCost: float | None
    monthlyRevenue: float | None
    nextStep: str | None
    onetimeCost: float | None
    onetimeRevenue: float | None
    opportunityCategoryID: int | None
    organizationalLevelAssociationID: int | None
    ownerResourceID: int | None
    primaryCompetitor: int | None
    probability: int | None
    productID: int | None
    projectedCloseDate: str | None
    promisedFulfillmentDate: str | None
    promotionName: str | None
    quarterlyCost: float | None
    quarterlyRevenue: float | None
    rating: int | None
    relationshipAssessmentScore: float | None
    revenueSpread: int | None
    revenueSpreadUnit: str | None
    salesOrderID: int | None
    salesProcessPercentComplete: float | None
    semiannualCost: float | None
    semiannualRevenue: float | None
    stage: int | None
    startDate: str | None
    status: int | None
    technicalAssessmentScore: float | None
    throughDate: str | None
    title: str | None
    totalAmountMonths: int | None
    useQuoteTotals: bool | None
    winReason: int | None
    winReasonDetail: str | None
    yearlyCost: float | None
    yearlyRevenue: float | None
    userDefinedFields: list[UserDefinedField]


class Contract(TypedDict, total=False):
    """A record of ``Contracts``."""

    id: int
    billingPreference: int | None
    billToCompanyContactID: int | None
    billToCompanyID: int | None
    companyID: int | None
    contactID: int | None
    contactName: str | None
    contractCategory: int | None
    contractExclusionSetID: int | None
    contractName: str | None
    contractNumber: str | None
    contractPeriodType: int | None
    contractType: int | None
    description: str | None
    endDate: str | None
    estimatedCost: float | None
    estimatedHours: float | None
    estimatedRevenue: float | None
    exclusionContractID: int | None
    internalCurrencyOverageBillingRate: float | None
    internalCurrencySetupFee: float | None
    isCompliant: bool | None
    isDefaultContract: bool | None
    lastModifiedDateTime: str | None
    opportunityID: int | None
    organizationalLevelAssociationID: int | None
    overageBillingRate: float | None
    purchaseOrderNumber: str | None
    renewedContractID: int | None
    serviceLevelAgreementID: int | None
    setupFee: float | None
    setupFeeBillingCodeID: int | None
    startDate: str | None
    status: int | None
    timeReportingRequiresStartAndStopTimes: bool | None
    userDefinedFields: list[UserDefinedField]


class CompanyNote(TypedDict, total=False):
    """A record of ``CompanyNotes``."""

    id: int
    actionType: int | None
    assignedResourceID: int | None
    companyID: int | None
    completedDateTime: str | None
    contactID: int | None
    createDateTime: str | None
    creatorResourceID: int | None
    description: str | None
    endDateTime: str | None
    impersonatorCreatorResourceID: int | None
    lastModifiedDate: str | None
    noteType: int | None
    opportunityID: int | None
    startDateTime: str | None
    title: str | None


class ContactRole(TypedDict, total=False):
    """A record of ``ContactRoles``."""

    id: int
    companyID: int | None
    contactID: int | None
    createDate: str | None
    notes: str | None
    role: int | None


class Resource(TypedDict, total=False):
    """A record of ``Resources``."""

    id: int
    email: str | None
    email2: str | None
    email3: str | None
    firstName: str | None
    hireDate: str | None
    initials: str | None
    isActive: bool | None
    lastName: str | None
    licenseType: int | None
    middleName: str | None
    mobilePhone: str | None
    officeExtension: str | None
    officePhone: str | None
    resourceType: str | None
    securityLevel: str | None
    title: str | None
    userName: str | None
    userType: int | None


class Country(TypedDict, total=False):
    """A record of ``Countries``."""

    id: int
    addressFormatID: int | None
    countryCode: str | None
    displayName: str | None
    invoiceTemplateID: int | None
    isActive: bool | None
    isDefaultCountry: bool | None
    name: str | None
    quoteTemplateID: int | None


class CompanyWebhook(TypedDict, total=False):
    """A record of ``CompanyWebhooks``."""

    id: int
    deactivationUrl: str | None
    isActive: bool | None
    isReady: bool | None
    isSubscribedToCreateEvents: bool | None
    isSubscribedToDeleteEvents: bool | None
    isSubscribedToUpdateEvents: bool | None
    name: str | None
    notificationEmailAddress: str | None
    ownerResourceID: int | None
    secretKey: str | None
    sendThresholdExceededNotification: bool | None
    webhookGUID: str | None
    webhookUrl: str | None


class CompanyWebhookField(TypedDict, total=False):
    """A record of ``CompanyWebhookFields``."""

    id: int
    fieldID: int | None
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    webhookID: int | None


class CompanyWebhookUdfField(TypedDict, total=False):
    """A record of ``CompanyWebhookUdfFields``."""

    id: int
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    udfFieldID: int | None
    webhookID: int | None


class CompanyWebhookExcludedResource(TypedDict, total=False):
    """A record of ``CompanyWebhookExcludedResources``."""

    id: int
    resourceID: int | None
    webhookID: int | None


class ContactWebhook(TypedDict, total=False):
    """A record of ``ContactWebhooks``."""

    id: int
    deactivationUrl: str | None
    isActive: bool | None
    isReady: bool | None
    isSubscribedToCreateEvents: bool | None
    isSubscribedToDeleteEvents: bool | None
    isSubscribedToUpdateEvents: bool | None
    name: str | None
    notificationEmailAddress: str | None
    ownerResourceID: int | None
    secretKey: str | None
    sendThresholdExceededNotification: bool | None
    webhookGUID: str | None
    webhookUrl: str | None


class ContactWebhookField(TypedDict, total=False):
    """A record of ``ContactWebhookFields``."""

    id: int
    fieldID: int | None
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    webhookID: int | None


class ContactWebhookUdfField(TypedDict, total=False):
    """A record of ``ContactWebhookUdfFields``."""

    id: int
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    udfFieldID: int | None
    webhookID: int | None


class ContactWebhookExcludedResource(TypedDict, total=False):
    """A record of ``ContactWebhookExcludedResources``."""

    id: int
    resourceID: int | None
    webhookID: int | None


class CompanyLocationWebhook(TypedDict, total=False):
    """A record of ``CompanyLocationWebhooks``."""

    id: int
    deactivationUrl: str | None
    isActive: bool | None
    isReady: bool | None
    isSubscribedToCreateEvents: bool | None
    isSubscribedToDeleteEvents: bool | None
    isSubscribedToUpdateEvents: bool | None
    name: str | None
    notificationEmailAddress: str | None
    ownerResourceID: int | None
    secretKey: str | None
    sendThresholdExceededNotification: bool | None
    webhookGUID: str | None
    webhookUrl: str | None


class CompanyLocationWebhookField(TypedDict, total=False):
    """A record of ``CompanyLocationWebhookFields``."""

    id: int
    fieldID: int | None
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    webhookID: int | None


class CompanyLocationWebhookExcludedResource(TypedDict, total=False):
    """A record of ``CompanyLocationWebhookExcludedResources``."""

    id: int
    resourceID: int | None
    webhookID: int | None


class OpportunityWebhook(TypedDict, total=False):
    """A record of ``OpportunityWebhooks``."""

    id: int
    deactivationUrl: str | None
    isActive: bool | None
    isReady: bool | None
    isSubscribedToCreateEvents: bool | None
    isSubscribedToDeleteEvents: bool | None
    isSubscribedToUpdateEvents: bool | None
    name: str | None
    notificationEmailAddress: str | None
    ownerResourceID: int | None
    secretKey: str | None
    sendThresholdExceededNotification: bool | None
    webhookGUID: str | None
    webhookUrl: str | None


class OpportunityWebhookField(TypedDict, total=False):
    """A record of ``OpportunityWebhookFields``."""

    id: int
    fieldID: int | None
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    webhookID: int | None


class OpportunityWebhookUdfField(TypedDict, total=False):
    """A record of ``OpportunityWebhookUdfFields``."""

    id: int
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    udfFieldID: int | None
    webhookID: int | None


class OpportunityWebhookExcludedResource(TypedDict, total=False):
    """A record of ``OpportunityWebhookExcludedResources``."""

    id: int
    resourceID: int | None
    webhookID: int | None


class ContractWebhook(TypedDict, total=False):
    """A record of ``ContractWebhooks``."""

    id: int
    deactivationUrl: str | None
    isActive: bool | None
    isReady: bool | None
    isSubscribedToCreateEvents: bool | None
    isSubscribedToDeleteEvents: bool | None
    isSubscribedToUpdateEvents: bool | None
    name: str | None
    notificationEmailAddress: str | None
    ownerResourceID: int | None
    secretKey: str | None
    sendThresholdExceededNotification: bool | None
    webhookGUID: str | None
    webhookUrl: str | None


class ContractWebhookField(TypedDict, total=False):
    """A record of ``ContractWebhookFields``."""

    id: int
    fieldID: int | None
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    webhookID: int | None


class ContractWebhookUdfField(TypedDict, total=False):
    """A record of ``ContractWebhookUdfFields``."""

    id: int
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    udfFieldID: int | None
    webhookID: int | None


class ContractWebhookExcludedResource(TypedDict, total=False):
    """A record of ``ContractWebhookExcludedResources``."""

    id: int
    resourceID: int | None
    webhookID: int | None


class CompanyNoteWebhook(TypedDict, total=False):
    """A record of ``CompanyNoteWebhooks``."""

    id: int
    deactivationUrl: str | None
    isActive: bool | None
    isReady: bool | None
    isSubscribedToCreateEvents: bool | None
    isSubscribedToDeleteEvents: bool | None
    isSubscribedToUpdateEvents: bool | None
    name: str | None
    notificationEmailAddress: str | None
    ownerResourceID: int | None
    secretKey: str | None
    sendThresholdExceededNotification: bool | None
    webhookGUID: str | None
    webhookUrl: str | None


class CompanyNoteWebhookField(TypedDict, total=False):
    """A record of ``CompanyNoteWebhookFields``."""

    id: int
    fieldID: int | None
    isDisplayAlwaysField: bool | None
    isSubscribedField: bool | None
    webhookID: int | None


class CompanyNoteWebhookExcludedResource(TypedDict, total=False):
    """A record of ``CompanyNoteWebhookExcludedResources``."""

    id: int
    resourceID: int | None
    webhookID: int | None


class WebhookEventErrorLog(TypedDict, total=False):
    """A record of ``WebhookEventErrorLogs``."""

    id: int
    accountWebhookID: int | None
    companyLocationWebhookID: int | None
    companyNoteWebhookID: int | None
    contactWebhookID: int | None
    contractWebhookID: int | None
    opportunityWebhookID: int | None
    createDateTime: str | None
    errorMessage: str | None
    payload: str | None
    sequenceNumber: int | None


__all__ = [
    "DECLARED_ENTITIES",
    "Company",
    "CompanyLocation",
    "CompanyLocationWebhook",
    "CompanyLocationWebhookExcludedResource",
    "CompanyLocationWebhookField",
    "CompanyNote",
    "CompanyNoteWebhook",
    "CompanyNoteWebhookExcludedResource",
    "CompanyNoteWebhookField",
    "CompanyWebhook",
    "CompanyWebhookExcludedResource",
    "CompanyWebhookField",
    "CompanyWebhookUdfField",
    "Contact",
    "ContactRole",
    "ContactWebhook",
    "ContactWebhookExcludedResource",
    "ContactWebhookField",
    "ContactWebhookUdfField",
    "Contract",
    "ContractWebhook",
    "ContractWebhookExcludedResource",
    "ContractWebhookField",
    "ContractWebhookUdfField",
    "Country",
    "Opportunity",
    "OpportunityWebhook",
    "OpportunityWebhookExcludedResource",
    "OpportunityWebhookField",
    "OpportunityWebhookUdfField",
    "Resource",
    "UserDefinedField",
    "WebhookEventErrorLog",
]
