// Interop test (issue #3, point 9): an independent, widely used OAuth2 / OpenID Connect client
// library from npm — openid-client 6 (panva, on oauth4webapi; versions pinned in
// package-lock.json) — pairs with the gateway and uses what it gets.
//
// It starts the real mes-gateway on a temporary data directory (seed-demo first), then:
//   discovery   openid-client's discovery on the issuer; the SMART configuration agrees with it
//   pairing     authorization code + PKCE S256 with state and nonce, the patient's side (portal
//               login, one-time code read from the outbox, consent approving every row) driven
//               with fetch and a small cookie jar; openid-client checks the redirect (state, iss),
//               redeems the code with the verifier and validates the id_token (signature, nonce)
//   tokens      the ES256 access token verifies against /oauth/jwks with jose; the token
//               response has Cache-Control: no-store; introspection says active
//   FHIR        a weight created, read back and found by search; the pairing as a FHIR Consent
//   refresh     rotation; the new access token works; a narrowed refresh loses the write letter;
//               replaying a used refresh token is invalid_grant and revokes the family (the
//               newest refresh token is refused and the pairing's access tokens get 401)
//   deny        the patient denies: openid-client reports error=access_denied
//   revocation  RFC 7009 revocation of the refresh token, then 401 with WWW-Authenticate: Bearer
//   app end     DELETE /oauth/pairing with the app's token: 204, then 401
// The gateway is stopped with SIGTERM (it must exit 0: under the sanitizer build a leak or an
// error report fails the test) and the directory removed, whatever happens. Every wait is bounded.
//
// Run (ctest does this, label "interop"; `npm ci` in this folder first, scripts/npm-ci does it):
//   node tests/interop/pairing_interop.test.mjs build/bin/mes-gateway
//   MES_GATEWAY_BIN=build/bin/mes-gateway node --test tests/interop/
// Exit status: 0 all passed, 1 a failure, 77 skipped (Node.js older than 20, or no node_modules).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar, GatewayProcess, HTTP_S, browse, get } from '../support/gateway.mjs';

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 20) {
  console.log(`interop: skipped, Node.js ${process.versions.node} is older than 20`);
  process.exit(77);
}
let client, jose;
try {
  client = await import('openid-client');
  jose = await import('jose');
} catch (e) {
  console.log(`interop: skipped, run "npm ci" in tests/interop first (${e.message})`);
  process.exit(77);
}

const gatewayBin = process.env.MES_GATEWAY_BIN || process.argv[2];
const STEP_MS = 60_000;          // one step (the sanitized gateway is slow)
const WHOLE_RUN_MS = 240_000;    // the whole file; ctest's own timeout is above it

const SCOPE = 'openid fhirUser launch/patient offline_access patient/Observation.rs ' +
              'patient/Observation.cud patient/Device.rs patient/Device.c';
const WEIGHT_PROFILE =
  'https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bodyweight';

// ---------------------------------------------------------------------------------------------
// Small helpers

// SMART scopes as "what they grant": identity scopes, and letters per resource type.
function grants(scope) {
  const out = { identity: new Set(), types: new Map() };
  for (const s of (scope || '').split(' ').filter(Boolean)) {
    const m = /^patient\/([A-Za-z*]+)\.(.+)$/.exec(s);
    if (!m) { out.identity.add(s); continue; }
    const letters = { read: 'rs', write: 'cud', '*': 'cruds' }[m[2]] ?? m[2];
    const prev = out.types.get(m[1]) ?? '';
    out.types.set(m[1], [...'cruds'].filter((c) => prev.includes(c) || letters.includes(c)).join(''));
  }
  return out;
}
function lettersFor(scope, type) {
  const g = grants(scope);
  const all = `${g.types.get(type) ?? ''}${g.types.get('*') ?? ''}`;
  return [...'cruds'].filter((c) => all.includes(c)).join('');
}

// ---------------------------------------------------------------------------------------------
// The gateway under test, and the patient's browser (tests/support/gateway.mjs): it follows the
// gateway's redirects, fills the login, one-time code and consent forms, and stops at the app's
// redirect_uri. `decision` is the consent button to press ("approve" or "deny").

const gw = new GatewayProcess(gatewayBin, { prefix: 'mes-interop-' });

function patientAuthorizes(authorizationUrl, { decision = 'approve', jar = new CookieJar() } = {}) {
  return browse(gw, authorizationUrl.href, {
    login: gw.demo.login, password: gw.demo.password, recipient: gw.demo.patient_id, decision, jar,
  });
}

// ---------------------------------------------------------------------------------------------
// The app: openid-client's Configuration, the checks it keeps, and the FHIR calls it makes.

const app = {
  config: null, tokenResponses: [], jar: new CookieJar(),
};

function recordingFetch(url, options) {
  return fetch(url, { ...options, redirect: 'manual' }).then((r) => {
    if (String(url) === app.config?.serverMetadata().token_endpoint) {
      app.tokenResponses.push({ status: r.status, cacheControl: r.headers.get('cache-control'),
                                pragma: r.headers.get('pragma') });
    }
    return r;
  });
}

async function newAuthorization(extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = {
    pkceCodeVerifier: verifier,
    expectedState: client.randomState(),
    expectedNonce: client.randomNonce(),
  };
  const url = client.buildAuthorizationUrl(app.config, {
    redirect_uri: gw.demo.redirect_uri,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    aud: gw.fhirBase,
    ...extra,
  });
  return { url, checks };
}

async function pair() {
  const { url, checks } = await newAuthorization();
  const { redirect } = await patientAuthorizes(url, { jar: app.jar });
  assert.equal(`${redirect.origin}${redirect.pathname}`, new URL(gw.demo.redirect_uri).href.replace(/\?.*$/, ''),
    `the consent ends at the app's redirect_uri (got ${redirect.href})`);
  const tokens = await client.authorizationCodeGrant(app.config, redirect, checks);
  return { tokens, redirect, checks };
}

// A FHIR call through openid-client; a 401 challenge comes back as {status: 401, challenges}.
async function fhir(accessToken, method, path, body) {
  const headers = new Headers({ accept: 'application/fhir+json' });
  if (body !== undefined) headers.set('content-type', 'application/fhir+json');
  try {
    const r = await client.fetchProtectedResource(app.config, accessToken, new URL(`${gw.fhirBase}${path}`),
      method, body === undefined ? undefined : JSON.stringify(body), headers);
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, json, text };
  } catch (e) {
    if (e instanceof client.WWWAuthenticateChallengeError || e?.name === 'WWWAuthenticateChallengeError') {
      return { status: e.response?.status ?? e.status, challenges: e.cause, headers: e.response?.headers };
    }
    throw e;
  }
}

function assertUnauthorized(r, what) {
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status} ${r.text?.slice(0, 300) ?? ''}`);
  assert.ok(r.challenges?.some((c) => c.scheme === 'bearer'),
    `${what}: 401 carries WWW-Authenticate: Bearer (got ${JSON.stringify(r.challenges)})`);
}

async function assertGrantRefused(promise, expectedError, what) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.error ?? e.cause?.error, expectedError,
      `${what}: expected OAuth error ${expectedError}, got ${e.name}: ${e.message} ${JSON.stringify(e.cause ?? '')}`);
    return true;
  }, `${what}: the grant was accepted`);
}

function weight(value) {
  return {
    resourceType: 'Observation',
    meta: { profile: [WEIGHT_PROFILE] },
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    subject: { reference: `Patient/${gw.demo.patient_id}` },
    effectiveDateTime: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  };
}

// ---------------------------------------------------------------------------------------------
// The steps. Each depends on the ones before it: after a failure the rest are skipped, so the
// report names the first step that broke.

let broken = null;
function step(name, fn) {
  it(name, { timeout: STEP_MS }, async (t) => {
    if (broken) { t.skip(`an earlier step failed: ${broken}`); return; }
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      // openid-client's errors keep the server's answer aside; put it in the report.
      if (e?.error && !String(e.message).includes(e.error)) {
        e.message += ` (${e.status ?? ''} ${e.error}: ${e.error_description ?? ''})`;
      }
      throw e;
    }
  });
}

const watchdog = setTimeout(async () => {
  console.error(`interop: the whole run exceeded ${WHOLE_RUN_MS / 1000} s; stopping`);
  console.error(await gw.logTail());
  gw.kill();
  await gw.removeDir();
  process.exit(1);
}, WHOLE_RUN_MS);
watchdog.unref();

describe('openid-client pairs with mes-gateway (authorization code + PKCE)', () => {
  const s = {};  // state carried from step to step

  before(async () => {
    assert.ok(gatewayBin, 'the mes-gateway binary: pass its path as the first argument or MES_GATEWAY_BIN');
    await gw.start();
  });

  after(async () => {
    if (!gw.proc) {  // never started: before() failed and said why
      await gw.removeDir();
      clearTimeout(watchdog);
      return;
    }
    const exit = await gw.stop();
    const failed = broken || (exit && exit.code !== 0);
    if (failed) console.error(await gw.logTail(exit && exit.code !== 0 ? 200 : 60));
    await gw.removeDir();
    clearTimeout(watchdog);
    assert.deepEqual(exit, { code: 0, signal: null },
      'the gateway stops cleanly on SIGTERM (exit 0; a sanitizer report makes it non-zero)');
  });

  step('discovery: openid-client reads /.well-known/openid-configuration', async () => {
    app.config = await client.discovery(new URL(gw.issuer), gw.demo.client_id, undefined, client.None(),
      { execute: [client.allowInsecureRequests], timeout: HTTP_S });
    app.config.timeout = HTTP_S;
    app.config[client.customFetch] = recordingFetch;
    const m = app.config.serverMetadata();
    assert.equal(new URL(m.issuer).href, new URL(gw.issuer).href);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint',
                     'revocation_endpoint', 'jwks_uri']) {
      assert.ok(m[k]?.startsWith(gw.issuer), `${k} is on the gateway (${m[k]})`);
    }
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.ok(m.response_types_supported?.includes('code'));
    assert.ok(m.grant_types_supported?.includes('authorization_code'));
    assert.ok(m.grant_types_supported?.includes('refresh_token'));
    assert.ok(m.token_endpoint_auth_methods_supported?.includes('none'));
    assert.ok(m.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
    assert.ok(m.id_token_signing_alg_values_supported?.includes('ES256'));
    assert.equal(m.authorization_response_iss_parameter_supported, true);
  });

  step('discovery: the SMART configuration agrees with the OpenID one', async () => {
    const r = await get(`${gw.fhirBase}/.well-known/smart-configuration`, { headers: { accept: 'application/json' } });
    assert.equal(r.status, 200);
    const smart = await r.json();
    const m = app.config.serverMetadata();
    for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'introspection_endpoint',
                     'revocation_endpoint', 'jwks_uri']) {
      assert.equal(smart[k], m[k], `smart-configuration ${k}`);
    }
    for (const c of ['launch-standalone', 'client-public', 'client-confidential-asymmetric',
                     'context-standalone-patient', 'permission-patient', 'permission-offline',
                     'permission-v1', 'permission-v2', 'sso-openid-connect']) {
      assert.ok(smart.capabilities?.includes(c), `capability ${c} (got ${JSON.stringify(smart.capabilities)})`);
    }
    assert.deepEqual(smart.code_challenge_methods_supported, ['S256']);
    const supported = grants((smart.scopes_supported || []).join(' '));
    for (const sc of ['openid', 'fhirUser', 'launch/patient', 'offline_access']) {
      assert.ok(supported.identity.has(sc), `scopes_supported lists ${sc}`);
    }
  });

  step('pairing: login, one-time code, consent; openid-client redeems the code (PKCE, state, iss, nonce)', async () => {
    const { url, checks } = await newAuthorization();
    const r = await patientAuthorizes(url, { jar: app.jar });
    s.visited = r.visited;
    const portalCookie = app.jar.cookies.get('mes_portal');
    assert.ok(portalCookie, `the portal set its session cookie mes_portal (hops:\n  ${r.visited.join('\n  ')})`);
    assert.equal(r.redirect.searchParams.get('state'), checks.expectedState);
    assert.equal(r.redirect.searchParams.get('iss'), app.config.serverMetadata().issuer);
    assert.ok(r.redirect.searchParams.get('code'), `a code in ${r.redirect.href}`);
    s.tokens = await client.authorizationCodeGrant(app.config, r.redirect, checks);
    s.checks = checks;
  });

  step('tokens: the response carries what SPEC §1 lists, with Cache-Control: no-store', async () => {
    const t = s.tokens;
    assert.equal(t.token_type.toLowerCase(), 'bearer');
    assert.ok(t.expires_in > 0 && t.expires_in <= 600, `expires_in ${t.expires_in}`);
    assert.equal(t.patient, gw.demo.patient_id);
    assert.ok(t.refresh_token, 'offline_access granted → refresh_token');
    assert.ok(t.id_token, 'openid asked → id_token');
    const g = grants(t.scope);
    for (const sc of ['openid', 'fhirUser', 'launch/patient', 'offline_access']) {
      assert.ok(g.identity.has(sc), `granted scope has ${sc} (${t.scope})`);
    }
    assert.equal(lettersFor(t.scope, 'Observation'), 'cruds', `Observation letters in "${t.scope}"`);
    assert.equal(lettersFor(t.scope, 'Device'), 'crs', `Device letters in "${t.scope}"`);
    const last = app.tokenResponses.at(-1);
    assert.equal(last?.status, 200);
    assert.match(last.cacheControl || '', /no-store/, 'Cache-Control: no-store on the token response');
  });

  step('tokens: the id_token (validated by openid-client) names the patient', async () => {
    const claims = s.tokens.claims();
    assert.ok(claims, 'an id_token');
    assert.equal(claims.iss, app.config.serverMetadata().issuer);
    assert.equal(claims.aud === gw.demo.client_id || claims.aud?.includes?.(gw.demo.client_id), true);
    assert.equal(claims.nonce, s.checks.expectedNonce);  // openid-client compared it already
    assert.ok(claims.sub, 'sub');
    assert.match(String(claims.fhirUser), new RegExp(`(^|/)Patient/${gw.demo.patient_id}$`), 'fhirUser');
    const header = jose.decodeProtectedHeader(s.tokens.id_token);
    assert.equal(header.alg, 'ES256');
  });

  step('tokens: the access token is an ES256 JWT that verifies against jwks_uri (jose)', async () => {
    const m = app.config.serverMetadata();
    const header = jose.decodeProtectedHeader(s.tokens.access_token);
    assert.equal(header.alg, 'ES256');
    assert.ok(header.kid, 'kid in the header');
    const jwks = jose.createRemoteJWKSet(new URL(m.jwks_uri), { timeoutDuration: HTTP_S * 1000 });
    const { payload } = await jose.jwtVerify(s.tokens.access_token, jwks,
      { issuer: m.issuer, audience: gw.fhirBase, algorithms: ['ES256'] });
    assert.ok(payload.exp - payload.iat <= 600, 'lifetime at most 10 min');
  });

  step('tokens: introspection says the access token is active', async () => {
    const info = await client.tokenIntrospection(app.config, s.tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, gw.demo.client_id);
    assert.equal(info.patient, gw.demo.patient_id);
    assert.equal(lettersFor(info.scope, 'Observation'), 'cruds');
  });

  step('FHIR: create a weight, read it back, find it by search', async () => {
    const at = s.tokens.access_token;
    const created = await fhir(at, 'POST', '/Observation', weight(71.3));
    assert.equal(created.status, 201, created.text);
    s.obsId = created.json.id;
    assert.ok(s.obsId);
    assert.match(created.headers.get('location') || '', new RegExp(`/fhir/Observation/${s.obsId}/_history/1$`));
    const read = await fhir(at, 'GET', `/Observation/${s.obsId}`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.valueQuantity.value, 71.3);
    assert.equal(read.json.subject.reference, `Patient/${gw.demo.patient_id}`);
    const found = await fhir(at, 'GET',
      `/Observation?patient=${gw.demo.patient_id}&code=http://loinc.org%7C29463-7&_sort=-_lastUpdated&_count=100`);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.resourceType, 'Bundle');
    assert.ok(found.json.entry?.some((e) => e.resource?.id === s.obsId), 'the new weight is in the search');
  });

  step('FHIR: the app reads its pairing as a Consent', async () => {
    const r = await fhir(s.tokens.access_token, 'GET', `/Consent?patient=${gw.demo.patient_id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.resourceType, 'Bundle');
    const consents = (r.json.entry || []).map((e) => e.resource).filter((c) => c?.resourceType === 'Consent');
    assert.equal(consents.length, 1, `one Consent for this app (got ${consents.length})`);
    assert.equal(consents[0].status, 'active');
    assert.match(consents[0].patient?.reference || '', new RegExp(`Patient/${gw.demo.patient_id}$`));
    const text = JSON.stringify(consents[0]);
    assert.ok(text.includes('Observation'), 'a provision names Observation');
    const one = await fhir(s.tokens.access_token, 'GET', `/Consent/${consents[0].id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.id, consents[0].id);
  });

  step('refresh: rotation; the new access token works', async () => {
    s.refresh1 = s.tokens.refresh_token;
    s.t2 = await client.refreshTokenGrant(app.config, s.refresh1);
    assert.ok(s.t2.access_token && s.t2.refresh_token);
    assert.notEqual(s.t2.refresh_token, s.refresh1, 'a new refresh token on every use');
    assert.equal(s.t2.patient, gw.demo.patient_id);
    assert.equal(lettersFor(s.t2.scope, 'Observation'), 'cruds');
    const r = await fhir(s.t2.access_token, 'GET', `/Observation/${s.obsId}`);
    assert.equal(r.status, 200, r.text);
  });

  step('refresh: a narrower scope drops the write letters; a wider one is refused', async () => {
    s.t3 = await client.refreshTokenGrant(app.config, s.t2.refresh_token,
      { scope: 'launch/patient offline_access patient/Observation.rs' });
    assert.equal(lettersFor(s.t3.scope, 'Observation'), 'rs', `narrowed scope "${s.t3.scope}"`);
    assert.equal(lettersFor(s.t3.scope, 'Device'), '');
    const readOk = await fhir(s.t3.access_token, 'GET', `/Observation/${s.obsId}`);
    assert.equal(readOk.status, 200, readOk.text);
    const write = await fhir(s.t3.access_token, 'POST', '/Observation', weight(71.4));
    assert.equal(write.status, 403, write.text);
    assert.ok(JSON.stringify(write.json).includes('consent-missing'), write.text);
    // Beyond the grant (the demo service may have agenda scopes, this pairing has not).
    await assertGrantRefused(client.refreshTokenGrant(app.config, s.t3.refresh_token,
      { scope: 'launch/patient patient/Observation.rs patient/Appointment.rs' }), 'invalid_scope',
      'widening on refresh');
  });

  step('refresh: replaying a used refresh token is invalid_grant and revokes the family', async () => {
    await assertGrantRefused(client.refreshTokenGrant(app.config, s.refresh1), 'invalid_grant', 'reuse');
    await assertGrantRefused(client.refreshTokenGrant(app.config, s.t3.refresh_token), 'invalid_grant',
      'the newest refresh token after reuse');
    assertUnauthorized(await fhir(s.t3.access_token, 'GET', `/Observation/${s.obsId}`),
      'an access token of the revoked family');
  });

  step('deny: the patient refuses; openid-client reports access_denied', async () => {
    const { url, checks } = await newAuthorization();
    const { redirect } = await patientAuthorizes(url, { decision: 'deny', jar: app.jar });
    assert.equal(redirect.searchParams.get('error'), 'access_denied', redirect.href);
    await assert.rejects(client.authorizationCodeGrant(app.config, redirect, checks), (e) => {
      assert.equal(e.error ?? e.cause?.error, 'access_denied', `${e.name}: ${e.message}`);
      return true;
    });
  });

  step('revocation: RFC 7009 on the refresh token, then 401 on the next FHIR call', async () => {
    const { tokens } = await pair();
    const ok = await fhir(tokens.access_token, 'GET', `/Observation/${s.obsId}`);
    assert.equal(ok.status, 200, ok.text);
    await client.tokenRevocation(app.config, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    assertUnauthorized(await fhir(tokens.access_token, 'GET', `/Observation/${s.obsId}`),
      'after revocation of the pairing');
    await assertGrantRefused(client.refreshTokenGrant(app.config, tokens.refresh_token), 'invalid_grant',
      'a revoked refresh token');
    const info = await client.tokenIntrospection(app.config, tokens.access_token);
    assert.equal(info.active, false, 'introspection of a revoked token');
  });

  step('app ends its pairing: DELETE /oauth/pairing → 204, then 401', async () => {
    const { tokens } = await pair();
    const r = await get(`${gw.issuer}/oauth/pairing`, {
      method: 'DELETE', headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(r.status, 204, await r.text());
    assertUnauthorized(await fhir(tokens.access_token, 'GET', `/Observation?patient=${gw.demo.patient_id}`),
      'after DELETE /oauth/pairing');
    await assertGrantRefused(client.refreshTokenGrant(app.config, tokens.refresh_token), 'invalid_grant',
      'a refresh token of the ended pairing');
  });
});
