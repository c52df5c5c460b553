// ci/schema/check.mjs - keeps scenarios/schema.json and the loader (harness/scenario_load.c) from
// drifting apart, with a real JSON Schema validator (Ajv 2020-12 + ajv-formats) and the YAML
// parser editors use (the npm `yaml` package, YAML 1.2 core schema, as yaml-language-server).
//
//  - the schema compiles in Ajv's strict mode (so it is a valid draft 2020-12 schema) and has its
//    stable $id;
//  - every shipped scenario (scenarios/*.yaml) starts with the yaml-language-server modeline
//    pointing at the schema, and passes;
//  - every valid fixture (fixtures/scenarios/valid/*.yaml) passes;
//  - every complete ```yaml block of docs/*.md passes (```yaml partial blocks are fragments);
//  - every invalid fixture (fixtures/scenarios/invalid/*.yaml) is rejected, by the YAML parser
//    (listed in REJECTED_BY_YAML: an editor flags those too, before any schema) or by the
//    schema, except those listed in NOT_EXPRESSIBLE, whose fault no JSON Schema can see. Both
//    lists are checked: a listed case that is not where the list says fails the test, and so
//    does an unlisted case that the schema accepts;
//  - every key in the schema has a title and a description (the editor's help);
//  - a few schema-only cases for keys other branches are adding to the loader.
//
// usage: node ci/schema/check.mjs [ROOT]   (default: the repository holding this file)
// Exits 0 when everything holds, 1 otherwise; prints one line per failure and a summary line.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const SCHEMA_ID = 'https://goldenpath.dev/schema/scenario-v1.json';
const MODELINE = '# yaml-language-server: $schema=schema.json';

// Invalid fixtures the YAML parser itself refuses (as an editor does, before any schema).
const REJECTED_BY_YAML = {
  duplicate_key_in_message: 'duplicate keys are a YAML error (uniqueKeys)',
  duplicate_key_toplevel: 'duplicate keys are a YAML error (uniqueKeys)',
  syntax_flow_sequence: 'YAML syntax',
  syntax_mapping_values: 'YAML syntax',
  syntax_tab_indent: 'YAML syntax',
};

// Invalid fixtures whose fault a JSON Schema cannot express: the schema accepts them and only
// the loader (`goldenpath check`) refuses them. Each with the reason.
const NOT_EXPRESSIBLE = {
  anchor_alias: 'anchors and aliases are resolved by the YAML data model before a schema sees the data; the loader refuses them',
  auth_missing_default_secret_unset: 'whether the secret variable is set in the environment is known only at load time',
  jwt_secret_unset: 'whether the secret variable is set in the environment is known only at load time',
  env_missing: 'whether ${VAR} is set in the environment is known only at load time',
  repeat_too_many_steps: 'the product of nested repeat counts (at most 100000 steps per user) is arithmetic across levels',
  think_min_above_max: 'comparing two durations (think.max shorter than think.min) is a cross-field check on parsed values',
  token_file_missing: 'file existence is checked at load time, relative to the scenario\'s directory',
  unknown_variable_uncaptured: 'whether {{thread}} was captured by an earlier step depends on document order across steps',
  nesting_too_deep: 'the loader bounds nesting depth (40 levels) to refuse hostile files early; a schema has no depth limit',
  range_ramp_up: 'the 168h bound on a duration is a number inside a string with a unit (8999999999s), beyond what a pattern can compare',
  shape_pause_max_below_min: 'comparing two durations (users.pause max shorter than min) is a cross-field check on parsed values',
  shape_too_many_arrivals: 'the arrivals planned (rate times duration, at most 100000) is arithmetic on two parsed values',
  shape_rate_stages_too_many: 'the arrivals planned (the integral of the stages\' rates, at most 100000) is arithmetic on parsed values',
  range_think: 'the 168h bound on a duration is a number inside a string with a unit (2500000h), beyond what a pattern can compare',
};

const failures = [];
const fail = (msg) => failures.push(msg);
let passed = 0;

// ---- the schema
const schemaPath = join(root, 'scenarios', 'schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
if (schema.$id !== SCHEMA_ID) fail(`scenarios/schema.json: $id is ${schema.$id}, expected ${SCHEMA_ID}`);
if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') fail('scenarios/schema.json: $schema is not draft 2020-12');
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
// yaml-language-server's message for a failed pattern: an annotation to Ajv, which checks nothing.
ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
const validate = ajv.compile(schema);

// Every key has help for the editor's hover and completion: a title and a description on each
// property, or on the definition it refers to.
(function keysHaveHelp(node, where) {
  if (!node || typeof node !== 'object') return;
  if (node.properties && typeof node.properties === 'object') {
    for (const [key, sub] of Object.entries(node.properties)) {
      if (sub === false) continue; // a key forbidden in this case (auth keys of another kind)
      let s = sub;
      if (s.$ref && !(s.title && s.description)) s = s.$ref.split('/').slice(1).reduce((o, k) => o?.[k], schema) ?? {};
      if (!s.title || !s.description) fail(`scenarios/schema.json: ${where}/properties/${key} has no title or description`);
    }
  }
  for (const [k, v] of Object.entries(node))
    if (k !== 'if' && k !== 'then' && v && typeof v === 'object') keysHaveHelp(v, `${where}/${k}`); // conditions only
})(schema, '#');

// Parses YAML as an editor does. Returns { docs: [values], error: text|null }.
function readYaml(text) {
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length) {
      const e = doc.errors[0];
      return { docs: [], error: `${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}` };
    }
  }
  // An empty file is one empty document: its value is null, which the schema refuses.
  if (list.length === 0) return { docs: [null], error: null };
  return { docs: list.map((d) => d.toJS({ maxAliasCount: 100 })), error: null };
}

function schemaErrors(value) {
  if (validate(value)) return null;
  // The most specific errors first: the deepest instance path.
  const errs = [...validate.errors].sort((a, b) => b.instancePath.length - a.instancePath.length);
  return errs.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

// Every document of the text must parse and pass.
function mustPass(label, text) {
  const { docs, error } = readYaml(text);
  if (error) return fail(`${label}: YAML error ${error}`);
  if (docs.length !== 1) return fail(`${label}: ${docs.length} YAML documents, expected 1`);
  const errs = schemaErrors(docs[0]);
  if (errs) return fail(`${label}: rejected by the schema: ${errs}`);
  passed++;
}

const yamlFiles = (dir) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f)) : [];

// ---- shipped scenarios: the modeline, and valid
const shipped = yamlFiles(join(root, 'scenarios'));
if (!shipped.length) fail('no scenarios/*.yaml found');
for (const f of shipped) {
  const text = readFileSync(f, 'utf8');
  const first = text.split('\n', 1)[0];
  if (first !== MODELINE) fail(`scenarios/${basename(f)}:1: the first line must be '${MODELINE}'`);
  mustPass(`scenarios/${basename(f)}`, text);
}

// ---- valid fixtures
const valid = yamlFiles(join(root, 'fixtures', 'scenarios', 'valid'));
if (!valid.length) fail('no fixtures/scenarios/valid/*.yaml found');
for (const f of valid) mustPass(`fixtures/scenarios/valid/${basename(f)}`, readFileSync(f, 'utf8'));

// ---- docs: every complete ```yaml block (the same rule as ci/check-docs)
let blocks = 0;
const docsDir = join(root, 'docs');
for (const md of readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort()) {
  const lines = readFileSync(join(docsDir, md), 'utf8').split('\n');
  let start = 0, body = null;
  lines.forEach((line, i) => {
    if (body === null && /^```yaml[ \t]*$/.test(line)) { body = []; start = i + 1; return; }
    if (body !== null && /^```/.test(line)) {
      blocks++;
      mustPass(`docs/${md}:${start} (yaml block)`, body.join('\n') + '\n');
      body = null;
      return;
    }
    if (body !== null) body.push(line);
  });
}
if (!blocks) fail('no ```yaml blocks found in docs/');

// ---- invalid fixtures
const invalidDir = join(root, 'fixtures', 'scenarios', 'invalid');
const invalid = yamlFiles(invalidDir);
if (!invalid.length) fail('no fixtures/scenarios/invalid/*.yaml found');
const seen = new Set();
let bySchema = 0, byYaml = 0, inexpressible = 0;
for (const f of invalid) {
  const name = basename(f, '.yaml');
  seen.add(name);
  const expected = readFileSync(join(invalidDir, `${name}.err`), 'utf8').trim();
  const { docs, error } = readYaml(readFileSync(f, 'utf8'));
  if (error) {
    if (name in REJECTED_BY_YAML) { byYaml++; passed++; continue; }
    fail(`invalid/${name}: refused by the YAML parser (${error}), but not listed in REJECTED_BY_YAML (the loader says: ${expected})`);
    continue;
  }
  if (name in REJECTED_BY_YAML) {
    fail(`invalid/${name}: listed in REJECTED_BY_YAML, but the YAML parser reads it`);
    continue;
  }
  const errs = docs.map(schemaErrors).filter(Boolean);
  if (name in NOT_EXPRESSIBLE) {
    if (errs.length) fail(`invalid/${name}: listed in NOT_EXPRESSIBLE (${NOT_EXPRESSIBLE[name]}), but the schema rejects it: ${errs[0]}; remove it from the list`);
    else { inexpressible++; passed++; }
    continue;
  }
  if (!errs.length) {
    fail(`invalid/${name}: the loader refuses it (${expected}) but the schema accepts it: make the schema reject it, or list it in NOT_EXPRESSIBLE with the reason`);
    continue;
  }
  bySchema++;
  passed++;
  if (process.env.GP_SCHEMA_VERBOSE) console.log(`invalid/${name}: ${errs[0]}`);
}
for (const name of [...Object.keys(REJECTED_BY_YAML), ...Object.keys(NOT_EXPRESSIBLE)])
  if (!seen.has(name)) fail(`invalid/${name}: listed, but there is no such fixture`);

// ---- keys the schema has before this loader does (target.compression, target.client_cert and
// target.client_key come with other branches): checked on the schema alone until their
// fixtures land, when these cases move to fixtures/scenarios/{valid,invalid}.
const head = 'name: t\ntarget:\n  url: wss://staging.example.com/ws\n';
const SCHEMA_ONLY = [
  ['target.compression: none', true, '  compression: none\n'],
  ['target.compression: ${GP_COMPRESSION:-deflate}', true, '  compression: ${GP_COMPRESSION:-deflate}\n'],
  ['target.compression: gzip', false, '  compression: gzip\n'],
  ['target.client_cert with target.client_key', true, '  client_cert: client.pem\n  client_key: client.key\n'],
  ['target.client_cert without target.client_key', false, '  client_cert: client.pem\n'],
  ['target.client_key without target.client_cert', false, '  client_key: client.key\n'],
];
for (const [what, ok, lines] of SCHEMA_ONLY) {
  const { docs, error } = readYaml(`${head}${lines}steps: [connect]\n`);
  const errs = error ? error : schemaErrors(docs[0]);
  if (ok && errs) fail(`schema-only case '${what}': rejected: ${errs}`);
  else if (!ok && !errs) fail(`schema-only case '${what}': accepted, but it is invalid`);
  else passed++;
}

for (const m of failures) console.log(`FAIL ${m}`);
console.log(`schema-check: ${shipped.length} shipped, ${valid.length} valid fixtures and ${blocks} docs blocks must pass; ` +
  `${invalid.length} invalid fixtures: ${bySchema} rejected by the schema, ${byYaml} by the YAML parser, ` +
  `${inexpressible} not expressible in a schema (listed)`);
console.log(`schema-check: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
