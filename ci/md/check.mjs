// ci/md/check.mjs - checks goldenpath's CI outputs with real parsers (run by ci/ci-output-check):
//   markdown FILE REPORT.json [HOSTILE_TEXT_FILE]
//     renders the Markdown summary with markdown-it (raw HTML enabled, as on GitHub before its
//     sanitiser, so injected markup would show) and checks: the tables come out as <table> with
//     the expected <tr> rows (rules, failing users, latency) and every row has its cells; the
//     only HTML is what Markdown makes (no tag from the server); and, given HOSTILE_TEXT_FILE,
//     that the hostile text shows up as text inside a <code> element, its '|' kept.
//   compare-markdown FILE HOSTILE_TEXT_FILE
//     renders `goldenpath compare --markdown` output: only Markdown's own tags, every table row
//     with as many cells as its header, and each line of HOSTILE_TEXT_FILE (text planted in the
//     compared reports) shown as text, never as markup.
//   prometheus FILE REPORT.json
//     parses the metrics with parse-prometheus-text-format (the Prometheus text format a
//     Pushgateway reads) and compares the per-rule, user and run gauges with the JSON report.
// Exits 0 when all holds, 1 with the reasons otherwise.
import fs from 'node:fs';
import MarkdownIt from 'markdown-it';
import parsePrometheus from 'parse-prometheus-text-format';

const fails = [];
const fail = (m) => fails.push(m);

const ALLOWED_TAGS = new Set(['h2', 'h3', 'h4', 'p', 'strong', 'em', 'code', 'table', 'thead',
  'tbody', 'tr', 'th', 'td']);

function unescapeHtml(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

function checkMarkdown(file, reportFile, hostileFile) {
  const md = fs.readFileSync(file, 'utf8');
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const mdit = new MarkdownIt({ html: true, linkify: false });
  const html = mdit.render(md);

  // Only the tags Markdown itself makes, with no attribute but a column's alignment.
  for (const m of html.matchAll(/<\s*(\/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    const tag = m[2].toLowerCase();
    if (!ALLOWED_TAGS.has(tag)) fail(`markup from outside Markdown: ${m[0]}`);
    else if (m[3].trim() && !/^style="text-align:(left|right|center)"$/.test(m[3].trim()))
      fail(`unexpected attribute: ${m[0]}`);
  }
  if (/<!--|<!\[CDATA\[/.test(html)) fail('an HTML comment or CDATA section in the output');

  // Tables: header + 14 rules, header + failing users shown, header + 5 events per scenario.
  let want = 0;
  for (const s of report.scenarios) {
    const rows = s.rules.reduce((n, r) => n + Math.min(r.failed, r.examples.length, 5), 0);
    want += 1 + s.rules.length + 1 + 5 + (rows ? rows + 1 : 0);
    if (!html.includes(s.status === 'passed' ? 'PASSED' : s.status === 'failed' ? 'FAILED' :
      'INCONCLUSIVE')) fail(`verdict ${s.status} not shown`);
  }
  const trs = (html.match(/<tr>/g) || []).length;
  if (trs !== want) fail(`${trs} table rows (<tr>), want ${want}`);
  const tables = html.split('<table>').slice(1);
  for (const t of tables) {
    const body = t.slice(0, t.indexOf('</table>'));
    const head = (body.split('</tr>')[0].match(/<th[ >]/g) || []).length;
    for (const row of body.split('<tr>').slice(2)) {
      const cells = (row.match(/<td[ >]/g) || []).length;
      if (cells !== head) fail(`a row with ${cells} cells under ${head} headers: ${row.slice(0, 200)}`);
    }
  }
  // The failing users' cells hold what the JSON report says (as text in a code span).
  const codes = [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => unescapeHtml(m[1]));
  for (const s of report.scenarios)
    for (const r of s.rules)
      for (const ex of r.examples.slice(0, Math.min(r.failed, 5))) {
        const head = ex.expected.slice(0, 40).replace(/[\x00-\x1f\x7f]/g, '');
        if (head && !codes.some((c) => c.includes(head)))
          fail(`${r.id}: expected text ${JSON.stringify(head)} not in a code span`);
      }
  if (hostileFile) {
    const markers = fs.readFileSync(hostileFile, 'utf8').split('\n').filter((l) => l);
    for (const mk of markers)
      if (!codes.some((c) => c.includes(mk)))
        fail(`hostile text ${JSON.stringify(mk)} is not shown as text inside a <code> element`);
    if (/<script|<img|onerror=/i.test(html.replace(/<code>[\s\S]*?<\/code>/g, '')))
      fail('hostile markup outside a code span');
  }
  return `${trs} rows in ${tables.length} tables`;
}

function checkCompareMarkdown(file, hostileFile) {
  const md = fs.readFileSync(file, 'utf8');
  const html = new MarkdownIt({ html: true, linkify: false }).render(md);
  for (const m of html.matchAll(/<\s*(\/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    const tag = m[2].toLowerCase();
    if (!ALLOWED_TAGS.has(tag)) fail(`markup from outside Markdown: ${m[0]}`);
    else if (m[3].trim() && !/^style="text-align:(left|right|center)"$/.test(m[3].trim()))
      fail(`unexpected attribute: ${m[0]}`);
  }
  const tables = html.split('<table>').slice(1);
  if (!tables.length) fail('no table');
  let rows = 0;
  for (const t of tables) {
    const body = t.slice(0, t.indexOf('</table>'));
    const head = (body.split('</tr>')[0].match(/<th[ >]/g) || []).length;
    for (const row of body.split('<tr>').slice(2)) {
      rows++;
      const cells = (row.match(/<td[ >]/g) || []).length;
      if (cells !== head) fail(`a row with ${cells} cells under ${head} headers: ${row.slice(0, 200)}`);
    }
  }
  const text = unescapeHtml(html.replace(/<[^>]*>/g, ''));
  for (const mk of fs.readFileSync(hostileFile, 'utf8').split('\n').filter((l) => l))
    if (!text.includes(mk)) fail(`hostile text ${JSON.stringify(mk)} is not shown as text`);
  return `${rows} rows in ${tables.length} tables`;
}

// The labels goldenpath sets itself; a --label of the same name is written as label_<name>.
const OWN_LABELS = new Set(['scenario', 'rule', 'result', 'event', 'quantile', 'status', 'stat',
  'cause', 'job', 'instance']);

function checkPrometheus(file, reportFile) {
  const text = fs.readFileSync(file, 'utf8');
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const families = parsePrometheus(text);
  const fam = (n) => families.find((f) => f.name === n);
  const value = (n, labels) => {
    const f = fam(n);
    if (!f) { fail(`no family ${n}`); return undefined; }
    const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    if (!m) { fail(`${n}${JSON.stringify(labels)} missing`); return undefined; }
    return Number(m.value);
  };
  const eq = (n, labels, want) => {
    const got = value(n, labels);
    if (got !== undefined && got !== want)
      fail(`${n}${JSON.stringify(labels)} = ${got}, the JSON report says ${want}`);
  };
  for (const t of ['goldenpath_rule_users', 'goldenpath_users', 'goldenpath_runs'])
    if (fam(t)?.type !== 'GAUGE') fail(`${t} is not a gauge`);
  let n = 0;
  for (const s of report.scenarios) {
    const base = { scenario: s.name };
    for (const [k, v] of Object.entries(s.labels || {}))
      if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) && !k.startsWith('__') && !OWN_LABELS.has(k))
        base[k] = v;
    for (const r of s.rules)
      for (const res of ['passed', 'failed', 'inconclusive']) {
        eq('goldenpath_rule_users', { ...base, rule: r.id, result: res }, r[res]);
        n++;
      }
    const sum = s.summary;
    eq('goldenpath_users', { ...base, status: 'passed' }, sum.users_passed);
    eq('goldenpath_users', { ...base, status: 'failed' }, sum.users_failed);
    eq('goldenpath_users', { ...base, status: 'inconclusive' }, sum.users_inconclusive);
    eq('goldenpath_users', { ...base, status: 'not_started' }, sum.users_not_started);
    eq('goldenpath_runs', { ...base, result: 'passed' }, sum.runs_passed);
    eq('goldenpath_runs', { ...base, result: 'failed' }, sum.runs_total - sum.runs_passed);
    eq('goldenpath_passed', base, s.status === 'passed' ? 1 : 0);
    n += 7;
  }
  return `${families.length} families, ${n} values match the JSON report`;
}

const [mode, ...args] = process.argv.slice(2);
let what;
try {
  if (mode === 'markdown') what = checkMarkdown(args[0], args[1], args[2]);
  else if (mode === 'prometheus') what = checkPrometheus(args[0], args[1]);
  else if (mode === 'compare-markdown') what = checkCompareMarkdown(args[0], args[1]);
  else { console.error('usage: check.mjs markdown|prometheus|compare-markdown FILE [REPORT.json] [HOSTILE]'); process.exit(2); }
} catch (e) {
  fail(`${mode}: ${e.stack || e}`);
}
if (fails.length) {
  for (const f of fails) console.error(`FAIL ${mode} ${args[0]}: ${f}`);
  process.exit(1);
}
console.log(`ok ${mode} ${args[0]}: ${what}`);
