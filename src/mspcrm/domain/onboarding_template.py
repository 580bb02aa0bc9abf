"""The documented onboarding file: ``mspcrm onboard --template``, docs/onboarding-template.yaml.

A test checks that the docs file equals it and that it onboards cleanly.
"""

TEMPLATE = """\
# mspcrm onboarding file: `mspcrm onboard client.yaml` (add --dry-run to see the plan first).
#
# One transaction: the company, its contacts, sites, contract and notes are all written,
# or none is. Running the same file again changes nothing ("Nothing to do"); a file that
# grew (a new site, a new note) adds only what is new. Existing records are matched by
# natural key: the company by useExisting / company.id, else its exact name; contacts by
# e-mail; sites by name; the contract by contractName; notes by title. Onboarding adds
# and updates, it never deletes.
#
# Field names are Autotask wire names (see `mspcrm companies describe`); picklist fields
# take a label ("Recurring Service") or a value (5).

# useExisting: 1234        # the duplicate check stops on a likely existing client; name it here

company:
  companyName: Acme Dental Group LLC
  # companyType: Customer  # the default: onboarding makes the client a Customer
  accountManager: ann.lee@msp.example   # a resource's id or e-mail (ownerResourceID)
  phone: "+1 217 555 0100"
  webAddress: https://acmedental.example
  address1: 100 Main Street
  city: Springfield
  state: IL
  postalCode: "62701"
  country: United States
  classification: Gold
  marketSegmentID: Healthcare
  territoryID: North
  billing:
    paymentTerms: 30        # Autotask keeps payment terms on the invoice template: its id
                            # (stored as invoiceTemplateID; `invoiceTemplateID: 30` works too)
    invoiceMethod: Email
    taxRegion: Default      # taxRegionID, by label or value
    isTaxExempt: false
    taxID: 12-3456789

contact:                    # the primary contact (more people: a `contacts:` list)
  firstName: Dana
  lastName: Whitfield
  emailAddress: dana.whitfield@acmedental.example
  phone: "+1 217 555 0101"
  title: Practice Manager
  roles: [Authorizes work, Billing contact, Primary decision maker]

contacts:
  - firstName: Sam
    lastName: Ortiz
    emailAddress: sam.ortiz@acmedental.example
    title: IT Coordinator
    roles: [Technical contact]

sites:                      # one or more; exactly one `primary: true` when there are several
  - name: Head Office
    primary: true
    address1: 100 Main Street
    city: Springfield
    state: IL
    postalCode: "62701"
    country: US
    phone: "+1 217 555 0100"
  - name: North Clinic
    address1: 8 Lake Road
    city: Springfield
    state: IL
    postalCode: "62702"

contract:                   # matched by contractName
  contractName: Acme Dental - Managed Services
  contractType: Recurring Service
  contractCategory: Managed Services
  status: Active
  startDate: 2026-01-01
  endDate: 2026-12-31
  serviceLevelAgreementID: Premium (24x7)
  contractPeriodType: Monthly
  estimatedRevenue: 36000
  isDefaultContract: true
  description: Fully managed IT for both clinics

notes:                      # matched by title
  - title: Key account information
    description: Two clinics; imaging server at Head Office; backups to the cloud nightly.
    actionType: Key Account Information
  - title: Onboarding call
    description: Kick-off call held with Dana and Sam.
    actionType: Onboarding
"""
