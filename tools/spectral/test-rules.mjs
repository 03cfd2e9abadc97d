// test-rules.mjs proves that the fieldops- rules of .spectral.yaml bite: it
// lints testdata/bad.json, which breaks each rule on purpose, and
// testdata/good.json, which meets them all, and fails unless Spectral reports
// exactly the findings listed in testdata/bad.expected (rule and path, at
// severity error) on the first and none on the second. It also fails when a
// fieldops- rule has no expected finding, so a new rule needs a fixture.
//
// Run from tools/spectral after `npm ci` (`make spectral` does both):
//
//	node test-rules.mjs
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const spectral = "node_modules/.bin/spectral";

// findings lints file and returns its errors as sorted "rule path" lines.
function findings(file) {
  let out;
  try {
    out = execFileSync(spectral, ["lint", "--format", "json", "--quiet", file], { encoding: "utf8" });
  } catch (err) {
    if (typeof err.stdout !== "string" || err.stdout === "") throw err; // no report: a real failure
    out = err.stdout; // exit status 1 just means "errors found"
  }
  const results = out.trim() === "" ? [] : JSON.parse(out);
  const lines = results.filter((r) => r.severity === 0).map((r) => `${r.code} ${r.path.join(".")}`);
  return [...new Set(lines)].sort();
}

// expected reads a "rule path" list, skipping blank lines and # comments.
function expected(file) {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .sort();
}

// diff reports what want has and got lacks, and the other way round.
function diff(name, want, got) {
  const missing = want.filter((l) => !got.includes(l));
  const extra = got.filter((l) => !want.includes(l));
  for (const l of missing) console.error(`${name}: expected, not reported: ${l}`);
  for (const l of extra) console.error(`${name}: reported, not expected: ${l}`);
  return missing.length + extra.length === 0;
}

const want = expected("testdata/bad.expected");
let ok = diff("testdata/bad.json", want, findings("testdata/bad.json"));
ok = diff("testdata/good.json", [], findings("testdata/good.json")) && ok;

const rules = [...readFileSync(".spectral.yaml", "utf8").matchAll(/^  (fieldops-[a-z0-9-]+):/gm)].map((m) => m[1]);
for (const rule of rules) {
  if (!want.some((l) => l.startsWith(rule + " "))) {
    console.error(`testdata/bad.expected: no finding for rule ${rule}`);
    ok = false;
  }
}
if (!ok) {
  console.error("Spectral rule tests failed (see tools/spectral/test-rules.mjs)");
  process.exit(1);
}
console.log(`Spectral rule tests: ${rules.length} fieldops- rules, ${want.length} expected findings on bad.json, none on good.json`);
