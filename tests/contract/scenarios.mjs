// The contract walker's scenarios (tests/contract/walk.mjs), as data: in order, each names the
// operation it exercises ("<file> <METHOD> <path template>"), what it is, the status the gateway
// must answer, the request (a function of the walk's state `c`, for ids and tokens found on the
// way) and, optionally, what to keep from the answer (`keep`) or check beyond the contract.
//
// Request fields: path (with its query), headers, token (Bearer), jar (cookies sent and kept),
// form (urlencoded pairs), json (a body; application/fhir+json under /fhir, else
// application/json), body + contentType (raw), method (only for requests outside a scenario).
//
// `unreachable` on a scenario lists documented success statuses no client can get from this
// gateway, with the reason; the walker accepts an operation without a success scenario only so.
//
// Every operation of every file needs at least one scenario with a 2xx or 3xx answer, and one
// with 401 when the file documents 401, and one with 404 when its path has a parameter and the
// file documents 404 (walk.mjs checks this before it starts).

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

const WEIGHT = 'https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bodyweight';
const BMI = 'https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bmi';
const BP = 'https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bp';
const VITAL = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];
const CLASS = 'https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument';
export const SCOPE = 'openid fhirUser launch/patient offline_access patient/Observation.rs ' +
  'patient/Observation.cud patient/Device.rs patient/Device.c patient/DocumentReference.rs ' +
  'patient/Binary.r patient/DocumentReference.cd patient/Binary.c patient/Appointment.cu ' +
  'patient/Appointment.rs';
const PASSWORD = 'une phrase de passe longue';
const now = (offsetMs = -60_000) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d+Z$/, 'Z');
const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unique = () => randomBytes(4).toString('hex');

// A SIRET (14 digits, Luhn) and an OID that no other organisation of the walk has.
function siret() {
  const digits = [...randomBytes(13)].map((b) => b % 10);
  for (let check = 0; check < 10; ++check) {
    const all = [...digits, check];
    const sum = all.reverse().reduce((s, d, i) => s + (i % 2 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
    if (sum % 10 === 0) return [...digits, check].join('');
  }
  throw new Error('unreachable');
}
const oid = () => `urn:oid:1.2.250.1.999.${randomBytes(3).readUIntBE(0, 3)}`;

function weight(c, value, extra = {}) {
  return {
    resourceType: 'Observation', meta: { profile: [WEIGHT] }, status: 'final', category: VITAL,
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    subject: { reference: `Patient/${c.demo.patient_id}` }, effectiveDateTime: now(),
    valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' }, ...extra,
  };
}

function bpTransaction(c, serial) {
  const dev = `urn:uuid:${crypto.randomUUID()}`;
  return {
    resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: dev,
        resource: { resourceType: 'Device', identifier: [{ system: 'urn:oid:1.2.250.1.999.1', value: serial }],
                    manufacturer: 'Tensio', modelNumber: 'BP-200' },
        request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=urn:oid:1.2.250.1.999.1|${serial}` } },
      { fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: { resourceType: 'Observation', meta: { profile: [BP] }, status: 'final', category: VITAL,
                    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
                    subject: { reference: `Patient/${c.demo.patient_id}` }, effectiveDateTime: now(),
                    device: { reference: dev },
                    component: [
                      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
                        valueQuantity: { value: 128, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
                      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
                        valueQuantity: { value: 82, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }] },
        request: { method: 'POST', url: 'Observation' } }],
  };
}

const TEXT = Buffer.from('Compte rendu de consultation du 20/11/2026.\n');
function attachment(bytes = TEXT, extra = {}) {
  return { contentType: 'text/plain', size: bytes.length, hash: createHash('sha1').update(bytes).digest('base64'),
           title: 'cr.txt', ...extra };
}
function documentReference(c, att) {
  return {
    resourceType: 'DocumentReference', status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    category: [{ coding: [{ system: CLASS, code: '10' }] }],
    subject: { reference: `Patient/${c.demo.patient_id}` }, date: '2026-11-20T10:00:00+01:00',
    content: [{ attachment: att }],
  };
}
function publication(c, { hash } = {}) {
  const doc = `urn:uuid:${crypto.randomUUID()}`;
  const bin = `urn:uuid:${crypto.randomUUID()}`;
  const att = attachment(TEXT, { url: bin });
  if (hash) att.hash = hash;
  return {
    resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: { resourceType: 'List', status: 'current', mode: 'working',
                    code: { coding: [{ system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' }] },
                    subject: { reference: `Patient/${c.demo.patient_id}` }, date: now(),
                    entry: [{ item: { reference: doc } }] },
        request: { method: 'POST', url: 'List' } },
      { fullUrl: doc, resource: documentReference(c, att), request: { method: 'POST', url: 'DocumentReference' } },
      { fullUrl: bin, resource: { resourceType: 'Binary', contentType: 'text/plain', data: TEXT.toString('base64') },
        request: { method: 'POST', url: 'Binary' } }],
  };
}

function appointment(c, identifier, extra = {}) {
  return {
    resourceType: 'Appointment', identifier: [{ system: 'urn:oid:1.2.250.1.999.1.5', value: identifier }],
    status: 'booked', description: 'Consultation de suivi',
    start: '2027-12-01T10:00:00+01:00', end: '2027-12-01T10:30:00+01:00',
    participant: [{ actor: { reference: `Patient/${c.demo.patient_id}` }, status: 'accepted' },
                  { actor: { display: 'Dr Claire Durand' }, status: 'accepted' }],
    ...extra,
  };
}

function testReport() {
  return {
    resourceType: 'TestReport', name: 'walk', status: 'completed',
    testScript: { reference: 'TestScript/mes-client-suite' }, result: 'pass', score: 100,
    tester: 'mes-conformance 0.1.0', issued: '2026-11-23T10:15:00+01:00',
    test: [{ name: 'client.pkce-s256',
             extension: [{ url: 'urn:mes-gateway:StructureDefinition:verifies-requirement', valueCode: 'SEC-01' }],
             action: [{ assert: { result: 'pass' } }] }],
  };
}

function serviceDraft(name) {
  return {
    name, description: 'Carnet de tension artérielle relié au tensiomètre Tensio.', category: 'measures',
    website: 'https://tensio.example', contact: 'dpo@tensio.example', client_type: 'public',
    redirect_uris: ['https://tensio.example/callback'], requested_accesses: ['mesures.read', 'offline'],
  };
}

// The authorization request of the demo app (PKCE S256), kept in c.auth.
function newAuthorization(c) {
  const verifier = b64url(randomBytes(32));
  c.auth = { verifier, state: b64url(randomBytes(12)) };
  return new URLSearchParams({
    response_type: 'code', client_id: c.demo.client_id, redirect_uri: c.demo.redirect_uri, scope: SCOPE,
    state: c.auth.state, code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256', aud: c.gw.fhirBase,
  });
}

const bearer = (c) => c.tokens.access_token;
const location = (r) => new URL(r.headers.get('location'), 'http://x/');
const hidden = (html, name) => {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  assert.ok(m, `a hidden field ${name} on the page`);
  return m[1].replace(/&amp;/g, '&');
};
const formFields = (html) => [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g)]
  .map((m) => [m[1], m[2].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')]);
const etag = (r) => r.headers.get('etag');
const id = (r) => r.json?.id;

const P = 'pairing.yaml';
const M = 'measures.yaml';
const D = 'documents.yaml';
const A = 'agenda.yaml';
const R = 'registry.yaml';

export const scenarios = [
  // --- pairing: discovery ----------------------------------------------------------------------
  { op: `${P} GET /.well-known/openid-configuration`, title: 'OpenID discovery', status: 200,
    req: () => ({ path: '/.well-known/openid-configuration' }),
    keep: (r) => assert.deepEqual(r.json.code_challenge_methods_supported, ['S256']) },
  { op: `${P} GET /fhir/.well-known/smart-configuration`, title: 'SMART discovery', status: 200,
    req: () => ({ path: '/fhir/.well-known/smart-configuration' }) },
  { op: `${P} GET /oauth/jwks`, title: 'the signing keys', status: 200, req: () => ({ path: '/oauth/jwks' }),
    keep: (r) => assert.ok(r.json.keys.length >= 1) },

  // --- pairing: the authorization request and the patient's login ------------------------------
  { op: `${P} GET /oauth/authorize`, title: 'no parameters: an error page, no redirect', status: 400,
    req: () => ({ path: '/oauth/authorize' }) },
  { op: `${P} GET /oauth/authorize`, title: 'without PKCE: back to the app with an error', status: 302,
    req: (c) => { const q = newAuthorization(c); q.delete('code_challenge'); return { path: `/oauth/authorize?${q}` }; },
    keep: (r) => assert.equal(location(r).searchParams.get('error'), 'invalid_request') },
  { op: `${P} POST /oauth/authorize`, title: 'the request as a form: to the consent page', status: 303,
    req: (c) => ({ path: '/oauth/authorize', form: newAuthorization(c) }),
    keep: (r) => assert.equal(location(r).pathname, '/portal/consent') },
  { op: `${P} POST /oauth/authorize`, title: 'unknown client: an error page', status: 400,
    req: (c) => { const q = newAuthorization(c); q.set('client_id', 'nobody'); return { path: '/oauth/authorize', form: q }; } },
  { op: `${P} GET /oauth/authorize`, title: 'a valid request: to the consent page', status: 303,
    req: (c) => ({ path: `/oauth/authorize?${newAuthorization(c)}` }),
    keep: (r, c) => { c.consentUrl = r.headers.get('location'); assert.equal(location(r).pathname, '/portal/consent'); } },
  { op: `${P} GET /portal/consent`, title: 'not logged in: to the login page', status: 303,
    req: (c) => ({ path: c.consentUrl, jar: c.patient }),
    keep: (r, c) => { c.loginUrl = r.headers.get('location'); assert.equal(location(r).pathname, '/portal/login'); } },
  { op: `${P} GET /portal/login`, title: 'the login form', status: 200,
    req: (c) => ({ path: c.loginUrl, jar: c.patient }),
    keep: (r, c) => { c.csrf = hidden(r.text, 'csrf'); c.next = hidden(r.text, 'next'); } },
  { op: `${P} POST /portal/login`, title: 'without the CSRF token', status: 403,
    req: (c) => ({ path: '/portal/login', jar: c.patient,
                   form: { login: c.demo.login, password: c.demo.password, next: c.next } }) },
  { op: `${P} POST /portal/login`, title: 'a wrong password', status: 401,
    req: (c) => ({ path: '/portal/login', jar: c.patient,
                   form: { csrf: c.csrf, login: c.demo.login, password: 'wrong password', next: c.next } }) },
  { op: `${P} POST /portal/login`, title: 'login and password: the code is sent', status: 303,
    req: async (c) => {
      await c.gw.markOutboxRead();
      return { path: '/portal/login', jar: c.patient,
               form: { csrf: c.csrf, login: c.demo.login, password: c.demo.password, next: c.next } };
    },
    keep: (r, c) => { c.otpUrl = r.headers.get('location'); assert.equal(location(r).pathname, '/portal/otp'); } },
  { op: `${P} GET /portal/otp`, title: 'the one-time code form', status: 200,
    req: (c) => ({ path: c.otpUrl, jar: c.patient }), keep: (r, c) => { c.csrf = hidden(r.text, 'csrf'); } },
  { op: `${P} GET /portal/otp`, title: 'no login pending: to the login page', status: 303,
    req: () => ({ path: '/portal/otp' }) },
  { op: `${P} POST /portal/otp`, title: 'a wrong code', status: 401,
    req: (c) => ({ path: '/portal/otp', jar: c.patient, form: { csrf: c.csrf, code: '000000', next: c.next } }) },
  { op: `${P} POST /portal/otp`, title: 'without the CSRF token', status: 403,
    req: (c) => ({ path: '/portal/otp', jar: c.patient, form: { code: '000000', next: c.next } }) },
  { op: `${P} POST /portal/otp`, title: 'the right code: logged in, back to the consent page', status: 303,
    req: async (c) => ({ path: '/portal/otp', jar: c.patient,
                         form: { csrf: c.csrf, code: await c.gw.readLoginCode(c.demo.patient_id), next: c.next } }),
    keep: (r) => assert.equal(location(r).pathname, '/portal/consent') },

  // --- pairing: consent and tokens -------------------------------------------------------------
  { op: `${P} GET /portal/consent`, title: 'the consent screen', status: 200,
    req: (c) => ({ path: c.consentUrl, jar: c.patient }),
    keep: (r, c) => {
      c.consentForm = formFields(r.text);
      c.accesses = [...r.text.matchAll(/name="access" value="([^"]*)"/g)].map((m) => m[1]);
      assert.ok(c.accesses.length >= 5, `access rows on the consent screen (${c.accesses})`);
    } },
  { op: `${P} GET /portal/consent`, title: 'a request the consent page refuses', status: 400,
    req: (c) => ({ path: '/portal/consent?client_id=demo-app', jar: c.patient }) },
  { op: `${P} POST /portal/consent`, title: 'without the CSRF token', status: 403,
    req: (c) => ({ path: '/portal/consent', jar: c.patient,
                   form: [...c.consentForm.filter(([k]) => k !== 'csrf'), ['decision', 'approve']] }) },
  { op: `${P} POST /portal/consent`, title: 'every access approved: back to the app with a code', status: 303,
    req: (c) => ({ path: '/portal/consent', jar: c.patient,
                   form: [...c.consentForm, ...c.accesses.map((a) => ['access', a]), ['decision', 'approve']] }),
    keep: (r, c) => {
      const back = new URL(r.headers.get('location'));
      assert.equal(back.searchParams.get('state'), c.auth.state);
      c.code = back.searchParams.get('code');
      assert.ok(c.code, `a code in ${back}`);
    } },
  { op: `${P} POST /oauth/token`, title: 'an unknown code', status: 400,
    req: (c) => ({ path: '/oauth/token', form: { grant_type: 'authorization_code', code: 'nope', redirect_uri: c.demo.redirect_uri,
                                                   code_verifier: c.auth.verifier, client_id: c.demo.client_id } }),
    keep: (r) => assert.equal(r.json.error, 'invalid_grant') },
  { op: `${P} POST /oauth/token`, title: 'an unknown client', status: 401,
    req: (c) => ({ path: '/oauth/token', form: { grant_type: 'authorization_code', code: 'nope', redirect_uri: c.demo.redirect_uri,
                                                   code_verifier: c.auth.verifier, client_id: 'nobody' } }),
    keep: (r) => assert.equal(r.json.error, 'invalid_client') },
  { op: `${P} POST /oauth/token`, title: 'the code with its verifier: the tokens', status: 200,
    req: (c) => ({ path: '/oauth/token', form: { grant_type: 'authorization_code', code: c.code, redirect_uri: c.demo.redirect_uri,
                                                   code_verifier: c.auth.verifier, client_id: c.demo.client_id } }),
    keep: (r, c) => { c.tokens = r.json; assert.ok(r.json.access_token && r.json.refresh_token && r.json.id_token); } },
  { op: `${P} POST /oauth/token`, title: 'refresh, narrowed to reading measures', status: 200,
    req: (c) => ({ path: '/oauth/token', form: { grant_type: 'refresh_token', refresh_token: c.tokens.refresh_token,
                                                   client_id: c.demo.client_id, scope: 'launch/patient patient/Observation.rs' } }),
    keep: (r, c) => { c.readOnly = r.json.access_token; c.tokens.refresh_token = r.json.refresh_token; } },
  { op: `${P} POST /oauth/introspect`, title: 'introspection of the access token', status: 200,
    req: (c) => ({ path: '/oauth/introspect', form: { token: bearer(c), client_id: c.demo.client_id } }),
    keep: (r) => assert.equal(r.json.active, true) },
  { op: `${P} POST /oauth/introspect`, title: 'without a token parameter', status: 400,
    req: (c) => ({ path: '/oauth/introspect', form: { client_id: c.demo.client_id } }) },
  { op: `${P} POST /oauth/introspect`, title: 'an unknown client', status: 401,
    req: (c) => ({ path: '/oauth/introspect', form: { token: bearer(c), client_id: 'nobody' } }) },
  { op: `${P} POST /oauth/revoke`, title: 'an unknown token: 200 all the same (RFC 7009)', status: 200,
    req: (c) => ({ path: '/oauth/revoke', form: { token: 'unknown', client_id: c.demo.client_id } }) },
  { op: `${P} POST /oauth/revoke`, title: 'an unknown client', status: 401,
    req: () => ({ path: '/oauth/revoke', form: { token: 'unknown', client_id: 'nobody' } }) },
  { op: `${P} GET /fhir/Consent`, title: "the app's pairing", status: 200,
    req: (c) => ({ path: `/fhir/Consent?patient=${c.demo.patient_id}`, token: bearer(c) }),
    keep: (r, c) => { c.consentId = r.json.entry[0].resource.id; } },
  { op: `${P} GET /fhir/Consent`, title: 'another patient', status: 403,
    req: (c) => ({ path: '/fhir/Consent?patient=demo-2', token: bearer(c) }) },
  { op: `${P} GET /fhir/Consent`, title: 'no token', status: 401, req: () => ({ path: '/fhir/Consent' }) },
  { op: `${P} GET /fhir/Consent/{id}`, title: 'the pairing by id', status: 200,
    req: (c) => ({ path: `/fhir/Consent/${c.consentId}`, token: bearer(c) }) },
  { op: `${P} GET /fhir/Consent/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/Consent/unknown', token: bearer(c) }) },
  { op: `${P} GET /fhir/Consent/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Consent/${c.consentId}` }) },
  { op: `${P} GET /portal`, title: "the patient's paired apps", status: 200, req: (c) => ({ path: '/portal/', jar: c.patient }),
    keep: (r, c) => { c.portalCsrf = hidden(r.text, 'csrf'); } },
  { op: `${P} GET /portal`, title: 'not logged in: to the login page', status: 303, req: () => ({ path: '/portal/' }) },
  { op: `${P} GET /portal/activity`, title: "the patient's activity", status: 200, req: (c) => ({ path: '/portal/activity', jar: c.patient }) },
  { op: `${P} GET /portal/activity`, title: 'not logged in: to the login page', status: 303, req: () => ({ path: '/portal/activity' }) },

  // --- measures --------------------------------------------------------------------------------
  { op: `${M} GET /fhir/metadata`, title: 'the CapabilityStatement', status: 200, req: () => ({ path: '/fhir/metadata' }) },
  { op: `${M} GET /fhir/metadata`, title: 'XML asked for', status: 406,
    req: () => ({ path: '/fhir/metadata', headers: { accept: 'application/fhir+xml' } }) },
  { op: `${M} GET /healthz`, title: 'alive', status: 200, req: () => ({ path: '/healthz' }) },
  { op: `${M} GET /readyz`, title: 'ready', status: 200, req: () => ({ path: '/readyz' }) },
  { op: `${M} GET /swagger`, title: 'the page of the OpenAPI documents', status: 200, req: () => ({ path: '/swagger/' }),
    keep: (r, c) => { c.pageEtag = etag(r); assert.match(r.text, /swagger-ui-bundle\.js/); } },
  { op: `${M} GET /swagger`, title: 'not modified', status: 304, req: (c) => ({ path: '/swagger/', headers: { 'if-none-match': c.pageEtag } }) },
  { op: `${M} GET /swagger`, title: 'without the slash', status: 301, req: () => ({ path: '/swagger?api=agenda' }),
    keep: (r) => assert.equal(r.headers.get('location'), '/swagger/?api=agenda') },
  ...['pairing', 'measures', 'documents', 'agenda', 'registry'].map((name) => ({
    op: `${M} GET /swagger/{file}`, title: `${name}.yaml`, status: 200, req: () => ({ path: `/swagger/${name}.yaml` }),
    keep: (r) => assert.match(r.text, /^openapi: 3\./) })),
  { op: `${M} GET /swagger/{file}`, title: 'the style sheet of the page', status: 200, req: () => ({ path: '/swagger/swagger-ui.css' }) },
  { op: `${M} GET /swagger/{file}`, title: 'not modified', status: 304,
    req: async (c) => ({ path: '/swagger/agenda.yaml', headers: { 'if-none-match': (await fetch(`${c.gw.issuer}/swagger/agenda.yaml`)).headers.get('etag') } }) },
  { op: `${M} GET /swagger/{file}`, title: 'an unknown file', status: 404, req: () => ({ path: '/swagger/petstore.yaml' }) },
  { op: `${M} POST /fhir/Observation`, title: 'a weight', status: 201,
    req: (c) => ({ path: '/fhir/Observation', token: bearer(c),
                   json: weight(c, 70.5, { identifier: [{ system: 'urn:oid:1.2.250.1.999.7', value: `w-${c.run}` }] }) }),
    keep: (r, c) => { c.obs = id(r); c.obsEtag = etag(r); } },
  { op: `${M} POST /fhir/Observation`, title: 'the same upload again (If-None-Exist): the existing one', status: 200,
    req: (c) => ({ path: '/fhir/Observation', token: bearer(c), headers: { 'if-none-exist': `identifier=urn:oid:1.2.250.1.999.7|w-${c.run}` },
                   json: weight(c, 70.5, { identifier: [{ system: 'urn:oid:1.2.250.1.999.7', value: `w-${c.run}` }] }) }),
    keep: (r, c) => assert.equal(id(r), c.obs) },
  { op: `${M} POST /fhir/Observation`, title: 'a BMI (computed by the gateway only)', status: 422,
    req: (c) => ({ path: '/fhir/Observation', token: bearer(c),
                   json: { ...weight(c, 22), meta: { profile: [BMI] }, code: { coding: [{ system: 'http://loinc.org', code: '39156-5' }] },
                           valueQuantity: { value: 22, unit: 'kg/m2', system: 'http://unitsofmeasure.org', code: 'kg/m2' } } }) },
  { op: `${M} POST /fhir/Observation`, title: 'malformed JSON', status: 400,
    req: (c) => ({ path: '/fhir/Observation', token: bearer(c), body: '{"resourceType": ', contentType: 'application/fhir+json' }) },
  { op: `${M} POST /fhir/Observation`, title: 'XML', status: 415,
    req: (c) => ({ path: '/fhir/Observation', token: bearer(c), body: '<Observation/>', contentType: 'application/fhir+xml' }) },
  { op: `${M} POST /fhir/Observation`, title: 'a read-only token', status: 403,
    req: (c) => ({ path: '/fhir/Observation', token: c.readOnly, json: weight(c, 71) }) },
  { op: `${M} POST /fhir/Observation`, title: 'no token', status: 401, req: (c) => ({ path: '/fhir/Observation', json: weight(c, 71) }) },
  { op: `${M} GET /fhir/Observation/{id}`, title: 'read', status: 200,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/Observation/unknown', token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}`, title: 'an unknown parameter', status: 400,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}?foo=1`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Observation/${c.obs}` }) },
  { op: `${M} PUT /fhir/Observation/{id}`, title: 'a correction with If-Match', status: 200,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: bearer(c), headers: { 'if-match': c.obsEtag },
                   json: { ...weight(c, 70.7), id: c.obs } }) },
  { op: `${M} PUT /fhir/Observation/{id}`, title: 'a stale If-Match', status: 412,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: bearer(c), headers: { 'if-match': c.obsEtag },
                   json: { ...weight(c, 70.8), id: c.obs } }) },
  { op: `${M} PUT /fhir/Observation/{id}`, title: 'an id never created', status: 404,
    req: (c) => ({ path: '/fhir/Observation/unknown', token: bearer(c), json: { ...weight(c, 70.8), id: 'unknown' } }) },
  { op: `${M} PUT /fhir/Observation/{id}`, title: 'a value out of range', status: 422,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: bearer(c), json: { ...weight(c, 900), id: c.obs } }) },
  { op: `${M} PUT /fhir/Observation/{id}`, title: 'no token', status: 401,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, json: { ...weight(c, 70.8), id: c.obs } }) },
  { op: `${M} GET /fhir/Observation/{id}/_history`, title: 'the versions', status: 200,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}/_history`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}/_history`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/Observation/unknown/_history', token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}/_history`, title: 'no token', status: 401,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}/_history` }) },
  { op: `${M} GET /fhir/Observation/{id}/_history/{vid}`, title: 'version 1', status: 200,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}/_history/1`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}/_history/{vid}`, title: 'a version that does not exist', status: 404,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}/_history/99`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}/_history/{vid}`, title: 'no token', status: 401,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}/_history/1` }) },
  { op: `${M} GET /fhir/Observation`, title: 'the last weight', status: 200,
    req: (c) => ({ path: `/fhir/Observation?patient=${c.demo.patient_id}&code=http://loinc.org%7C29463-7&_sort=-date&_count=1`, token: bearer(c) }),
    keep: (r) => assert.equal(r.json.type, 'searchset') },
  { op: `${M} GET /fhir/Observation`, title: 'a page of 500', status: 400,
    req: (c) => ({ path: '/fhir/Observation?_count=500', token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation`, title: 'another patient', status: 403,
    req: (c) => ({ path: '/fhir/Observation?patient=demo-2', token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation`, title: 'XML asked for', status: 406,
    req: (c) => ({ path: '/fhir/Observation', token: bearer(c), headers: { accept: 'application/xml' } }) },
  { op: `${M} GET /fhir/Observation`, title: 'no token', status: 401, req: () => ({ path: '/fhir/Observation' }) },
  { op: `${M} POST /fhir`, title: 'a blood pressure with its cuff', status: 200,
    req: (c) => ({ path: '/fhir', token: bearer(c), json: bpTransaction(c, `SN-${c.run}`) }),
    keep: (r, c) => {
      assert.equal(r.json.type, 'transaction-response');
      c.device = /Device\/([^/]+)/.exec(r.json.entry[0].response.location)[1];
    } },
  { op: `${M} POST /fhir`, title: 'a transaction with two Devices and no Observation', status: 422,
    req: (c) => { const b = bpTransaction(c, 'SN-x'); b.entry[1] = bpTransaction(c, 'SN-y').entry[0]; return { path: '/fhir', token: bearer(c), json: b }; } },
  { op: `${M} POST /fhir`, title: 'not a Bundle', status: 400,
    req: (c) => ({ path: '/fhir', token: bearer(c), json: { resourceType: 'Bundle', type: 'batch', entry: [] } }) },
  { op: `${M} POST /fhir`, title: 'no token', status: 401, req: (c) => ({ path: '/fhir', json: bpTransaction(c, 'SN-z') }) },
  { op: `${M} GET /fhir/Device/{id}`, title: 'the cuff', status: 200, req: (c) => ({ path: `/fhir/Device/${c.device}`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Device/{id}`, title: 'an unknown id', status: 404, req: (c) => ({ path: '/fhir/Device/unknown', token: bearer(c) }) },
  { op: `${M} GET /fhir/Device/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Device/${c.device}` }) },
  { op: `${M} GET /fhir/Patient/{id}`, title: 'no MES access grants Patient: consent-missing', status: 403,
    unreachable: { 200: 'no MES access family grants patient/Patient.r (README, Decisions): apps never read a Patient',
                   404: 'the scope check comes before the read: an unknown id is 403 consent-missing as well' },
    req: (c) => ({ path: `/fhir/Patient/${c.demo.patient_id}`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Patient/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Patient/${c.demo.patient_id}` }) },
  { op: `${M} DELETE /fhir/Observation/{id}`, title: 'delete', status: 204,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: bearer(c) }) },
  { op: `${M} GET /fhir/Observation/{id}`, title: 'deleted', status: 410,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: bearer(c) }) },
  { op: `${M} DELETE /fhir/Observation/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/Observation/unknown', token: bearer(c) }) },
  { op: `${M} DELETE /fhir/Observation/{id}`, title: 'a read-only token', status: 403,
    req: (c) => ({ path: `/fhir/Observation/${c.obs}`, token: c.readOnly }) },
  { op: `${M} DELETE /fhir/Observation/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Observation/${c.obs}` }) },

  // --- documents -------------------------------------------------------------------------------
  { op: `${D} POST /fhir/DocumentReference`, title: 'ITI-105: a text report with its bytes', status: 201,
    req: (c) => ({ path: '/fhir/DocumentReference', token: bearer(c),
                   json: documentReference(c, attachment(TEXT, { data: TEXT.toString('base64') })) }),
    keep: (r, c) => { c.doc = id(r); c.docEtag = etag(r); c.binary = r.json.content[0].attachment.url.split('/')[1]; } },
  { op: `${D} POST /fhir/DocumentReference`, title: 'a hash that does not match the bytes', status: 422,
    req: (c) => ({ path: '/fhir/DocumentReference', token: bearer(c),
                   json: documentReference(c, attachment(TEXT, { data: TEXT.toString('base64'), hash: createHash('sha1').update('x').digest('base64') })) }) },
  { op: `${D} POST /fhir/DocumentReference`, title: 'a content type not allowed', status: 415,
    req: (c) => ({ path: '/fhir/DocumentReference', token: bearer(c),
                   json: documentReference(c, attachment(TEXT, { data: TEXT.toString('base64'), contentType: 'application/zip' })) }) },
  { op: `${D} POST /fhir/DocumentReference`, title: 'not JSON', status: 400,
    req: (c) => ({ path: '/fhir/DocumentReference', token: bearer(c), body: 'nope', contentType: 'application/fhir+json' }) },
  { op: `${D} POST /fhir/DocumentReference`, title: 'a read-only token', status: 403,
    req: (c) => ({ path: '/fhir/DocumentReference', token: c.readOnly, json: documentReference(c, attachment()) }) },
  { op: `${D} POST /fhir/DocumentReference`, title: 'no token', status: 401,
    req: (c) => ({ path: '/fhir/DocumentReference', json: documentReference(c, attachment()) }) },
  { op: `${D} POST /fhir`, title: 'ITI-65: a publication', status: 200,
    req: (c) => ({ path: '/fhir', token: bearer(c), json: publication(c) }),
    keep: (r) => assert.equal(r.json.type, 'transaction-response') },
  { op: `${D} POST /fhir`, title: 'ITI-65 with a wrong hash', status: 422,
    req: (c) => ({ path: '/fhir', token: bearer(c), json: publication(c, { hash: createHash('sha1').update('x').digest('base64') }) }) },
  { op: `${D} POST /fhir`, title: 'ITI-65, read-only token', status: 403,
    req: (c) => ({ path: '/fhir', token: c.readOnly, json: publication(c) }) },
  { op: `${D} POST /fhir`, title: 'ITI-65, no token', status: 401, req: (c) => ({ path: '/fhir', json: publication(c) }) },
  { op: `${D} GET /fhir/DocumentReference`, title: 'ITI-67 search', status: 200,
    req: (c) => ({ path: `/fhir/DocumentReference?patient=${c.demo.patient_id}&status=current`, token: bearer(c) }),
    keep: (r, c) => assert.ok(r.json.entry.some((e) => e.resource.id === c.doc)) },
  { op: `${D} GET /fhir/DocumentReference`, title: 'an unknown parameter', status: 400,
    req: (c) => ({ path: '/fhir/DocumentReference?foo=1', token: bearer(c) }) },
  { op: `${D} GET /fhir/DocumentReference`, title: 'another patient', status: 403,
    req: (c) => ({ path: '/fhir/DocumentReference?patient=demo-2', token: bearer(c) }) },
  { op: `${D} GET /fhir/DocumentReference`, title: 'no token', status: 401, req: () => ({ path: '/fhir/DocumentReference' }) },
  { op: `${D} GET /fhir/DocumentReference/{id}`, title: 'read', status: 200,
    req: (c) => ({ path: `/fhir/DocumentReference/${c.doc}`, token: bearer(c) }) },
  { op: `${D} GET /fhir/DocumentReference/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/DocumentReference/unknown', token: bearer(c) }) },
  { op: `${D} GET /fhir/DocumentReference/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/DocumentReference/${c.doc}` }) },
  { op: `${D} GET /fhir/Binary/{id}`, title: 'ITI-68: the bytes', status: 200,
    req: (c) => ({ path: `/fhir/Binary/${c.binary}`, token: bearer(c) }),
    keep: (r) => assert.equal(r.text, TEXT.toString()) },
  { op: `${D} GET /fhir/Binary/{id}`, title: 'ITI-68: the FHIR Binary', status: 200,
    req: (c) => ({ path: `/fhir/Binary/${c.binary}`, token: bearer(c), headers: { accept: 'application/fhir+json' } }),
    keep: (r) => assert.equal(r.json.resourceType, 'Binary') },
  { op: `${D} GET /fhir/Binary/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/Binary/unknown', token: bearer(c) }) },
  { op: `${D} GET /fhir/Binary/{id}`, title: 'a token without Binary.r', status: 403,
    req: (c) => ({ path: `/fhir/Binary/${c.binary}`, token: c.readOnly }) },
  { op: `${D} GET /fhir/Binary/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Binary/${c.binary}` }) },
  { op: `${D} DELETE /fhir/DocumentReference/{id}`, title: 'a stale If-Match', status: 412,
    req: (c) => ({ path: `/fhir/DocumentReference/${c.doc}`, token: bearer(c), headers: { 'if-match': 'W/"9"' } }) },
  { op: `${D} DELETE /fhir/DocumentReference/{id}`, title: 'withdraw', status: 204,
    req: (c) => ({ path: `/fhir/DocumentReference/${c.doc}`, token: bearer(c) }) },
  { op: `${D} DELETE /fhir/DocumentReference/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/DocumentReference/unknown', token: bearer(c) }) },
  { op: `${D} DELETE /fhir/DocumentReference/{id}`, title: 'no token', status: 401,
    req: (c) => ({ path: `/fhir/DocumentReference/${c.doc}` }) },

  // --- agenda ----------------------------------------------------------------------------------
  { op: `${A} POST /fhir/Appointment`, title: 'book', status: 201,
    req: (c) => ({ path: '/fhir/Appointment', token: bearer(c), json: appointment(c, `rdv-${c.run}-1`) }),
    keep: (r, c) => { c.appt = id(r); c.apptEtag = etag(r); } },
  { op: `${A} POST /fhir/Appointment`, title: 'end before start', status: 422,
    req: (c) => ({ path: '/fhir/Appointment', token: bearer(c), json: appointment(c, 'x', { end: '2027-12-01T09:00:00+01:00' }) }) },
  { op: `${A} POST /fhir/Appointment`, title: 'an unknown element', status: 400,
    req: (c) => ({ path: '/fhir/Appointment', token: bearer(c), json: appointment(c, 'x', { colour: 'blue' }) }) },
  { op: `${A} POST /fhir/Appointment`, title: 'XML', status: 415,
    req: (c) => ({ path: '/fhir/Appointment', token: bearer(c), body: '<Appointment/>', contentType: 'application/xml' }) },
  { op: `${A} POST /fhir/Appointment`, title: 'a token without Appointment.c', status: 403,
    req: (c) => ({ path: '/fhir/Appointment', token: c.readOnly, json: appointment(c, 'x') }) },
  { op: `${A} POST /fhir/Appointment`, title: 'no token', status: 401, req: (c) => ({ path: '/fhir/Appointment', json: appointment(c, 'x') }) },
  { op: `${A} PUT /fhir/Appointment`, title: 'conditional update that creates', status: 201,
    req: (c) => ({ path: `/fhir/Appointment?identifier=urn:oid:1.2.250.1.999.1.5%7Crdv-${c.run}-2`, token: bearer(c), json: appointment(c, `rdv-${c.run}-2`) }) },
  { op: `${A} PUT /fhir/Appointment`, title: 'the same again: replaced', status: 200,
    req: (c) => ({ path: `/fhir/Appointment?identifier=urn:oid:1.2.250.1.999.1.5%7Crdv-${c.run}-2`, token: bearer(c), json: appointment(c, `rdv-${c.run}-2`) }) },
  { op: `${A} PUT /fhir/Appointment`, title: 'the body lacks the identifier', status: 400,
    req: (c) => ({ path: `/fhir/Appointment?identifier=urn:oid:1.2.250.1.999.1.5%7Crdv-${c.run}-3`, token: bearer(c), json: appointment(c, 'other') }) },
  { op: `${A} PUT /fhir/Appointment`, title: 'no token', status: 401,
    req: (c) => ({ path: '/fhir/Appointment?identifier=urn:oid:1.2.250.1.999.1.5%7Cx', json: appointment(c, 'x') }) },
  { op: `${A} GET /fhir/Appointment/{id}`, title: 'read', status: 200, req: (c) => ({ path: `/fhir/Appointment/${c.appt}`, token: bearer(c) }) },
  { op: `${A} GET /fhir/Appointment/{id}`, title: 'an unknown id', status: 404, req: (c) => ({ path: '/fhir/Appointment/unknown', token: bearer(c) }) },
  { op: `${A} GET /fhir/Appointment/{id}`, title: 'no token', status: 401, req: (c) => ({ path: `/fhir/Appointment/${c.appt}` }) },
  { op: `${A} PUT /fhir/Appointment/{id}`, title: 'cancel with If-Match', status: 200,
    req: (c) => ({ path: `/fhir/Appointment/${c.appt}`, token: bearer(c), headers: { 'if-match': c.apptEtag },
                   json: { ...appointment(c, `rdv-${c.run}-1`, { status: 'cancelled' }), id: c.appt } }) },
  { op: `${A} PUT /fhir/Appointment/{id}`, title: 'a stale If-Match', status: 412,
    req: (c) => ({ path: `/fhir/Appointment/${c.appt}`, token: bearer(c), headers: { 'if-match': c.apptEtag },
                   json: { ...appointment(c, `rdv-${c.run}-1`), id: c.appt } }) },
  { op: `${A} PUT /fhir/Appointment/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/fhir/Appointment/unknown', token: bearer(c), json: { ...appointment(c, 'x'), id: 'unknown' } }) },
  { op: `${A} PUT /fhir/Appointment/{id}`, title: 'no token', status: 401,
    req: (c) => ({ path: `/fhir/Appointment/${c.appt}`, json: { ...appointment(c, 'x'), id: c.appt } }) },
  { op: `${A} GET /fhir/Appointment`, title: 'search', status: 200,
    req: (c) => ({ path: '/fhir/Appointment?date=ge2027-12-01&status=booked,cancelled', token: bearer(c) }) },
  { op: `${A} GET /fhir/Appointment`, title: 'a status that is no AppointmentStatus', status: 400,
    req: (c) => ({ path: '/fhir/Appointment?status=maybe', token: bearer(c) }) },
  { op: `${A} GET /fhir/Appointment`, title: 'no token', status: 401, req: () => ({ path: '/fhir/Appointment' }) },

  // --- registry: the administrator's login (an account made with the CLI) ----------------------
  { op: `${R} GET /registry/login`, title: 'the login form', status: 200,
    req: (c) => ({ path: '/registry/login?next=/registry/', jar: c.admin.jar }),
    keep: (r, c) => { c.csrf = hidden(r.text, 'csrf'); } },
  { op: `${R} POST /registry/login`, title: 'without the CSRF token', status: 403,
    req: (c) => ({ path: '/registry/login', jar: c.admin.jar, form: { login: c.admin.login, password: PASSWORD, next: '/registry/' } }) },
  { op: `${R} POST /registry/login`, title: 'a wrong password', status: 401,
    req: (c) => ({ path: '/registry/login', jar: c.admin.jar, form: { csrf: c.csrf, login: c.admin.login, password: 'wrong password!', next: '/registry/' } }) },
  { op: `${R} POST /registry/login`, title: 'login and password', status: 303,
    req: async (c) => { await c.gw.markOutboxRead(); return { path: '/registry/login', jar: c.admin.jar, form: { csrf: c.csrf, login: c.admin.login, password: PASSWORD, next: '/registry/' } }; } },
  { op: `${R} GET /registry/otp`, title: 'the code form', status: 200,
    req: (c) => ({ path: '/registry/otp?next=/registry/', jar: c.admin.jar }), keep: (r, c) => { c.csrf = hidden(r.text, 'csrf'); } },
  { op: `${R} GET /registry/otp`, title: 'no login pending', status: 303, req: () => ({ path: '/registry/otp' }) },
  { op: `${R} POST /registry/otp`, title: 'a wrong code', status: 401,
    req: (c) => ({ path: '/registry/otp', jar: c.admin.jar, form: { csrf: c.csrf, code: '000000', next: '/registry/' } }) },
  { op: `${R} POST /registry/otp`, title: 'without the CSRF token', status: 403,
    req: (c) => ({ path: '/registry/otp', jar: c.admin.jar, form: { code: '000000', next: '/registry/' } }) },
  { op: `${R} POST /registry/otp`, title: 'the right code', status: 303,
    req: async (c) => ({ path: '/registry/otp', jar: c.admin.jar, form: { csrf: c.csrf, code: await c.gw.readLoginCode(c.admin.login), next: '/registry/' } }) },
  { op: `${R} GET /registry/api/session`, title: 'the session and its CSRF token', status: 200,
    req: (c) => ({ path: '/registry/api/session', jar: c.admin.jar }), keep: (r, c) => { c.admin.csrf = r.json.csrf_token; } },
  { op: `${R} GET /registry/api/session`, title: 'not logged in', status: 401, req: () => ({ path: '/registry/api/session' }) },
  { op: `${R} GET /registry/api/criteria`, title: 'the criteria (public)', status: 200, req: () => ({ path: '/registry/api/criteria' }),
    keep: (r, c) => { c.required = r.json.criteria.filter((x) => x.required).map((x) => x.id); } },

  // --- registry API: organisations and accounts --------------------------------------------------
  { op: `${R} POST /registry/api/organisations`, title: 'an editor organisation', status: 201,
    req: (c) => ({ path: '/registry/api/organisations', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf },
                   json: { legal_name: `Tensio ${c.run} SAS`, siret: c.siret = siret(), editor_oid: oid(), contact: 'referent@tensio.example' } }),
    keep: (r, c) => { c.org = r.json.organisation_id; } },
  { op: `${R} POST /registry/api/organisations`, title: 'the same SIRET again', status: 409,
    req: (c) => ({ path: '/registry/api/organisations', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf },
                   json: { legal_name: 'Copie SAS', siret: c.siret, editor_oid: oid(), contact: 'a@copie.example' } }) },
  { op: `${R} POST /registry/api/organisations`, title: 'a SIRET failing the Luhn check', status: 422,
    req: (c) => ({ path: '/registry/api/organisations', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf },
                   json: { legal_name: 'Mauvais SAS', siret: '73282932000075', editor_oid: oid(), contact: 'a@mauvais.example' } }) },
  { op: `${R} POST /registry/api/organisations`, title: 'an unknown member', status: 400,
    req: (c) => ({ path: '/registry/api/organisations', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf }, json: { colour: 'blue' } }) },
  { op: `${R} POST /registry/api/organisations`, title: 'not logged in', status: 401,
    req: () => ({ path: '/registry/api/organisations', json: { legal_name: 'x' } }) },
  { op: `${R} GET /registry/api/organisations`, title: 'the organisations', status: 200,
    req: (c) => ({ path: '/registry/api/organisations', jar: c.admin.jar }) },
  { op: `${R} GET /registry/api/organisations`, title: 'not logged in', status: 401, req: () => ({ path: '/registry/api/organisations' }) },
  ...['editor', 'evaluator', 'commission'].map((role) => ({
    op: `${R} POST /registry/api/accounts`, title: `a ${role} account`, status: 201,
    req: (c) => ({ path: '/registry/api/accounts', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf },
                   json: { login: c[role].login, role, password: PASSWORD, ...(role === 'editor' ? { organisation_id: c.org } : {}) } }),
  })),
  { op: `${R} POST /registry/api/accounts`, title: 'the same login again', status: 409,
    req: (c) => ({ path: '/registry/api/accounts', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf },
                   json: { login: c.evaluator.login, role: 'evaluator', password: PASSWORD } }) },
  { op: `${R} POST /registry/api/accounts`, title: 'a short password', status: 422,
    req: (c) => ({ path: '/registry/api/accounts', jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf },
                   json: { login: `short-${c.run}@ans.example`, role: 'evaluator', password: 'short' } }) },
  { op: `${R} POST /registry/api/accounts`, title: 'without the CSRF header', status: 403,
    req: (c) => ({ path: '/registry/api/accounts', jar: c.admin.jar, json: { login: 'x@ans.example', role: 'evaluator', password: PASSWORD } }) },
  { op: `${R} POST /registry/api/accounts`, title: 'not logged in', status: 401,
    req: () => ({ path: '/registry/api/accounts', json: { login: 'x@ans.example', role: 'evaluator', password: PASSWORD } }) },
  { op: `${R} GET /registry/api/accounts`, title: 'the accounts', status: 200, req: (c) => ({ path: '/registry/api/accounts', jar: c.admin.jar }) },
  { op: `${R} GET /registry/api/accounts`, title: 'not logged in', status: 401, req: () => ({ path: '/registry/api/accounts' }) },
  { title: 'the editor, the evaluator and the commission member log in', login: ['editor', 'evaluator', 'commission'] },
  { op: `${R} GET /registry/api/accounts`, title: 'an editor may not list accounts', status: 403,
    req: (c) => ({ path: '/registry/api/accounts', jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/organisations`, title: 'an editor may not list organisations', status: 403,
    req: (c) => ({ path: '/registry/api/organisations', jar: c.editor.jar }) },

  // --- registry API: a service from draft to referenced, then suspended ------------------------
  { op: `${R} POST /registry/api/services`, title: 'a draft', status: 201,
    req: (c) => ({ path: '/registry/api/services', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, json: serviceDraft(`Tensio ${c.run}`) }),
    keep: (r, c) => { c.service = r.json.client_id; c.serviceEtag = etag(r); } },
  { op: `${R} POST /registry/api/services`, title: 'a website that is not https', status: 422,
    req: (c) => ({ path: '/registry/api/services', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf },
                   json: { ...serviceDraft('x'), website: 'http://tensio.example' } }) },
  { op: `${R} POST /registry/api/services`, title: 'an unknown member', status: 400,
    req: (c) => ({ path: '/registry/api/services', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, json: { colour: 'blue' } }) },
  { op: `${R} POST /registry/api/services`, title: 'an evaluator may not create', status: 403,
    req: (c) => ({ path: '/registry/api/services', jar: c.evaluator.jar, headers: { 'x-csrf-token': c.evaluator.csrf }, json: serviceDraft('x') }) },
  { op: `${R} POST /registry/api/services`, title: 'not JSON', status: 415,
    req: (c) => ({ path: '/registry/api/services', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, body: 'name=x', contentType: 'application/x-www-form-urlencoded' }) },
  { op: `${R} POST /registry/api/services`, title: 'not logged in', status: 401, req: () => ({ path: '/registry/api/services', json: serviceDraft('x') }) },
  { op: `${R} GET /registry/api/services`, title: "the editor's services", status: 200, req: (c) => ({ path: '/registry/api/services', jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/services`, title: 'an unknown status filter', status: 400,
    req: (c) => ({ path: '/registry/api/services?status=maybe', jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/services`, title: 'not logged in', status: 401, req: () => ({ path: '/registry/api/services' }) },
  { op: `${R} GET /registry/api/services/{id}`, title: 'the draft', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}`, jar: c.editor.jar }), keep: (r, c) => { c.serviceEtag = etag(r); } },
  { op: `${R} GET /registry/api/services/{id}`, title: 'an unknown id', status: 404, req: (c) => ({ path: '/registry/api/services/unknown', jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/services/{id}`, title: 'not logged in', status: 401, req: (c) => ({ path: `/registry/api/services/${c.service}` }) },
  { op: `${R} PUT /registry/api/services/{id}`, title: 'edit the draft', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf, 'if-match': c.serviceEtag },
                   json: { ...serviceDraft(`Tensio ${c.run}`), description: 'Carnet de tension, version 2.' } }),
    keep: (r, c) => { c.staleEtag = c.serviceEtag; c.serviceEtag = etag(r); } },
  { op: `${R} PUT /registry/api/services/{id}`, title: 'a stale If-Match', status: 412,
    req: (c) => ({ path: `/registry/api/services/${c.service}`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf, 'if-match': c.staleEtag },
                   json: serviceDraft(`Tensio ${c.run}`) }) },
  { op: `${R} PUT /registry/api/services/{id}`, title: 'an unknown id', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, json: serviceDraft('x') }) },
  { op: `${R} PUT /registry/api/services/{id}`, title: 'a redirect URI that is not https', status: 422,
    req: (c) => ({ path: `/registry/api/services/${c.service}`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf },
                   json: { ...serviceDraft(`Tensio ${c.run}`), redirect_uris: ['http://tensio.example/cb'] } }) },
  { op: `${R} PUT /registry/api/services/{id}`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}`, json: serviceDraft('x') }) },
  { op: `${R} POST /registry/api/services/{id}/evidence`, title: 'a conformance report', status: 201,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, json: testReport() }),
    keep: (r, c) => { c.evidence = r.json.evidence_id ?? r.json.id; assert.ok(c.evidence, JSON.stringify(r.json)); } },
  { op: `${R} POST /registry/api/services/{id}/evidence`, title: 'malformed JSON', status: 400,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf },
                   body: '{"resourceType": ', contentType: 'application/json' }) },
  { op: `${R} POST /registry/api/services/{id}/evidence`, title: 'a TestReport without testScript', status: 422,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf },
                   json: { resourceType: 'TestReport', status: 'completed' } }) },
  { op: `${R} POST /registry/api/services/{id}/evidence`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown/evidence', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, json: testReport() }) },
  { op: `${R} POST /registry/api/services/{id}/evidence`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence`, json: testReport() }) },
  { op: `${R} GET /registry/api/services/{id}/evidence`, title: 'the reports', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence`, jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/services/{id}/evidence`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown/evidence', jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/services/{id}/evidence`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence` }) },
  { op: `${R} GET /registry/api/services/{id}/evidence/{evidenceId}`, title: 'one report as uploaded', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence/${c.evidence}`, jar: c.editor.jar }),
    keep: (r) => assert.equal(r.json.resourceType, 'TestReport') },
  { op: `${R} GET /registry/api/services/{id}/evidence/{evidenceId}`, title: 'an unknown report', status: 404,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence/unknown`, jar: c.editor.jar }) },
  { op: `${R} GET /registry/api/services/{id}/evidence/{evidenceId}`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evidence/${c.evidence}` }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'start-evaluation of a draft', status: 409,
    req: (c) => ({ path: `/registry/api/services/${c.service}/start-evaluation`, jar: c.evaluator.jar, headers: { 'x-csrf-token': c.evaluator.csrf } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'submit', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/submit`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf }, json: { reason: 'Première soumission' } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'an editor may not start the evaluation', status: 403,
    req: (c) => ({ path: `/registry/api/services/${c.service}/start-evaluation`, jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown/submit', jar: c.editor.jar, headers: { 'x-csrf-token': c.editor.csrf } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/submit` }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'start-evaluation', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/start-evaluation`, jar: c.evaluator.jar, headers: { 'x-csrf-token': c.evaluator.csrf } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'move-to-commission with criteria unmarked', status: 409,
    req: (c) => ({ path: `/registry/api/services/${c.service}/move-to-commission`, jar: c.evaluator.jar, headers: { 'x-csrf-token': c.evaluator.csrf } }) },
  { op: `${R} GET /registry/api/services/{id}/evaluation`, title: 'the checklist', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evaluation`, jar: c.evaluator.jar }) },
  { op: `${R} GET /registry/api/services/{id}/evaluation`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown/evaluation', jar: c.evaluator.jar }) },
  { op: `${R} GET /registry/api/services/{id}/evaluation`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evaluation` }) },
  { op: `${R} PUT /registry/api/services/{id}/evaluation/{criterion}`, title: 'not met without a note', status: 422,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evaluation/${c.required[0]}`, jar: c.evaluator.jar,
                   headers: { 'x-csrf-token': c.evaluator.csrf }, json: { verdict: 'not_met' } }) },
  { op: `${R} PUT /registry/api/services/{id}/evaluation/{criterion}`, title: 'an unknown criterion', status: 422,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evaluation/XYZ-99`, jar: c.evaluator.jar,
                   headers: { 'x-csrf-token': c.evaluator.csrf }, json: { verdict: 'met' } }) },
  { op: `${R} PUT /registry/api/services/{id}/evaluation/{criterion}`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: `/registry/api/services/unknown/evaluation/${c.required[0]}`, jar: c.evaluator.jar,
                   headers: { 'x-csrf-token': c.evaluator.csrf }, json: { verdict: 'met' } }) },
  { op: `${R} PUT /registry/api/services/{id}/evaluation/{criterion}`, title: 'an editor may not mark', status: 403,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evaluation/${c.required[0]}`, jar: c.editor.jar,
                   headers: { 'x-csrf-token': c.editor.csrf }, json: { verdict: 'met' } }) },
  { op: `${R} PUT /registry/api/services/{id}/evaluation/{criterion}`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/evaluation/${c.required[0]}`, json: { verdict: 'met' } }) },
  { op: `${R} PUT /registry/api/services/{id}/evaluation/{criterion}`, title: 'every required criterion met', status: 200,
    repeat: (c) => c.required,
    req: (c, criterion) => ({ path: `/registry/api/services/${c.service}/evaluation/${criterion}`, jar: c.evaluator.jar,
                              headers: { 'x-csrf-token': c.evaluator.csrf }, json: { verdict: 'met' } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'move-to-commission', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/move-to-commission`, jar: c.evaluator.jar, headers: { 'x-csrf-token': c.evaluator.csrf } }) },
  { op: `${R} POST /registry/api/services/{id}/decide`, title: 'a decision that is no decision', status: 422,
    req: (c) => ({ path: `/registry/api/services/${c.service}/decide`, jar: c.commission.jar, headers: { 'x-csrf-token': c.commission.csrf },
                   json: { decision: 'perhaps', reason: 'x' } }) },
  { op: `${R} POST /registry/api/services/{id}/decide`, title: 'an evaluator may not decide', status: 403,
    req: (c) => ({ path: `/registry/api/services/${c.service}/decide`, jar: c.evaluator.jar, headers: { 'x-csrf-token': c.evaluator.csrf },
                   json: { decision: 'favourable', granted_accesses: ['mesures.read'], reason: 'x' } }) },
  { op: `${R} POST /registry/api/services/{id}/decide`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown/decide', jar: c.commission.jar, headers: { 'x-csrf-token': c.commission.csrf },
                   json: { decision: 'favourable', granted_accesses: ['mesures.read'], reason: 'x' } }) },
  { op: `${R} POST /registry/api/services/{id}/decide`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/decide`, json: { decision: 'favourable' } }) },
  { op: `${R} POST /registry/api/services/{id}/decide`, title: 'favourable', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/decide`, jar: c.commission.jar, headers: { 'x-csrf-token': c.commission.csrf },
                   json: { decision: 'favourable', granted_accesses: ['mesures.read', 'offline'], reason: 'Séance du 23 novembre 2026' } }),
    keep: (r) => assert.equal(r.json.status, 'referenced') },
  { op: `${R} GET /registry/api/services/{id}/history`, title: 'the history', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/history`, jar: c.commission.jar }) },
  { op: `${R} GET /registry/api/services/{id}/history`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/api/services/unknown/history', jar: c.commission.jar }) },
  { op: `${R} GET /registry/api/services/{id}/history`, title: 'not logged in', status: 401,
    req: (c) => ({ path: `/registry/api/services/${c.service}/history` }) },
  { op: `${R} GET /catalogue`, title: 'the catalogue (JSON)', status: 200, req: () => ({ path: '/catalogue' }),
    keep: (r, c) => assert.ok(JSON.stringify(r.json).includes(c.service)) },
  { op: `${R} GET /catalogue`, title: 'the catalogue (HTML)', status: 200, req: () => ({ path: '/catalogue', headers: { accept: 'text/html' } }) },
  { op: `${R} GET /catalogue`, title: 'an unknown category', status: 400, req: () => ({ path: '/catalogue?category=nope' }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'suspend without a reason', status: 422,
    req: (c) => ({ path: `/registry/api/services/${c.service}/suspend`, jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf } }) },
  { op: `${R} POST /registry/api/services/{id}/{action}`, title: 'suspend', status: 200,
    req: (c) => ({ path: `/registry/api/services/${c.service}/suspend`, jar: c.admin.jar, headers: { 'x-csrf-token': c.admin.csrf }, json: { reason: 'Faille signalée' } }) },

  // --- registry pages ----------------------------------------------------------------------------
  { op: `${R} GET /registry`, title: 'the dashboard', status: 200, req: (c) => ({ path: '/registry/', jar: c.editor.jar }) },
  { op: `${R} GET /registry`, title: 'not logged in: to the login page', status: 303, req: () => ({ path: '/registry/' }) },
  { op: `${R} GET /registry/services/new`, title: "the editor's form", status: 200, req: (c) => ({ path: '/registry/services/new', jar: c.editor.jar }) },
  { op: `${R} GET /registry/services/new`, title: 'not for an evaluator', status: 403, req: (c) => ({ path: '/registry/services/new', jar: c.evaluator.jar }) },
  { op: `${R} POST /registry/services`, title: 'without the CSRF field', status: 403,
    req: (c) => ({ path: '/registry/services', jar: c.editor.jar, form: pageDraft(`Page ${c.run}`) }) },
  { op: `${R} POST /registry/services`, title: 'a website that is not https', status: 422,
    req: (c) => ({ path: '/registry/services', jar: c.editor.jar,
                   form: [['csrf', c.editor.csrf], ...pageDraft(`Page ${c.run}`).map(([k, v]) => [k, k === 'website' ? 'http://x.example' : v])] }) },
  { op: `${R} POST /registry/services`, title: 'a draft from the form', status: 303,
    req: (c) => ({ path: '/registry/services', jar: c.editor.jar, form: [['csrf', c.editor.csrf], ...pageDraft(`Page ${c.run}`)] }),
    keep: (r, c) => { c.page = location(r).pathname; } },
  { op: `${R} GET /registry/services/{id}`, title: "the service's page", status: 200, req: (c) => ({ path: c.page, jar: c.editor.jar }) },
  { op: `${R} GET /registry/services/{id}`, title: 'an unknown service', status: 404, req: (c) => ({ path: '/registry/services/unknown', jar: c.editor.jar }) },
  { op: `${R} POST /registry/services/{id}/edit`, title: 'edit from the form', status: 303,
    req: (c) => ({ path: `${c.page}/edit`, jar: c.editor.jar, form: [['csrf', c.editor.csrf], ...pageDraft(`Page ${c.run} bis`)] }) },
  { op: `${R} POST /registry/services/{id}/edit`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/edit', jar: c.editor.jar, form: [['csrf', c.editor.csrf], ...pageDraft('x')] }) },
  { op: `${R} POST /registry/services/{id}/edit`, title: 'without the CSRF field', status: 403,
    req: (c) => ({ path: `${c.page}/edit`, jar: c.editor.jar, form: pageDraft('x') }) },
  { op: `${R} POST /registry/services/{id}/evidence`, title: 'a report from the form', status: 303,
    req: (c) => ({ path: `${c.page}/evidence`, jar: c.editor.jar, form: { csrf: c.editor.csrf, report: JSON.stringify(testReport()) } }) },
  { op: `${R} POST /registry/services/{id}/evidence`, title: 'a report that is not JSON', status: 400,
    req: (c) => ({ path: `${c.page}/evidence`, jar: c.editor.jar, form: { csrf: c.editor.csrf, report: 'not JSON' } }) },
  { op: `${R} POST /registry/services/{id}/evidence`, title: 'a TestReport without testScript', status: 422,
    req: (c) => ({ path: `${c.page}/evidence`, jar: c.editor.jar, form: { csrf: c.editor.csrf, report: '{"resourceType":"TestReport","status":"completed"}' } }) },
  { op: `${R} POST /registry/services/{id}/evidence`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/evidence', jar: c.editor.jar, form: { csrf: c.editor.csrf, report: JSON.stringify(testReport()) } }) },
  { op: `${R} POST /registry/services/{id}/actions/{action}`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/actions/submit', jar: c.editor.jar, form: { csrf: c.editor.csrf, reason: 'x' } }) },
  { op: `${R} POST /registry/services/{id}/actions/{action}`, title: 'submit from the page', status: 303,
    req: (c) => ({ path: `${c.page}/actions/submit`, jar: c.editor.jar, form: { csrf: c.editor.csrf, reason: 'Dossier prêt' } }) },
  { op: `${R} POST /registry/services/{id}/actions/{action}`, title: 'submit twice', status: 409,
    req: (c) => ({ path: `${c.page}/actions/submit`, jar: c.editor.jar, form: { csrf: c.editor.csrf, reason: 'Encore' } }) },
  { op: `${R} POST /registry/services/{id}/edit`, title: 'edit once submitted', status: 409,
    req: (c) => ({ path: `${c.page}/edit`, jar: c.editor.jar, form: [['csrf', c.editor.csrf], ...pageDraft(`Page ${c.run} ter`)] }) },
  { op: `${R} POST /registry/services/{id}/actions/{action}`, title: 'start-evaluation from the page', status: 303,
    req: (c) => ({ path: `${c.page}/actions/start-evaluation`, jar: c.evaluator.jar, form: { csrf: c.evaluator.csrf, reason: '' } }) },
  { op: `${R} GET /registry/services/{id}/evaluation`, title: "the evaluator's checklist", status: 200,
    req: (c) => ({ path: `${c.page}/evaluation`, jar: c.evaluator.jar }) },
  { op: `${R} GET /registry/services/{id}/evaluation`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/evaluation', jar: c.evaluator.jar }) },
  { op: `${R} POST /registry/services/{id}/evaluation`, title: 'a criterion not met without its note', status: 422,
    req: (c) => ({ path: `${c.page}/evaluation`, jar: c.evaluator.jar,
                   form: [['csrf', c.evaluator.csrf], ...c.required.map((k, i) => [`verdict.${k}`, i === 0 ? 'not_met' : 'met'])] }) },
  { op: `${R} POST /registry/services/{id}/evaluation`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/evaluation', jar: c.evaluator.jar, form: [['csrf', c.evaluator.csrf], ['verdict.SEC-01', 'met']] }) },
  { op: `${R} POST /registry/services/{id}/evaluation`, title: 'every required criterion met', status: 303,
    req: (c) => ({ path: `${c.page}/evaluation`, jar: c.evaluator.jar, form: [['csrf', c.evaluator.csrf], ...c.required.map((k) => [`verdict.${k}`, 'met'])] }) },
  { op: `${R} POST /registry/services/{id}/actions/{action}`, title: 'move-to-commission from the page', status: 303,
    req: (c) => ({ path: `${c.page}/actions/move-to-commission`, jar: c.evaluator.jar, form: { csrf: c.evaluator.csrf, reason: 'Complet' } }) },
  { op: `${R} GET /registry/services/{id}/decision`, title: "the commission's page", status: 200,
    req: (c) => ({ path: `${c.page}/decision`, jar: c.commission.jar }) },
  { op: `${R} GET /registry/services/{id}/decision`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/decision', jar: c.commission.jar }) },
  { op: `${R} POST /registry/services/{id}/decision`, title: 'an evaluator may not decide', status: 403,
    req: (c) => ({ path: `${c.page}/decision`, jar: c.evaluator.jar, form: { csrf: c.evaluator.csrf, decision: 'favourable', granted_accesses: 'mesures.read', reason: 'x' } }) },
  { op: `${R} POST /registry/services/{id}/decision`, title: 'no reason given', status: 422,
    req: (c) => ({ path: `${c.page}/decision`, jar: c.commission.jar, form: { csrf: c.commission.csrf, decision: 'favourable', granted_accesses: 'mesures.read', reason: '' } }) },
  { op: `${R} POST /registry/services/{id}/decision`, title: 'an unknown service', status: 404,
    req: (c) => ({ path: '/registry/services/unknown/decision', jar: c.commission.jar, form: { csrf: c.commission.csrf, decision: 'favourable', granted_accesses: 'mesures.read', reason: 'x' } }) },
  { op: `${R} POST /registry/services/{id}/decision`, title: 'favourable from the form', status: 303,
    req: (c) => ({ path: `${c.page}/decision`, jar: c.commission.jar, form: { csrf: c.commission.csrf, decision: 'favourable', granted_accesses: 'mesures.read', reason: 'Conforme' } }) },
  { op: `${R} GET /registry/admin`, title: 'the administration page', status: 200, req: (c) => ({ path: '/registry/admin', jar: c.admin.jar }) },
  { op: `${R} GET /registry/admin`, title: 'not for an evaluator', status: 403, req: (c) => ({ path: '/registry/admin', jar: c.evaluator.jar }) },
  { op: `${R} POST /registry/admin/organisations`, title: 'an organisation from the form', status: 303,
    req: (c) => ({ path: '/registry/admin/organisations', jar: c.admin.jar,
                   form: { csrf: c.admin.csrf, legal_name: `Formulaire ${c.run} SAS`, siret: siret(), editor_oid: oid(), contact: 'a@formulaire.example' } }) },
  { op: `${R} POST /registry/admin/organisations`, title: 'a SIRET failing the Luhn check', status: 422,
    req: (c) => ({ path: '/registry/admin/organisations', jar: c.admin.jar,
                   form: { csrf: c.admin.csrf, legal_name: 'Mauvais SAS', siret: '73282932000075', editor_oid: oid(), contact: 'a@mauvais.example' } }) },
  { op: `${R} POST /registry/admin/organisations`, title: 'not for an evaluator', status: 403,
    req: (c) => ({ path: '/registry/admin/organisations', jar: c.evaluator.jar,
                   form: { csrf: c.evaluator.csrf, legal_name: 'x', siret: siret(), editor_oid: oid(), contact: 'a@x.example' } }) },
  { op: `${R} POST /registry/admin/accounts`, title: 'an account from the form', status: 303,
    req: (c) => ({ path: '/registry/admin/accounts', jar: c.admin.jar,
                   form: { csrf: c.admin.csrf, login: `form-${c.run}@ans.example`, role: 'evaluator', password: PASSWORD } }) },
  { op: `${R} POST /registry/admin/accounts`, title: 'a short password', status: 422,
    req: (c) => ({ path: '/registry/admin/accounts', jar: c.admin.jar,
                   form: { csrf: c.admin.csrf, login: `form2-${c.run}@ans.example`, role: 'evaluator', password: 'short' } }) },
  { op: `${R} POST /registry/admin/accounts`, title: 'not for an evaluator', status: 403,
    req: (c) => ({ path: '/registry/admin/accounts', jar: c.evaluator.jar,
                   form: { csrf: c.evaluator.csrf, login: 'x@ans.example', role: 'evaluator', password: PASSWORD } }) },
  { op: `${R} POST /registry/logout`, title: 'without the CSRF field', status: 403, req: (c) => ({ path: '/registry/logout', jar: c.admin.jar, form: {} }) },
  { op: `${R} POST /registry/logout`, title: 'log out', status: 303, req: (c) => ({ path: '/registry/logout', jar: c.admin.jar, form: { csrf: c.admin.csrf } }) },

  // --- pairing: the app and the patient end it -----------------------------------------------------
  { op: `${P} DELETE /oauth/pairing`, title: 'no token', status: 401, req: () => ({ path: '/oauth/pairing' }) },
  { op: `${P} DELETE /oauth/pairing`, title: 'the app ends its pairing', status: 204, req: (c) => ({ path: '/oauth/pairing', token: bearer(c) }) },
  { op: `${P} POST /portal/pairings/{id}/revoke`, title: 'without the CSRF field', status: 403,
    req: (c) => ({ path: `/portal/pairings/${c.consentId}/revoke`, jar: c.patient, form: {} }) },
  { op: `${P} POST /portal/pairings/{id}/revoke`, title: 'an unknown pairing', status: 404,
    req: (c) => ({ path: '/portal/pairings/unknown/revoke', jar: c.patient, form: { csrf: c.portalCsrf } }) },
  { op: `${P} POST /portal/pairings/{id}/revoke`, title: 'the patient revokes (already ended: nothing to do)', status: 303,
    req: (c) => ({ path: `/portal/pairings/${c.consentId}/revoke`, jar: c.patient, form: { csrf: c.portalCsrf } }) },
  { op: `${P} POST /portal/logout`, title: 'without the CSRF field', status: 403, req: (c) => ({ path: '/portal/logout', jar: c.patient, form: {} }) },
  { op: `${P} POST /portal/logout`, title: 'log out', status: 303, req: (c) => ({ path: '/portal/logout', jar: c.patient, form: { csrf: c.portalCsrf } }) },
];

// The registry's service form (name → value pairs, requested_accesses repeated).
function pageDraft(name) {
  return [['name', name], ['description', 'Carnet de tension artérielle relié au tensiomètre.'], ['category', 'measures'],
          ['website', 'https://tensio.example'], ['contact', 'dpo@tensio.example'], ['client_type', 'public'],
          ['redirect_uris', 'https://tensio.example/callback'], ['requested_accesses', 'mesures.read'],
          ['requested_accesses', 'offline']];
}

export { PASSWORD };
