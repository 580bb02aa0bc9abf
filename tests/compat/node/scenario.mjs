// Runs the published @apigrate/autotask-restapi client (npm, pinned in package.json) against a
// live mspcrm server and prints one JSON document with what the client got back.
//
// Input (environment): MSPCRM_URL (http://127.0.0.1:PORT), AUTOTASK_USER, AUTOTASK_SECRET,
// AUTOTASK_INTEGRATION_CODE, PAGING_PREFIX (names of the companies to page through),
// IMPERSONATE_RESOURCE_ID (a staff resource to create a company on behalf of).
//
// How the client finds the server: its `base_url` option is where it asks for the zone
// (`${base_url}v1.0/zoneInformation?user=...`, no auth headers); every later call goes to
// `${zoneInfo.url}V1.0/...`. We set base_url to the server's /ATServicesRest/, so the zone
// comes from the server's ZoneInformation. A fetch guard refuses any host but 127.0.0.1.
import { AutotaskRestApi, AutotaskApiError } from "@apigrate/autotask-restapi";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const serverUrl = env("MSPCRM_URL");
const pagingPrefix = env("PAGING_PREFIX");
const impersonate = Number(env("IMPERSONATE_RESOURCE_ID"));

// ---- the network guard: record every request, allow loopback only ---------------------------
const requests = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = new URL(typeof input === "string" ? input : input.url);
  const method = init.method || "GET";
  requests.push({
    method,
    url: url.href,
    credentials: Boolean(init.headers && init.headers.UserName),
  });
  if (url.hostname !== "127.0.0.1") {
    throw new Error(`refused to contact ${url.host}: only 127.0.0.1 is allowed`);
  }
  return realFetch(input, init);
};

const results = {};
const api = new AutotaskRestApi(
  env("AUTOTASK_USER"),
  env("AUTOTASK_SECRET"),
  env("AUTOTASK_INTEGRATION_CODE"),
  { base_url: `${serverUrl}/ATServicesRest/` },
);

const idsOf = (page) => page.items.map((item) => item.id);

async function scenario() {
  // zone discovery happens lazily, on the first call
  const root = await api.Companies.get(0);
  results.zoneInfo = api.zoneInfo;
  results.root = root.item;

  // create a company (the README's PascalCase example body)
  const created = await api.Companies.create({
    CompanyName: "Sirius Cybernetics Corporation",
    CompanyType: 3,
    Phone: "8005551212",
    City: "Boston",
  });
  const companyId = created.itemId;
  results.createdCompany = created;
  results.company = (await api.Companies.get(companyId)).item;

  // a user-defined field (defined by the test): listed, written, queried with "udf": true
  results.udfInfo = await api.Companies.udfInfo();
  const withUdf = await api.Companies.create({
    companyName: "Milliways",
    companyType: 1,
    userDefinedFields: [{ name: "Number of Employees", value: "42" }],
  });
  results.createdWithUdf = withUdf;
  results.udfQuery = await api.Companies.query({
    filter: [{ op: "gt", field: "Number of Employees", value: 0, udf: true }],
  });

  // query it by name, limiting the fields returned (as in the README)
  results.queryByName = await api.Companies.query({
    filter: [{ op: "eq", field: "CompanyName", value: "Sirius Cybernetics Corporation" }],
    includeFields: ["Id", "companyName", "city", "phone"],
  });
  results.countByName = await api.Companies.count({
    filter: [{ op: "beginsWith", field: "CompanyName", value: "Sirius" }],
  });

  // patch: PATCH /Companies with the id in the body
  results.patch = await api.Companies.update({ id: companyId, phone: "1112223344" });
  results.patchedCompany = (await api.Companies.get(companyId)).item;

  // a contact through the child route: POST/PATCH /Companies/{id}/Contacts
  const contact = await api.CompanyContacts.create(companyId, {
    firstName: "Zaphod",
    lastName: "Beeblebrox",
    emailAddress: "zaphod@sirius.example",
    isActive: 1,
  });
  results.createdContact = contact;
  results.contact = (await api.Contacts.get(contact.itemId)).item;
  results.contactPatch = await api.CompanyContacts.update(companyId, {
    id: contact.itemId,
    title: "President",
  });
  results.patchedContact = (await api.Contacts.get(contact.itemId)).item;
  results.contactsOfCompany = await api.Contacts.query({
    filter: [{ op: "eq", field: "companyID", value: companyId }],
  });

  // a location through the child route: POST /Companies/{id}/Locations
  const location = await api.CompanyLocations.create(companyId, {
    name: "Magrathea Office",
    address1: "1 Planet Factory Way",
    city: "Cambridge",
    isPrimary: false,
  });
  results.createdLocation = location;
  results.location = (await api.CompanyLocations.get(location.itemId)).item;
  results.locationsOfCompany = await api.CompanyLocations.query({
    filter: [{ op: "eq", field: "companyID", value: companyId }],
  });

  // deletes through the child routes: DELETE /Companies/{id}/Contacts|Locations/{childId}
  results.contactDelete = await api.CompanyContacts.delete(companyId, contact.itemId);
  results.contactAfterDelete = await api.Contacts.get(contact.itemId);
  results.locationDelete = await api.CompanyLocations.delete(companyId, location.itemId);
  results.locationAfterDelete = await api.CompanyLocations.get(location.itemId);

  // a create on behalf of another resource (the ImpersonationResourceId header)
  const onBehalf = await api.Companies.create(
    { companyName: "Heart of Gold Ltd", companyType: 1 },
    { ImpersonationResourceId: impersonate },
  );
  results.impersonatedCompany = (await api.Companies.get(onBehalf.itemId)).item;

  // a missing id: the client turns the server's 404 into null
  results.missingCompany = await api.Companies.get(987654);

  // metadata
  const fields = await api.Companies.fieldInfo();
  results.companyFieldNames = fields.fields.map((f) => f.name);
  results.companyInfo = (await api.Companies.info()).info;

  // errors reach the caller as AutotaskApiError with the server's JSON body
  try {
    await api.Companies.query({ filter: [{ op: "eq", field: "noSuchField", value: 1 }] });
    results.badQuery = { thrown: false };
  } catch (err) {
    if (!(err instanceof AutotaskApiError)) throw err;
    results.badQuery = { thrown: true, status: err.status, details: err.details };
  }

  // paging, 1: Autotask's recipe for big result sets (id gt last id, MaxRecords 500)
  const byPrefix = { op: "beginsWith", field: "companyName", value: pagingPrefix };
  results.pagingCount = await api.Companies.count({ filter: [byPrefix] });
  const byId = { ids: [], pageSizes: [] };
  let last = -1;
  for (let guard = 0; guard < 10; guard++) {
    const page = await api.Companies.query({
      filter: [byPrefix, { op: "gt", field: "id", value: last }],
      includeFields: ["id"],
      MaxRecords: 500,
    });
    if (page.items.length === 0) break;
    byId.ids.push(...idsOf(page));
    byId.pageSizes.push(page.items.length);
    last = page.items[page.items.length - 1].id;
  }
  results.pagingById = byId;

  // paging, 2: following nextPageUrl. The client has no paging method, and its request
  // helpers take a path under `${zone}V1.0`, so the absolute nextPageUrl is cut down to that.
  const prefix = `${api.zoneInfo.url}V${api.version}`;
  const byUrl = { ids: [], pageSizes: [], nextPageUrls: [] };
  let page = await api.Companies.query({ filter: [byPrefix] });
  for (let guard = 0; guard < 10; guard++) {
    byUrl.ids.push(...idsOf(page));
    byUrl.pageSizes.push(page.items.length);
    const next = page.pageDetails.nextPageUrl;
    if (!next) break;
    byUrl.nextPageUrls.push(next);
    if (!next.startsWith(prefix)) throw new Error(`nextPageUrl ${next} is not under ${prefix}`);
    page = await api._get(next.slice(prefix.length));
  }
  results.pagingByNextPageUrl = byUrl;
}

let failure = null;
try {
  await scenario();
} catch (err) {
  failure = {
    message: String(err && err.message),
    status: err && err.status,
    details: err && err.details,
  };
}
results.requests = requests;
results.error = failure;
process.stdout.write(JSON.stringify(results) + "\n");
process.exitCode = failure ? 1 : 0;
