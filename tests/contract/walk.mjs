// The contract walker (issue #6, point 7): every operation of every OpenAPI file of swagger/
// against the real mes-gateway of this build.
//
// It starts the gateway on a free loopback port with a temporary data directory (seed-demo, and
// a registry administrator made with `mes-gateway account add`), then plays the scenarios of
// scenarios.mjs in order: the demo app pairs with the demo patient through the portal (login,
// one-time code, consent) and uses every API, registry accounts log in and take a service from
// draft to referenced through the JSON API and through the pages. Every answer is checked
// against the operation it is for (openapi.mjs): its status code documented for the operation,
// its Content-Type documented for that status, a JSON body valid against the documented schema,
// and the operation existing on the gateway (no router 404/405); and it must be the status the
// scenario expects. Before the gateway starts, every operation of every file must have a
// scenario with a success (2xx/3xx) answer (unless the scenario names it unreachable, with the
// reason), one with 401 when the file documents 401, and one with 404 when its path has a
// parameter and the file documents 404 (again unless unreachable): an operation added to a file
// without a scenario fails.
//
// Run (ctest does this, label "contract"; `npm ci` in tests/contract first, scripts/npm-ci does it):
//   node tests/contract/walk.mjs build/bin/mes-gateway
// Exit status: 0 all passed, 1 a failure, 77 skipped (no node_modules). The last line is
// "N passed, M failed".

import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJar, GatewayProcess, browse, get, run } from '../support/gateway.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let Contract, scenarios, PASSWORD;
try {
  ({ Contract } = await import('./openapi.mjs'));
  ({ scenarios, PASSWORD } = await import('./scenarios.mjs'));
} catch (e) {
  if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  console.log(`contract: skipped, run "npm ci" in tests/contract first (${e.message})`);
  process.exit(77);
}

const gatewayBin = process.env.MES_GATEWAY_BIN || process.argv[2];
if (!gatewayBin) {
  console.error('usage: node tests/contract/walk.mjs <path to mes-gateway>');
  process.exit(2);
}
const WHOLE_RUN_MS = 240_000;

const contract = new Contract(join(here, '..', '..', 'swagger'));
const EXPECTED_FILES = ['agenda.yaml', 'documents.yaml', 'measures.yaml', 'pairing.yaml', 'registry.yaml'];

// --- coverage: every operation has its scenarios, every scenario its operation ----------------

function coverageProblems() {
  const problems = [];
  for (const f of EXPECTED_FILES) {
    if (!contract.files.includes(f)) problems.push(`swagger/${f} is missing`);
  }
  const byOp = new Map(contract.operations.map((o) => [o.key, []]));
  for (const s of scenarios) {
    if (!s.op) continue;
    if (!byOp.has(s.op)) problems.push(`scenario "${s.title}" names ${s.op}, which no file documents`);
    else byOp.get(s.op).push(s);
  }
  for (const op of contract.operations) {
    const mine = byOp.get(op.key);
    const documented = Object.keys(op.responses);
    const statuses = new Set(mine.map((s) => s.status));
    const unreachable = new Set(mine.flatMap((s) => Object.keys(s.unreachable ?? {})));
    if (mine.length === 0) { problems.push(`${op.key} has no scenario in tests/contract/scenarios.mjs`); continue; }
    const success = documented.filter((s) => /^[23]/.test(s));
    if (![...statuses].some((s) => s >= 200 && s < 400) && !success.every((s) => unreachable.has(s))) {
      problems.push(`${op.key} has no scenario with a success answer (${success.join(', ')})`);
    }
    if (documented.includes('401') && !statuses.has(401) && !unreachable.has('401')) {
      problems.push(`${op.key} has no scenario answered 401`);
    }
    if (op.path.includes('{') && documented.includes('404') && !statuses.has(404) && !unreachable.has('404')) {
      problems.push(`${op.key} has no scenario answered 404`);
    }
  }
  return problems;
}

// --- requests ----------------------------------------------------------------------------------

const gw = new GatewayProcess(gatewayBin, { prefix: 'mes-contract-' });
const results = [];  // {ok, line}

// Sends `req` (see scenarios.mjs) and checks the answer against `opKey` (or the one operation
// its method and path name). Returns {status, headers, text, json, problems}.
async function call(req, { opKey, method, expect } = {}) {
  const url = new URL(req.path, gw.issuer);
  const op = opKey ? contract.operation(opKey) : null;
  const verb = method ?? op?.method ?? req.method ?? 'GET';
  const headers = { ...(req.headers ?? {}) };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  if (req.jar) {
    const cookie = req.jar.header(url.href);
    if (cookie) headers.cookie = cookie;
  }
  let body;
  if (req.form !== undefined) {
    body = new URLSearchParams(Array.isArray(req.form) || req.form instanceof URLSearchParams ? req.form : Object.entries(req.form)).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] ??= url.pathname.startsWith('/fhir') ? 'application/fhir+json' : 'application/json';
  } else if (req.body !== undefined) {
    body = req.body;
    headers['content-type'] ??= req.contentType;
  }
  const r = await get(url.href, { method: verb, headers, body });
  if (req.jar) req.jar.store(r, url.href);
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  const res = { status: r.status, headers: r.headers, text, json, problems: [] };
  const ops = op ? [op] : contract.find(verb, url.pathname);
  if (ops.length === 0) res.problems.push(`no file documents ${verb} ${url.pathname}`);
  else if (ops.length > 1) res.problems.push(`${verb} ${url.pathname} is documented by ${ops.map((o) => o.file).join(' and ')}: the scenario must name one`);
  else {
    if (!ops[0].re.test(url.pathname)) res.problems.push(`${verb} ${url.pathname} is not a path of ${ops[0].key}`);
    res.problems.push(...contract.check(ops[0], res));
  }
  if (expect !== undefined && r.status !== expect) {
    res.problems.unshift(`expected ${expect}, got ${r.status}: ${text.slice(0, 300)}`);
  }
  return res;
}

// A registry account's login through its pages (password, then the code sent to its login),
// then its CSRF token from the session.
async function registryLogin(c, who) {
  const { page } = await browse(gw, `${gw.issuer}/registry/login?next=/registry/`, {
    login: c[who].login, password: PASSWORD, recipient: c[who].login, jar: c[who].jar, stopAtPage: true,
  });
  if (!page || new URL(page.url).pathname !== '/registry/') throw new Error(`${who} did not reach the dashboard`);
  const s = await call({ path: '/registry/api/session', jar: c[who].jar }, { expect: 200 });
  if (s.problems.length) throw new Error(s.problems.join('; '));
  c[who].csrf = s.json.csrf_token;
}

async function walk() {
  const run_ = randomBytes(3).toString('hex');
  const c = {
    gw, demo: gw.demo, run: run_, patient: new CookieJar(),
    admin: { login: `admin-${run_}@ans.example`, jar: new CookieJar() },
    editor: { login: `editeur-${run_}@tensio.example`, jar: new CookieJar() },
    evaluator: { login: `evaluatrice-${run_}@ans.example`, jar: new CookieJar() },
    commission: { login: `commission-${run_}@ans.example`, jar: new CookieJar() },
  };
  await run(gatewayBin, ['account', 'add', '--login', c.admin.login, '--role', 'admin', '--data-dir', gw.dir,
                         '--log-level', 'warn'], 60_000, `${PASSWORD}\n`);
  for (const s of scenarios) {
    if (s.login) {
      try {
        for (const who of s.login) await registryLogin(c, who);
        results.push({ ok: true, line: `ok    ${s.title}` });
      } catch (e) {
        results.push({ ok: false, line: `FAIL  ${s.title}\n      ${e.message}` });
      }
      continue;
    }
    const args = s.repeat ? s.repeat(c) : [undefined];
    for (const arg of args) {
      const name = `${s.op} — ${s.title}${arg !== undefined ? ` (${arg})` : ''}`;
      let res;
      try {
        res = await call(await s.req(c, arg), { opKey: s.op, expect: s.status });
        if (res.problems.length === 0 && s.keep) await s.keep(res, c);
      } catch (e) {
        res = { status: res?.status ?? '-', problems: [...(res?.problems ?? []), `${e.message}`] };
      }
      const ok = res.problems.length === 0;
      results.push({ ok, line: `${ok ? 'ok  ' : 'FAIL'}  ${res.status}  ${name}${ok ? '' : `\n      ${res.problems.join('\n      ')}`}` });
    }
  }
}

const watchdog = setTimeout(async () => {
  console.error(`contract: the whole run exceeded ${WHOLE_RUN_MS / 1000} s; stopping`);
  console.error(await gw.logTail());
  gw.kill();
  await gw.removeDir();
  process.exit(1);
}, WHOLE_RUN_MS);
watchdog.unref();

const coverage = coverageProblems();
for (const p of coverage) results.push({ ok: false, line: `FAIL  coverage: ${p}` });
let exit = null;
if (coverage.length === 0) {
  try {
    await gw.start();
    await walk();
  } catch (e) {
    results.push({ ok: false, line: `FAIL  the walk stopped: ${e.stack ?? e.message}` });
  } finally {
    exit = await gw.stop();
  }
  if (exit && (exit.code !== 0 || exit.signal)) {
    results.push({ ok: false, line: `FAIL  the gateway did not stop cleanly on SIGTERM: ${JSON.stringify(exit)}` });
  }
}
for (const r of results) console.log(r.line);
const failed = results.filter((r) => !r.ok).length;
if (failed > 0) console.log(await gw.logTail(40));
await gw.removeDir();
clearTimeout(watchdog);
console.log(`\n${contract.operations.length} operations in ${contract.files.length} files, ${results.length} checks`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
