/**
 * Writes kubeconform schemas for offline validation (kubeconform downloads them from GitHub, which this project's
 * machines cannot reach). Sources, both shipped inside Go modules the policy script downloads from the Go module
 * proxy at pinned versions:
 * - the Kubernetes OpenAPI v2 document (`api/openapi-spec/swagger.json` of module k8s.io/kubernetes);
 * - CustomResourceDefinition YAML files (External Secrets Operator, Argo CD).
 *
 * Each schema is standalone (every definition it reaches is embedded) and strict (an object with declared
 * properties rejects unknown ones, unless the API marks it x-kubernetes-preserve-unknown-fields), named as
 * kubeconform's default layout expects: `<kind>-<group's first label>-<version>.json`, e.g. `deployment-apps-v1.json`.
 *
 * Usage: tsx charts-ts/tools/k8s-schemas.ts --swagger <swagger.json> --crd <file.yaml>... --out <dir>
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Yaml } from 'cdk8s';

type Schema = { [key: string]: unknown };

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };

/** kubeconform's file name for a kind: `-<first label of the group>-<version>`, or `-<version>` for the core group. */
export function schemaFileName(kind: string, group: string, version: string): string {
  const suffix = group === '' ? `-${version}` : `-${group.split('.')[0]}-${version}`;
  return `${kind.toLowerCase()}${suffix.toLowerCase()}.json`;
}

function isObject(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Makes a schema strict and maps Kubernetes' OpenAPI extensions onto plain JSON Schema. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!isObject(value)) return value;
  if (value['x-kubernetes-int-or-string'] === true || value.format === 'int-or-string') return { ...INT_OR_STRING };
  const out: Schema = {};
  for (const [key, child] of Object.entries(value)) {
    // Maps of schemas: their keys are names, not keywords.
    out[key] = key === 'properties' || key === 'definitions' ? mapValues(child) : normalize(child);
  }
  if (
    isObject(out.properties) &&
    out.additionalProperties === undefined &&
    !value['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function mapValues(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
}

function refsOf(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) refsOf(v, found);
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.add(child.replace('#/definitions/', ''));
      else refsOf(child, found);
    }
  }
}

/** One standalone schema per kind of the Kubernetes OpenAPI document. */
export function kubernetesSchemas(swagger: { definitions: Record<string, Schema> }): Map<string, Schema> {
  const definitions: Record<string, Schema> = {};
  for (const [name, definition] of Object.entries(swagger.definitions)) {
    if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') definitions[name] = { ...INT_OR_STRING };
    else if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') definitions[name] = { ...QUANTITY };
    else definitions[name] = normalize(definition) as Schema;
  }
  const schemas = new Map<string, Schema>();
  for (const [name, definition] of Object.entries(swagger.definitions)) {
    const kinds = definition['x-kubernetes-group-version-kind'];
    if (!Array.isArray(kinds)) continue;
    const reachable = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      if (reachable.has(next)) continue;
      reachable.add(next);
      const refs = new Set<string>();
      refsOf(definitions[next], refs);
      queue.push(...refs);
    }
    reachable.delete(name);
    const embedded = Object.fromEntries([...reachable].sort().map((n) => [n, definitions[n]]));
    for (const gvk of kinds as { group: string; version: string; kind: string }[]) {
      const file = schemaFileName(gvk.kind, gvk.group, gvk.version);
      if (schemas.has(file)) continue;
      schemas.set(file, { ...definitions[name], definitions: embedded });
    }
  }
  return schemas;
}

interface Crd {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema?: Schema } }[];
  };
}

/** One schema per served version of each CustomResourceDefinition in a YAML file. */
export function crdSchemas(documents: readonly unknown[]): Map<string, Schema> {
  const schemas = new Map<string, Schema>();
  for (const doc of documents) {
    const crd = doc as Crd;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) continue;
      schemas.set(schemaFileName(crd.spec.names.kind, crd.spec.group, version.name), normalize(schema) as Schema);
    }
  }
  return schemas;
}

function main(argv: readonly string[]): void {
  const values = (flag: string): string[] => argv.flatMap((a, i) => (argv[i - 1] === flag ? [a] : []));
  const [swagger] = values('--swagger');
  const [out] = values('--out');
  if (!swagger || !out)
    throw new Error('usage: k8s-schemas --swagger <swagger.json> [--crd <file.yaml>]... --out <dir>');
  mkdirSync(out, { recursive: true });
  const all = new Map([
    ...kubernetesSchemas(JSON.parse(readFileSync(swagger, 'utf8'))),
    ...values('--crd').flatMap((file) => [...crdSchemas(Yaml.load(file))]),
  ]);
  for (const [file, schema] of all) writeFileSync(path.join(out, file), JSON.stringify(schema));
  console.log(`wrote ${all.size} schemas to ${out}`);
}

if (require.main === module) main(process.argv.slice(2));
