// Turns Kubernetes' own OpenAPI v2 document (api/openapi-spec/swagger.json of the
// k8s.io/kubernetes module) into the strict JSON schemas that kubeconform reads, one file per
// kind and version, named as kubeconform looks them up: <kind>-<group>-<version>.json
// (service-v1.json, deployment-apps-v1.json, poddisruptionbudget-policy-v1.json).
//
// kubeconform normally downloads these; here they are made offline from the pinned Kubernetes
// version, with the same two changes its own openapi2jsonschema script makes:
//   - int-or-string fields accept a string or an integer (the document says type string);
//   - every object with properties gets additionalProperties: false, as kubectl's validation
//     does, so a misspelt field (readinesProbe) is an error instead of being ignored.
// Each schema carries the definitions it references, so it resolves without other files.
//
// Usage: node scripts/kubernetes-json-schemas.mjs <swagger.json> <output dir>
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import path from "node:path"

const [swaggerFile, outDir] = process.argv.slice(2)
if (swaggerFile === undefined || outDir === undefined) {
  console.error("usage: node scripts/kubernetes-json-schemas.mjs <swagger.json> <output dir>")
  process.exit(2)
}

const definitions = JSON.parse(readFileSync(swaggerFile, "utf8")).definitions
const REF = "#/definitions/"

// Schema-aware, so a property that happens to be called "properties" (CRD schemas have one)
// is not mistaken for the keyword.
const mapValues = (object, f) => Object.fromEntries(Object.entries(object).map(([key, value]) => [key, f(value)]))
const transform = (schema) => {
  if (schema === null || typeof schema !== "object") return schema
  if (schema.format === "int-or-string") return { oneOf: [{ type: "string" }, { type: "integer" }] }
  const out = { ...schema }
  if (schema.properties !== undefined) {
    out.properties = mapValues(schema.properties, transform)
    if (schema.additionalProperties === undefined) out.additionalProperties = false
  }
  if (typeof schema.additionalProperties === "object") out.additionalProperties = transform(schema.additionalProperties)
  if (schema.items !== undefined) out.items = Array.isArray(schema.items) ? schema.items.map(transform) : transform(schema.items)
  for (const keyword of ["allOf", "anyOf", "oneOf"]) if (Array.isArray(schema[keyword])) out[keyword] = schema[keyword].map(transform)
  return out
}

const referenced = (node, found = new Set()) => {
  if (Array.isArray(node)) node.forEach((item) => referenced(item, found))
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string" && value.startsWith(REF)) {
        const name = value.slice(REF.length)
        if (!found.has(name)) {
          found.add(name)
          referenced(definitions[name], found)
        }
      } else referenced(value, found)
    }
  }
  return found
}

mkdirSync(outDir, { recursive: true })
let written = 0
for (const definition of Object.values(definitions)) {
  for (const gvk of definition["x-kubernetes-group-version-kind"] ?? []) {
    const closure = [...referenced(definition)].sort()
    const schema = {
      ...transform(definition),
      definitions: Object.fromEntries(closure.map((ref) => [ref, transform(definitions[ref])]))
    }
    // kubeconform: lower-case kind, then the group's first label (none for the core group), then the version.
    const group = gvk.group === "" ? "" : `-${gvk.group.split(".")[0].toLowerCase()}`
    const file = `${gvk.kind.toLowerCase()}${group}-${gvk.version.toLowerCase()}.json`
    writeFileSync(path.join(outDir, file), JSON.stringify(schema))
    written++
  }
}
if (written === 0) {
  console.error(`${swaggerFile}: no definition carries x-kubernetes-group-version-kind`)
  process.exit(1)
}
console.error(`kubernetes-json-schemas: wrote ${written} schemas to ${outDir}`)
