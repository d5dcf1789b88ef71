// What the Node.js tests share (tests/interop, tests/contract): the real mes-gateway started on
// a free loopback port with a temporary data directory (seed-demo first) and stopped with
// SIGTERM, its outbox read for one-time codes, and the patient's (or a registry user's) browser:
// cookies, HTML forms, redirects. Node.js built-ins only (no package to install).

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, open } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const HTTP_S = 20;  // one HTTP request, seconds (the sanitized gateway is slow)

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

// Runs a program to its end; its standard output, or an error naming its standard error.
export function run(file, args, ms, input) {
  return new Promise((res, rej) => {
    const child = execFile(file, args, { timeout: ms, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else res(stdout);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

// fetch with a deadline, never following redirects (the tests look at each hop).
export function get(url, init = {}) {
  return fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(HTTP_S * 1000), ...init });
}

const decodeEntities = (s) => s
  .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(Number(d)))
  .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
  .replace(/&amp;/g, '&');

function attributes(text) {
  const attrs = {};
  const re = /([^\s=\/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const m of text.matchAll(re)) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

// The forms of an HTML page, generically: action, method and every input/button with its
// attributes (no value is hard-coded by the tests except the ones a person would type).
export function parseForms(html, pageUrl) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = attributes(m[1]);
    const fields = [];
    for (const f of m[2].matchAll(/<(input|button)\b([^>]*)>/gi)) {
      const fa = attributes(f[2]);
      fields.push({
        tag: f[1].toLowerCase(),
        type: (fa.type || (f[1].toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase(),
        name: fa.name, value: fa.value ?? '', checked: 'checked' in fa,
      });
    }
    forms.push({
      action: new URL(a.action || pageUrl, pageUrl).href,
      method: (a.method || 'get').toLowerCase(),
      fields,
    });
  }
  return forms;
}

// Cookies by hand (Node's fetch keeps none): name → {value, path}, sent when the path matches.
export class CookieJar {
  constructor() { this.cookies = new Map(); }
  store(response, url) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let gone = value === '';
      for (const at of attrs) {
        const [k, v = ''] = at.split('=');
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) gone = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) gone = true;
      }
      this.lastAttributes = { name, attrs, url };
      if (gone) this.cookies.delete(name); else this.cookies.set(name, { value, path });
    }
  }
  header(url) {
    const p = new URL(url).pathname;
    return [...this.cookies].filter(([, c]) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([n, c]) => `${n}=${c.value}`).join('; ');
  }
}

// The gateway under test: `start()` seeds a temporary data directory and serves it on a free
// port; `demo` is what seed-demo printed (patient, logins, passwords, demo app).
export class GatewayProcess {
  constructor(bin, { prefix = 'mes-test-' } = {}) {
    this.bin = bin;
    this.prefix = prefix;
    this.dir = null; this.proc = null; this.port = 0; this.issuer = ''; this.fhirBase = '';
    this.demo = null; this.logPath = null; this.exit = null; this.outboxSeen = new Set();
  }

  async start() {
    this.dir = await mkdtemp(join(tmpdir(), this.prefix));
    this.demo = JSON.parse(await run(this.bin, ['seed-demo', '--data-dir', this.dir], 60_000));
    for (const k of ['patient_id', 'login', 'password', 'client_id', 'redirect_uri']) {
      assert.ok(this.demo[k], `seed-demo prints "${k}" (printed: ${JSON.stringify(this.demo)})`);
    }
    this.logPath = join(this.dir, 'gateway.log');
    for (let attempt = 1; ; ++attempt) {
      this.port = await freePort();
      const log = await open(this.logPath, 'a');
      this.proc = spawn(this.bin,
        ['serve', '--data-dir', this.dir, '--port', String(this.port), '--listen', '127.0.0.1'],
        { stdio: ['ignore', log.fd, log.fd] });
      await log.close();
      this.exit = new Promise((res) => this.proc.once('exit', (code, signal) => res({ code, signal })));
      this.issuer = `http://127.0.0.1:${this.port}`;
      const deadline = Date.now() + 60_000;
      let exited = null;
      this.exit.then((e) => { exited = e; });
      while (Date.now() < deadline && !exited) {
        try {
          if ((await get(`${this.issuer}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200) {
            this.fhirBase = `${this.issuer}/fhir`;
            return;
          }
        } catch { /* not listening yet */ }
        await sleep(100);
      }
      if (exited && attempt < 3) continue;  // the port was taken in between: try another
      throw new Error(`gateway not ready (exit ${JSON.stringify(exited)})\n${await this.logTail()}`);
    }
  }

  // SIGTERM, then the exit ({code, signal}); SIGKILL after 30 s.
  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return this.exit && this.exit;
    p.kill('SIGTERM');
    let timer;
    const timeout = new Promise((res) => { timer = setTimeout(() => res('timeout'), 30_000); });
    const first = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      p.kill('SIGKILL');
      await this.exit;
      return { code: null, signal: 'SIGKILL (did not stop within 30 s of SIGTERM)' };
    }
    return this.exit;
  }

  kill() { try { this.proc?.kill('SIGKILL'); } catch { /* gone */ } }

  async removeDir() { if (this.dir) await rm(this.dir, { recursive: true, force: true }); }

  async logTail(lines = 60) {
    try {
      const text = await readFile(this.logPath, 'utf8');
      return `--- last lines of the gateway's log ---\n${text.split('\n').slice(-lines).join('\n')}`;
    } catch { return ''; }
  }

  // The newest unread login code for `recipient` in <data-dir>/outbox (waits up to 10 s).
  async readLoginCode(recipient) {
    const dir = join(this.dir, 'outbox');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      let names = [];
      try { names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort(); } catch { /* none yet */ }
      for (const n of names) {
        if (this.outboxSeen.has(n)) continue;
        this.outboxSeen.add(n);
        const msg = JSON.parse(await readFile(join(dir, n), 'utf8'));
        if (msg.kind === 'login-code' && msg.recipient === recipient && msg.data?.code) {
          return String(msg.data.code);
        }
      }
      await sleep(100);
    }
    throw new Error(`no login-code message for ${recipient} in ${dir} within 10 s`);
  }

  async markOutboxRead() {
    try { for (const n of await readdir(join(this.dir, 'outbox'))) this.outboxSeen.add(n); } catch { /* none */ }
  }
}

// A person's browser from `url` on: follows the gateway's redirects, fills the login, one-time
// code and consent forms it meets (typing `login` and `password`, reading the code sent to
// `recipient`, pressing the consent button `decision` with every access row ticked), and stops
// at the first redirect that leaves the gateway (the app's redirect_uri), or at a page without
// such a form when `stopAtPage` (e.g. the registry's dashboard after its login).
// Returns {redirect (URL, or null), page: {url, html} (when stopped at a page), visited, jar}.
export async function browse(gw, url, { login, password, recipient, decision = 'approve',
                                        jar = new CookieJar(), stopAtPage = false } = {}) {
  const visited = [];
  let method = 'GET';
  let body = null;
  for (let hop = 0; hop < 20; ++hop) {
    const headers = { accept: 'text/html' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const r = await get(url, { method, headers, body });
    jar.store(r, url);
    visited.push(`${method} ${new URL(url).pathname} → ${r.status}`);
    const trail = () => visited.join('\n  ');
    if ([301, 302, 303, 307, 308].includes(r.status)) {
      const loc = r.headers.get('location');
      assert.ok(loc, `redirect without Location after\n  ${trail()}`);
      const next = new URL(loc, url);
      if (next.origin !== gw.issuer) return { redirect: next, visited, jar };
      if (r.status === 307 || r.status === 308) {
        url = next.href;  // method and body kept
      } else {
        method = 'GET'; body = null; url = next.href;
      }
      continue;
    }
    const html = await r.text();
    assert.equal(r.status, 200, `unexpected page after\n  ${trail()}\n${html.slice(0, 800)}`);
    assert.match(r.headers.get('content-type') || '', /text\/html/, `the pages are HTML (${url})`);
    const forms = parseForms(html, url).filter((f) => f.method === 'post');
    const has = (f, name) => f.fields.some((x) => x.name === name);
    const loginForm = forms.find((f) => f.fields.some((x) => x.type === 'password'));
    const otp = forms.find((f) => has(f, 'code') && !has(f, 'password'));
    const consent = forms.find((f) => has(f, 'decision') || has(f, 'access'));
    const form = consent ?? otp ?? loginForm;
    if (!form && stopAtPage) return { redirect: null, page: { url, html }, visited, jar };
    assert.ok(form, `no login, one-time code or consent form on ${url} after\n  ${trail()}\n${html.slice(0, 800)}`);
    const data = new URLSearchParams();
    let submitted = false;
    for (const f of form.fields) {
      if (!f.name) continue;
      if (f.type === 'submit' || f.type === 'image') {
        // Press one button: the one matching the decision on the consent screen, else the first.
        const wanted = form === consent ? f.name === 'decision' && f.value === decision : !submitted;
        if (wanted && !submitted) { data.append(f.name, f.value); submitted = true; }
        continue;
      }
      if (f.type === 'checkbox' || f.type === 'radio') {
        // Approving all: tick every access row (a person would tick them all).
        if (f.type === 'checkbox' || f.checked) data.append(f.name, f.value || 'on');
        continue;
      }
      let value = f.value;
      if (form === loginForm && f.type === 'password') value = password;
      else if (form === loginForm && f.type !== 'hidden') value = login;
      else if (form === otp && f.name === 'code') value = await gw.readLoginCode(recipient);
      data.append(f.name, value);
    }
    if (form === consent && !submitted) {
      assert.ok(form.fields.some((x) => x.name === 'decision'), 'the consent form has decision buttons');
    }
    if (form === loginForm) await gw.markOutboxRead();  // the code to read is the one this login sends
    method = 'POST'; url = form.action; body = data.toString();
  }
  throw new Error(`more than 20 hops without reaching the app's redirect_uri:\n  ${visited.join('\n  ')}`);
}
