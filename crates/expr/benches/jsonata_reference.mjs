// Times the expressions of jsonata_cases.json with the reference JSONata implementation
// (npm `jsonata`), the same cases benches/jsonata.rs times with expr::jsonata, so the two can
// be read side by side. Each expression is compiled once; `$states` (or the suite dataset as `$`)
// is bound as the Rust benchmark binds it; every evaluation is awaited, as a caller must.
//
//   npm install --prefix /tmp/jsonata-ref jsonata
//   node crates/expr/benches/jsonata_reference.mjs /tmp/jsonata-ref [seconds per case]
//
// Prints one line per case: name, mean µs per evaluation, evaluations timed.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const prefix = process.argv[2];
if (!prefix) {
  console.error("usage: node jsonata_reference.mjs <npm --prefix dir holding jsonata> [seconds]");
  process.exit(2);
}
const seconds = Number(process.argv[3] ?? 2);
const require = createRequire(join(prefix, "node_modules", "noop.js"));
const jsonata = require("jsonata");
const version = require("jsonata/package.json").version;

const here = dirname(fileURLToPath(import.meta.url));
const cases = JSON.parse(readFileSync(join(here, "jsonata_cases.json"), "utf8"));
const conformance =
  process.env.STEPWISE_CONFORMANCE_DIR ?? join(here, "..", "..", "..", "..", "shared", "conformance");

async function time(name, expr, input, bindings) {
  const compiled = jsonata(expr);
  const first = await compiled.evaluate(input, bindings);
  if (first === undefined) throw new Error(`${name}: undefined result`);
  for (let i = 0; i < 20000; i++) await compiled.evaluate(input, bindings);
  const budget = BigInt(Math.round(seconds * 1e9));
  let n = 0;
  const start = process.hrtime.bigint();
  let now = start;
  while (now - start < budget) {
    for (let i = 0; i < 1000; i++) await compiled.evaluate(input, bindings);
    n += 1000;
    now = process.hrtime.bigint();
  }
  const us = Number(now - start) / 1000 / n;
  console.log(`${name.padEnd(28)} ${us.toFixed(3).padStart(9)} µs  (${n} evaluations)`);
}

console.log(`npm jsonata ${version}, node ${process.version}`);
const states = { input: cases.document, context: cases.context };
for (const c of cases.asl) await time(`eval/${c.name}`, c.expr, undefined, { states });

let dataset;
try {
  dataset = JSON.parse(
    readFileSync(join(conformance, "jsonata", "datasets", `${cases.suite.dataset}.json`), "utf8"),
  );
} catch {
  console.log(`(suite cases skipped: ${cases.suite.dataset} not found under ${conformance})`);
}
if (dataset !== undefined) {
  for (const c of cases.suite.cases) await time(`suite/${c.name}`, c.expr, dataset, {});
}
