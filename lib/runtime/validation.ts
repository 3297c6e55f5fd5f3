// Input validation shared by the services' domains: zod problems become errors that name the field.
import type { z } from 'zod';
import { DomainError, InvalidArgumentError } from './errors';

/** `['lines', 2, 'productId']` -> `lines[2].productId`; `['price', 'amount']` -> `price.amount`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((field, key) => {
    if (typeof key === 'number') return `${field}[${key}]`;
    return field ? `${field}.${String(key)}` : String(key);
  }, '');
}

/**
 * Parses `input` with a zod schema; the first problem becomes an InvalidArgumentError naming the field
 * at fault (for an unknown key, the key itself), so HTTP and gRPC callers get the same answer.
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
  if (field === '') throw new DomainError('INVALID_ARGUMENT', `${what} must be a JSON object`);
  throw new InvalidArgumentError(field, `'${field}' ${issue.message}`);
}

/** Unicode code points, as PostgreSQL's char_length counts them (not UTF-16 units). */
export const codePoints = (value: string): number => [...value].length;

export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
