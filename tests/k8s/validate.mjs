// Validates a multi-document Kubernetes manifest against the API schema,
// offline, with kubernetes-models' classes (their validate() runs the
// OpenAPI schema of the object's apiVersion and kind through ajv).
//
//   node validate.mjs FILE
//
// Prints one JSON line: {"documents": [...parsed objects...],
// "errors": ["Job/x: message", ...]}; exits 1 when any document is
// invalid or of a kind this script does not know, 0 otherwise.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Job } from "kubernetes-models/batch/v1/Job";

const KINDS = { "v1/ConfigMap": ConfigMap, "batch/v1/Job": Job };

const text = readFileSync(process.argv[2], "utf8");
const documents = [];
const errors = [];
for (const doc of parseAllDocuments(text)) {
  if (doc.errors.length > 0) {
    errors.push(`yaml: ${doc.errors.map((e) => e.message).join("; ")}`);
    continue;
  }
  const obj = doc.toJS();
  if (obj === null) continue;
  documents.push(obj);
  const name = `${obj.kind}/${obj.metadata?.name}`;
  const Model = KINDS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) {
    errors.push(`${name}: no schema for apiVersion ${obj.apiVersion}, kind ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    errors.push(`${name}: ${String(e.message).replace(/\s+/g, " ")}`);
  }
}
if (documents.length === 0) errors.push("no documents");
console.log(JSON.stringify({ documents, errors }));
process.exit(errors.length > 0 ? 1 : 0);
