// The OpenAPI documents of swagger/ as the walker reads them: every operation with its
// documented responses, the operation a request is for, and the checks of a response against
// its operation (status code, media type, JSON body against the schema).
//
// Rules (README, "OpenAPI files"):
//  - a status code must be listed under the operation's `responses`; `default` does not count
//    (no file uses it: each lists the codes the gateway answers);
//  - a response with a body must carry a Content-Type naming one of the media types documented
//    for that status (compared without parameters such as charset; `*/*`-style ranges match);
//    a status documented without `content` must have no body;
//  - a JSON body (application/json, application/*+json) is validated against the documented
//    schema (OpenAPI 3.0 schema objects: Ajv with `nullable`, formats from ajv-formats);
//  - 405, or 404 `unknown-endpoint`, is the router saying that the documented operation does
//    not exist on the gateway.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function pointer(parts) {
  return `#/${parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

export class Contract {
  constructor(dir) {
    this.files = readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort();
    this.docs = new Map();
    this.operations = [];  // {key, file, method, path, re, responses, doc}
    this.ajv = new Ajv({ strict: false, allErrors: true, discriminator: true });
    addFormats(this.ajv);
    for (const file of this.files) {
      const doc = YAML.parse(readFileSync(join(dir, file), 'utf8'));
      this.docs.set(file, doc);
      this.ajv.addSchema(doc, file);
      for (const [path, item] of Object.entries(doc.paths ?? {})) {
        for (const method of METHODS) {
          const op = item[method];
          if (!op) continue;
          const re = new RegExp(`^${path.split('/').map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+'
            : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`);
          this.operations.push({
            key: `${file} ${method.toUpperCase()} ${path}`, file, method: method.toUpperCase(), path, re,
            responses: op.responses ?? {}, doc, at: ['paths', path, method],
          });
        }
      }
    }
  }

  // The operations of `method` whose path template matches `path` (no query string).
  find(method, path) {
    return this.operations.filter((o) => o.method === method && o.re.test(path));
  }

  operation(key) { return this.operations.find((o) => o.key === key); }

  resolve(doc, value) {
    let v = value;
    for (let i = 0; v && v.$ref && i < 20; ++i) {
      v = v.$ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce((a, k) => a?.[k], doc);
    }
    return v;
  }

  // Problems of `response` ({status, headers, text}) against operation `op`: a list of strings.
  check(op, response) {
    const problems = [];
    const { status } = response;
    const type = (response.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
    const hasBody = response.text.length > 0;
    if (status === 405 || (status === 404 && /unknown-endpoint|There is no endpoint/.test(response.text))) {
      problems.push(`the gateway has no such operation (the router answered ${status}: ${response.text.slice(0, 200)})`);
      return problems;
    }
    const documented = Object.keys(op.responses).filter((s) => s !== 'default');
    const statusKey = documented.find((s) => s === String(status))
      ?? documented.find((s) => /^[1-5]XX$/i.test(s) && s[0] === String(status)[0]);
    if (!statusKey) {
      problems.push(`status ${status} is not documented (documented: ${documented.join(', ')})`);
      return problems;
    }
    const resp = this.resolve(op.doc, op.responses[statusKey]);
    const content = resp?.content ?? {};
    const mediaTypes = Object.keys(content);
    if (mediaTypes.length === 0) {
      if (hasBody || type) problems.push(`status ${status} is documented without a body, got ${type || 'a body'} (${response.text.slice(0, 120)})`);
      return problems;
    }
    if (!hasBody && !type) {
      problems.push(`status ${status} is documented with a body (${mediaTypes.join(', ')}), got none`);
      return problems;
    }
    const matches = (m) => {
      const base = m.split(';')[0].trim().toLowerCase();
      if (base === '*/*') return true;
      if (base.endsWith('/*')) return type.startsWith(base.slice(0, -1));
      return base === type;
    };
    const mediaKey = mediaTypes.find((m) => m.split(';')[0].trim().toLowerCase() === type)
      ?? mediaTypes.find(matches);
    if (!mediaKey) {
      problems.push(`Content-Type ${type || '(none)'} is not documented for ${status} (documented: ${mediaTypes.join(', ')})`);
      return problems;
    }
    const media = content[mediaKey];
    if (media?.schema && /^application\/(.+\+)?json$/.test(type)) {
      let body;
      try { body = JSON.parse(response.text); } catch (e) {
        problems.push(`the ${type} body is not JSON: ${e.message}`);
        return problems;
      }
      const ref = `${op.file}${pointer([...op.at, 'responses', String(statusKey)])}`;
      // Through the response's own $ref when it has one (components/responses/...).
      const raw = op.responses[statusKey];
      const base = raw.$ref ? `${op.file}${raw.$ref}` : ref;
      const validate = this.ajv.getSchema(`${base}/content/${mediaKey.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`);
      if (!validate) {
        problems.push(`cannot compile the schema at ${base}`);
      } else if (!validate(body)) {
        const errs = validate.errors.slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
        problems.push(`the body does not match the documented schema: ${errs.join('; ')}`);
      }
    }
    return problems;
  }
}
