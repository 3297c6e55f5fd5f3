/**
 * A small JSON Schema (2020-12) validator for exactly the subset the gateway's OpenAPI document emits. A keyword
 * it does not know is an error, not a pass: if the document starts using one, this check must learn it first.
 */
export type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'format', '$schema', 'id']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'minProperties',
  '$ref',
]);
const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  email: /^[^\s@]+@[^\s@]+$/,
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const matchesType = (value: unknown, type: string) =>
  typeOf(value) === type || (type === 'number' && typeOf(value) === 'integer');

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Problems of `value` against `schema` ("$.price.amount: expected integer, got string"); empty when valid. */
export function validate(schema: unknown, value: unknown, root: Schema = {}, at = '$'): string[] {
  if (schema === true || (isSchema(schema) && Object.keys(schema).length === 0)) return [];
  if (schema === false) return [`${at}: no value is allowed here`];
  if (!isSchema(schema)) throw new Error(`${at}: not a schema: ${JSON.stringify(schema)}`);
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new Error(`${at}: the validator does not support ${unknown.join(', ')}`);

  const problems: string[] = [];
  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    if (!ref.startsWith('#/')) throw new Error(`${at}: only local $ref is supported, got ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = isSchema(target) ? target[part] : undefined;
    if (target === undefined) throw new Error(`${at}: $ref ${ref} does not resolve`);
    problems.push(...validate(target, value, root, at));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      return [...problems, `${at}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
    }
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    problems.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${at}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${at}: above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
      problems.push(`${at}: not above ${schema.exclusiveMinimum}`);
    }
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) {
      problems.push(`${at}: not below ${schema.exclusiveMaximum}`);
    }
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) {
      problems.push(`${at}: shorter than ${schema.minLength}`);
    }
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) {
      problems.push(`${at}: longer than ${schema.maxLength}`);
    }
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
      problems.push(`${at}: does not match ${schema.pattern}`);
    }
    if (typeof schema.format === 'string' && FORMATS[schema.format] && !FORMATS[schema.format]?.test(value)) {
      problems.push(`${at}: not a valid ${schema.format}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) problems.push(`${at}: too few items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) problems.push(`${at}: too many items`);
    if (schema.items !== undefined) {
      value.forEach((item, i) => {
        problems.push(...validate(schema.items, item, root, `${at}[${i}]`));
      });
    }
  }
  if (isSchema(value)) {
    if (typeof schema.minProperties === 'number' && Object.keys(value).length < schema.minProperties) {
      problems.push(`${at}: fewer than ${schema.minProperties} properties`);
    }
    const properties = isSchema(schema.properties) ? schema.properties : {};
    for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
      if (!Object.hasOwn(value, name)) problems.push(`${at}: missing required property "${name}"`);
    }
    for (const [name, propertyValue] of Object.entries(value)) {
      if (Object.hasOwn(properties, name)) {
        problems.push(...validate(properties[name], propertyValue, root, `${at}.${name}`));
      } else if (schema.additionalProperties !== undefined) {
        problems.push(...validate(schema.additionalProperties, propertyValue, root, `${at}.${name}`));
      }
      if (schema.propertyNames !== undefined)
        problems.push(...validate(schema.propertyNames, name, root, `${at}{${name}}`));
    }
  }
  if (schema.not !== undefined && validate(schema.not, value, root, at).length === 0) {
    problems.push(`${at}: matches a schema it must not match`);
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf) problems.push(...validate(s, value, root, at));
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => validate(s, value, root, at).length === 0)) {
    problems.push(`${at}: matches none of anyOf`);
  }
  if (
    Array.isArray(schema.oneOf) &&
    schema.oneOf.filter((s) => validate(s, value, root, at).length === 0).length !== 1
  ) {
    problems.push(`${at}: does not match exactly one of oneOf`);
  }
  return problems;
}
