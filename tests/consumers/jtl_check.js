// Reads a results.jtl with parse-jtl (npm) and prints, as JSON, what it
// makes of each label: samples, errors (parse-jtl counts responseCode
// >= 400), mean elapsed (ms), and whether it took the label for a
// transaction (URL "null"). Usage: node jtl_check.js ABSOLUTE_PATH
const path = require('path');
const { parse } = require('parse-jtl');
// parse-jtl joins the path to the working directory.
const rel = path.relative(process.cwd(), process.argv[2]);
const out = {};
for (const [label, r] of Object.entries(parse(rel).all)) {
  out[label] = { samples: r.samples, errors: r.errors, average: r.average, transaction: r.transaction };
}
console.log(JSON.stringify(out));
