import type { z } from 'zod';
import { DomainError, InvalidArgumentError } from '../../../lib/runtime/errors';

// The same helpers as product-service's domain/validation.ts: the kit has no zod-to-field helper yet, and
// services do not import each other's folders (they deploy apart).

/** `['items', 2, 'quantity']` -> `items[2].quantity`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((field, key) => {
    if (typeof key === 'number') return `${field}[${key}]`;
    return field ? `${field}.${String(key)}` : String(key);
  }, '');
}

/**
 * Parses `input` with a zod schema; the first problem becomes an InvalidArgumentError naming the field at
 * fault, so every caller gets the same answer whatever the transport.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new DomainError('INVALID_ARGUMENT', `invalid ${what}`);
  if (issue.code === 'unrecognized_keys') {
    const field = fieldOf([...issue.path, issue.keys[0] ?? '']);
    throw new InvalidArgumentError(field, `unknown field '${field}'`);
  }
  const field = fieldOf(issue.path);
  if (field === '') throw new DomainError('INVALID_ARGUMENT', `${what} must be an object`);
  throw new InvalidArgumentError(field, `'${field}' ${issue.message}`);
}

export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
