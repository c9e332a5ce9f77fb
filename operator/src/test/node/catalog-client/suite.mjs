// Backstage's own CatalogClient (@backstage/catalog-client, from npm) against Tarmac's catalog API. Run by
// BackstageClientApiServerTest with CATALOG_URL (…/api/catalog), TOKEN (a ServiceAccount token) and TARMAC_NS (the
// namespace of a Tarmac Component "ledger" owned by group:default/payments-team, providing API "ledger-api").
// Every read method of CatalogClient is called; the write methods are called to check they are refused. Expected
// relations are written by hand from Backstage's processing rules (BuiltinKindsEntityProcessor), not from Tarmac's
// output. Prints one JSON object per method on stdout; exits non-zero on the first failed assertion.
import assert from 'node:assert/strict';
import { CatalogClient } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';

const baseUrl = process.env.CATALOG_URL;
const token = process.env.TOKEN;
const ns = process.env.TARMAC_NS;
const client = new CatalogClient({
  discoveryApi: { getBaseUrl: async () => baseUrl },
  fetchApi: { fetch: (url, init) => fetch(url, init) },
});
const opts = { token };
const called = [];
const report = (method, detail) => {
  called.push(method);
  console.log(JSON.stringify({ method, ...detail }));
};
const rel = (entity, type) =>
  entity.relations.filter(r => r.type === type).map(r => r.targetRef);
// Entities from Backstage descriptors stored in the cluster (other tests' Tarmac objects share the API server).
const fromDescriptors = {
  'metadata.annotations.backstage.io/managed-by-location': { $hasPrefix: 'kubernetes:backstage.io/' },
};

// ---- getEntities: filter, fields, order, offset, limit, after ---------------------------------------------------
{
  const { items } = await client.getEntities(
    { filter: { kind: 'Group', 'metadata.namespace': 'portefaix' }, fields: ['metadata.name'] }, opts);
  assert.deepEqual(items.map(e => e.metadata.name).sort(),
    ['bu-engineering', 'org-portefaix', 'team-infra']);
  assert.deepEqual(Object.keys(items[0]), ['metadata']);
  const ordered = await client.getEntities({
    filter: [{ kind: 'Domain' }],
    order: { field: 'metadata.name', order: 'desc' },
    fields: ['metadata.name'],
  }, opts);
  assert.deepEqual(ordered.items.map(e => e.metadata.name),
    ['tools', 'sre', 'platform', 'payments-domain', 'commerce']);
  const page = await client.getEntities({
    filter: { kind: 'Domain' }, order: { field: 'metadata.name', order: 'asc' }, offset: 1, limit: 2,
    fields: ['metadata.name'],
  }, opts);
  assert.deepEqual(page.items.map(e => e.metadata.name), ['payments-domain', 'platform']);
  const after = Buffer.from(JSON.stringify({ limit: 2, offset: 3 })).toString('base64');
  const next = await client.getEntities({
    filter: { kind: 'Domain' }, order: { field: 'metadata.name', order: 'asc' }, after, fields: ['metadata.name'],
  }, opts);
  assert.deepEqual(next.items.map(e => e.metadata.name), ['sre', 'tools']);
  report('getEntities', { groups: items.length, domains: ordered.items.length });
}

// ---- getEntitiesByRefs: order kept, undefined for unknown refs, fields, filter ------------------------------------
{
  const refs = ['component:default/checkout-api', 'api:default/nope', 'group:portefaix/team-infra'];
  const { items } = await client.getEntitiesByRefs({ entityRefs: refs, fields: ['kind', 'metadata.name'] }, opts);
  assert.deepEqual(items, [
    { kind: 'Component', metadata: { name: 'checkout-api' } },
    undefined,
    { kind: 'Group', metadata: { name: 'team-infra' } },
  ]);
  const filtered = await client.getEntitiesByRefs({ entityRefs: refs, filter: { kind: 'group' } }, opts);
  assert.equal(filtered.items[0], undefined);
  assert.equal(filtered.items[2].metadata.name, 'team-infra');
  const queried = await client.getEntitiesByRefs({
    entityRefs: refs, query: { kind: 'component' }, fields: ['metadata.name'],
  }, opts);
  assert.deepEqual(queried.items, [{ metadata: { name: 'checkout-api' } }, undefined, undefined]);
  report('getEntitiesByRefs', { items: items.length });
}

// ---- queryEntities: filter, orderFields and cursors both ways, predicate query, fullTextFilter, totalItems -------
{
  const expected = ['backstage-showcase', 'checkout-api', 'checkout-web', 'rhdh'];
  const first = await client.queryEntities({
    filter: { kind: 'component', 'spec.lifecycle': 'production', 'metadata.namespace': 'default' },
    orderFields: { field: 'metadata.name', order: 'asc' },
    limit: 3,
  }, opts);
  assert.equal(first.totalItems, 4);
  assert.deepEqual(first.items.map(e => e.metadata.name), expected.slice(0, 3));
  assert.ok(first.pageInfo.nextCursor);
  assert.equal(first.pageInfo.prevCursor, undefined);
  const second = await client.queryEntities({ cursor: first.pageInfo.nextCursor, limit: 3 }, opts);
  assert.deepEqual(second.items.map(e => e.metadata.name), expected.slice(3));
  assert.equal(second.totalItems, 4);
  assert.equal(second.pageInfo.nextCursor, undefined);
  const back = await client.queryEntities({ cursor: second.pageInfo.prevCursor, limit: 3 }, opts);
  assert.deepEqual(back.items.map(e => e.metadata.name), expected.slice(0, 3));

  const predicate = await client.queryEntities({
    query: {
      $all: [
        { kind: 'component' },
        { $not: { 'spec.type': 'website' } },
        { 'metadata.namespace': { $in: ['default', 'portefaix'] } },
        { 'relations.ownedBy': { $exists: true } },
        { $any: [{ 'spec.system': 'checkout-system' }, { 'metadata.tags': { $contains: 'rhdh' } }] },
      ],
    },
    orderFields: [{ field: 'metadata.name', order: 'desc' }],
    fields: ['metadata.name'],
    limit: 1,
  }, opts);
  assert.equal(predicate.totalItems, 2);
  assert.deepEqual(predicate.items, [{ metadata: { name: 'rhdh' } }]);
  const predicateNext = await client.queryEntities({ cursor: predicate.pageInfo.nextCursor }, opts);
  assert.deepEqual(predicateNext.items.map(e => e.metadata.name), ['checkout-api']);

  const text = await client.queryEntities({
    filter: { kind: 'component' },
    fullTextFilter: { term: 'SHOWCASE', fields: ['metadata.name', 'metadata.title'] },
  }, opts);
  assert.deepEqual(text.items.map(e => e.metadata.name), ['backstage-showcase']);
  const noTotal = await client.queryEntities({ filter: { kind: 'domain' }, totalItems: 'exclude', limit: 2 }, opts);
  assert.equal(noTotal.totalItems, 0);
  assert.equal(noTotal.items.length, 2);

  const streamed = [];
  for await (const page of client.streamEntities({ query: { $all: [{ kind: 'group' }, fromDescriptors] },
    pageSize: 2, fields: ['metadata.name', 'metadata.namespace'] }, opts)) {
    assert.ok(page.length <= 2);
    streamed.push(...page.map(e => `${e.metadata.namespace}/${e.metadata.name}`));
  }
  assert.deepEqual(streamed.sort(), ['default/guests', 'default/janus-authors', 'default/payments-team',
    'default/rhdh-team', 'default/team-dev', 'portefaix/bu-engineering', 'portefaix/org-portefaix',
    'portefaix/team-infra']);
  report('queryEntities', { pages: 3, predicate: predicate.totalItems, streamed: streamed.length });
  report('streamEntities', { groups: streamed.length });
}

// ---- getEntityByRef: Backstage's relations, both directions, default kinds and namespaces -------------------------
{
  const api = await client.getEntityByRef('component:default/checkout-api', opts);
  assert.deepEqual(api.relations.map(r => `${r.type} ${r.targetRef}`), [
    'dependencyOf component:default/checkout-web',
    'dependsOn resource:default/orders-db',
    'hasPart component:default/checkout-web',
    'ownedBy group:default/payments-team',
    'partOf system:default/checkout-system',
    'providesApi api:default/checkout-openapi',
  ]);
  const web = await client.getEntityByRef('component:default/checkout-web', opts);
  assert.deepEqual(web.relations.map(r => `${r.type} ${r.targetRef}`), [
    'consumesApi api:default/checkout-openapi',
    'dependsOn component:default/checkout-api',
    'ownedBy user:default/alice',
    'partOf component:default/checkout-api',
  ]);
  const openapi = await client.getEntityByRef('api:default/checkout-openapi', opts);
  assert.deepEqual(rel(openapi, 'apiProvidedBy'), ['component:default/checkout-api']);
  assert.deepEqual(rel(openapi, 'apiConsumedBy'), ['component:default/checkout-web']);
  const team = await client.getEntityByRef('group:default/payments-team', opts);
  assert.deepEqual(rel(team, 'childOf'), ['group:default/guests']);
  assert.deepEqual(rel(team, 'hasMember'), ['user:default/alice']);
  // A Tarmac Component (platform.tarmac.dev) in the same index, owned by this Backstage Group.
  assert.deepEqual(rel(team, 'ownerOf'), ['api:default/checkout-openapi', 'api:default/ledger-api',
    'component:default/My_Service', 'component:default/checkout-api', `component:${ns}/ledger`, 'resource:default/orders-db',
    'system:default/checkout-system']);
  const guests = await client.getEntityByRef({ kind: 'group', namespace: 'default', name: 'guests' }, opts);
  assert.deepEqual(rel(guests, 'parentOf'), ['group:default/payments-team']);
  assert.deepEqual(rel(guests, 'hasMember'), ['user:default/alice', 'user:default/guest']);
  assert.deepEqual(rel(guests, 'ownerOf'), ['api:default/example-grpc-api', 'component:default/example-website',
    'domain:default/commerce', 'domain:default/payments-domain', 'system:default/examples']);
  const alice = await client.getEntityByRef('user:default/alice', opts);
  assert.deepEqual(alice.relations.map(r => `${r.type} ${r.targetRef}`), [
    'memberOf group:default/guests', 'memberOf group:default/payments-team', 'ownerOf component:default/checkout-web']);
  const sub = await client.getEntityByRef('domain:default/payments-domain', opts);
  assert.deepEqual(sub.relations.map(r => `${r.type} ${r.targetRef}`), [
    'hasPart system:default/checkout-system', 'ownedBy group:default/guests', 'partOf domain:default/commerce']);
  const system = await client.getEntityByRef('system:default/checkout-system', opts);
  assert.deepEqual(rel(system, 'hasPart'), ['api:default/checkout-openapi', 'component:default/checkout-api',
    'resource:default/orders-db']);
  // Backstage's metadata fields, which the API server drops from metadata, come back.
  assert.equal(system.metadata.title, 'Checkout');
  assert.equal(system.metadata.description, 'Everything that takes an order');
  assert.deepEqual(system.metadata.tags, ['java', 'payments']);
  assert.deepEqual(system.metadata.links, [{ url: 'https://example.com/checkout', title: 'Runbook' }]);
  assert.equal(system.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], undefined);
  // The example catalogs: portefaix's team-dev is in default, so bu-engineering's child link dangles.
  const bu = await client.getEntityByRef('group:portefaix/bu-engineering', opts);
  assert.deepEqual(rel(bu, 'parentOf'), ['group:portefaix/team-dev', 'group:portefaix/team-infra']);
  assert.deepEqual(rel(bu, 'childOf'), ['group:portefaix/org-portefaix']);
  const showcase = await client.getEntityByRef('component:default/backstage-showcase', opts);
  assert.deepEqual(rel(showcase, 'dependsOn'), ['resource:default/argocd', 'resource:default/github',
    'resource:default/keycloak', 'resource:default/obc', 'resource:default/pgdb']);
  assert.equal(showcase.metadata.title, 'Backstage Showcase');
  const demo = await client.getEntityByRef('component:default/backstage-demo', opts);
  assert.deepEqual(demo.relations.map(r => `${r.type} ${r.targetRef}`), [
    'consumesApi api:default/demo-graphql', 'ownedBy group:backstage/maintainers']);
  const renamed = await client.getEntityByRef('component:default/My_Service', opts);
  assert.equal(renamed.metadata.name, 'My_Service');
  assert.equal(renamed.metadata.title, 'Mine');
  assert.equal(await client.getEntityByRef('component:default/nope', opts), undefined);
  report('getEntityByRef', { checked: 12 });
}

// ---- getEntityAncestors --------------------------------------------------------------------------------------------
{
  const own = await client.getEntityAncestors({ entityRef: 'component:default/checkout-api' }, opts);
  assert.equal(own.rootEntityRef, 'component:default/checkout-api');
  assert.deepEqual(own.items.map(i => [stringifyEntityRef(i.entity), i.parentEntityRefs]),
    [['component:default/checkout-api', []]]);
  const derived = await client.getEntityAncestors({ entityRef: 'api:default/ledger-api' }, opts);
  assert.deepEqual(derived.items.map(i => [stringifyEntityRef(i.entity), i.parentEntityRefs]), [
    ['api:default/ledger-api', [`component:${ns}/ledger`]],
    [`component:${ns}/ledger`, []],
  ]);
  await assert.rejects(client.getEntityAncestors({ entityRef: 'component:default/nope' }, opts),
    e => e.response?.status === 404 && e.body?.error?.name === 'NotFoundError');
  report('getEntityAncestors', { items: derived.items.length });
}

// ---- getEntityFacets: with filter (GET) and with query (POST) ------------------------------------------------------
{
  const { facets } = await client.getEntityFacets({
    facets: ['kind', 'metadata.tags'], filter: { 'metadata.namespace': 'portefaix' },
  }, opts);
  assert.deepEqual(facets.kind, [
    { value: 'Domain', count: 3 }, { value: 'Group', count: 3 }, { value: 'Location', count: 5 },
    { value: 'System', count: 3 }]);
  assert.deepEqual(facets['metadata.tags'], []);
  const byQuery = await client.getEntityFacets({
    facets: ['spec.type'], query: { $all: [{ kind: 'resource' }, fromDescriptors] },
  }, opts);
  assert.deepEqual(byQuery.facets['spec.type'], [
    { value: 'database', count: 2 }, { value: 'identity-provider', count: 2 }, { value: 'repository', count: 1 },
    { value: 's3-bucket', count: 1 }]);
  const both = await client.getEntityFacets({
    facets: ['relations.ownedBy'], filter: { kind: 'system' }, query: fromDescriptors,
  }, opts);
  assert.deepEqual(both.facets['relations.ownedBy'].find(f => f.value === 'group:portefaix/team-infra'),
    { value: 'group:portefaix/team-infra', count: 3 });
  report('getEntityFacets', { kinds: facets.kind.length });
}

// ---- locations: the targets of the Location objects -----------------------------------------------------------
{
  const { items } = await client.getLocations({}, opts);
  assert.equal(items.length, 32);
  const org = items.find(l => l.target === './groups/org.yaml');
  assert.deepEqual({ ...org, id: undefined },
    { id: undefined, type: 'url', target: './groups/org.yaml', entityRef: 'location:portefaix/groups' });
  const byRef = await client.getLocationByRef('url:https://example.com/own/catalog-info.yaml', opts);
  assert.equal(byRef.entityRef, 'location:default/own-catalog');
  const byId = await client.getLocationById(org.id, opts);
  assert.deepEqual(byId, org);
  assert.equal(await client.getLocationById('00000000-0000-0000-0000-000000000000', opts), undefined);
  const remote = [];
  for await (const page of client.streamLocations({ query: { target: { $hasPrefix: 'https://' } }, limit: 2 },
    opts)) {
    remote.push(...page.map(l => l.target));
  }
  assert.deepEqual(remote.sort(), ['https://example.com/own/catalog-info.yaml',
    'https://github.com/portefaix/portefaix-infrastructure/tree/master/catalog/catalog-info.yaml',
    'https://github.com/portefaix/portefaix-kubernetes/tree/master/catalog/catalog-info.yaml']);
  const queried = await client.queryLocations({ limit: 2, query: { target: { $hasPrefix: 'https://' } } }, opts);
  assert.equal(queried.totalItems, 3);
  assert.equal(queried.items.length, 2);
  assert.ok(queried.pageInfo.nextCursor);
  // An entity applied with kubectl has no registered location: Backstage answers 404, the client undefined.
  assert.equal(await client.getLocationByEntity('component:default/checkout-api', opts), undefined);
  report('getLocations', { locations: items.length });
  report('getLocationByRef', {});
  report('getLocationById', {});
  report('queryLocations', { remote: queried.totalItems });
  report('streamLocations', { remote: remote.length });
  report('getLocationByEntity', {});
}

// ---- refreshEntity, validateEntity ----------------------------------------------------------------------------
{
  await client.refreshEntity('component:default/checkout-api', opts);
  const valid = await client.validateEntity({
    apiVersion: 'backstage.io/v1alpha1', kind: 'Component',
    metadata: { name: 'new-service', title: 'New', tags: ['java'] },
    spec: { type: 'service', lifecycle: 'experimental', owner: 'payments-team' },
  }, 'url:https://example.com/catalog-info.yaml', opts);
  assert.deepEqual(valid, { valid: true });
  const invalid = await client.validateEntity({
    apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'new-service' },
    spec: { type: 'service', lifecycle: 'experimental' },
  }, 'url:https://example.com/catalog-info.yaml', opts);
  assert.equal(invalid.valid, false);
  assert.match(invalid.errors[0].message, /owner/);
  const badName = await client.validateEntity({
    apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'bad name!' },
    spec: { type: 'team', children: [] },
  }, 'url:https://example.com/catalog-info.yaml', opts);
  assert.equal(badName.valid, false);
  assert.match(badName.errors[0].message, /metadata.name/);
  report('refreshEntity', {});
  report('validateEntity', { errors: invalid.errors.length });
}

// ---- deprecated getEntityByName, and the calls that would change the catalog ---------------------------------------
{
  const byName = await client.getEntityByName({ kind: 'Location', namespace: 'portefaix', name: 'core' }, opts);
  assert.equal(byName.spec.targets.length, 5);
  report('getEntityByName', {});
  const refused = async (call, status) => assert.rejects(call, e => e.response?.status === status
    && /kubectl/.test(e.body?.error?.message ?? ''));
  await refused(client.addLocation({ target: 'https://example.com/x/catalog-info.yaml' }, opts), 403);
  await refused(client.removeEntityByUid('x', opts), 403);
  await refused(client.removeLocationById('x', opts), 403);
  await refused(client.updateLocation('x', { target: 'https://example.com/y' }, opts), 403);
  await refused(client.analyzeLocation({ location: { type: 'url', target: 'https://example.com/r' } }, opts), 501);
  report('writes', { refused: ['addLocation', 'removeEntityByUid', 'removeLocationById', 'updateLocation',
    'analyzeLocation'] });
}

console.log(JSON.stringify({ done: called }));
