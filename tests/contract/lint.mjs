// Lints every OpenAPI file of swagger/ with Redocly CLI (pinned by package-lock.json) and the
// rules of redocly.yaml beside this file; any problem fails (exit 1). Telemetry and the update
// check are off. Exit 77 (skipped) when node_modules is missing or Node.js is older than Redocly
// CLI needs (20.19).
//   node tests/contract/lint.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.log(`openapi lint: skipped, Redocly CLI needs Node.js 20.19 or later (this is ${process.versions.node})`);
  process.exit(77);
}
if (!existsSync(cli)) {
  console.log('openapi lint: skipped, run "npm ci" in tests/contract first (scripts/npm-ci tests/contract)');
  process.exit(77);
}
const swagger = join(here, '..', '..', 'swagger');
const files = readdirSync(swagger).filter((n) => n.endsWith('.yaml')).sort().map((n) => join(swagger, n));
const r = spawnSync(process.execPath, [cli, 'lint', '--config', join(here, 'redocly.yaml'), '--format', 'stylish', ...files], {
  stdio: 'inherit',
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_UPDATE_NOTIFIER: '1' },
  timeout: 100_000,
});
if (r.error) throw r.error;
process.exit(r.status === 0 ? 0 : 1);
