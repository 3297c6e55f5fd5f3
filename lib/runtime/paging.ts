import { DomainError, InvalidArgumentError } from './errors';
import { UUID } from './validation';

// Keyset pagination shared by the services' list calls: pages ordered by (created_at, id), opaque cursors.

export const PAGE_SIZE = { default: 20, max: 100 } as const;

/**
 * The page size: absent or 0 (proto3's unset) means the default; above the maximum it is capped to the
 * maximum, as the contract says (the caller walks more pages, nothing is lost); negative or fractional
 * is INVALID_ARGUMENT.
 */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return PAGE_SIZE.default;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new InvalidArgumentError('limit', `'limit' must be an integer from 1 to ${PAGE_SIZE.max}`);
  }
  return Math.min(limit, PAGE_SIZE.max);
}

/** Where a page ends: the sort key (created_at, id) of its last item. */
export interface CursorPosition {
  readonly createdAt: string;
  readonly id: string;
}

const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,256}$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

/**
 * Decodes an opaque cursor. Anything that is not exactly what `encodeCursor` produces (bad base64url,
 * non-canonical encoding, other JSON, an impossible timestamp, a malformed id) is INVALID_ARGUMENT 'cursor'.
 */
export function decodeCursor(cursor: string): CursorPosition {
  const invalid = () => new DomainError('INVALID_ARGUMENT', "'cursor' is not a cursor this service issued", 'cursor');
  if (!BASE64URL.test(cursor)) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.toString('base64url') !== cursor) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid();
  const [createdAt, id] = decoded as unknown[];
  if (typeof createdAt !== 'string' || !CREATED_AT.test(createdAt)) throw invalid();
  if (
    Number.isNaN(Date.parse(createdAt)) ||
    new Date(createdAt).toISOString().slice(0, 19) !== createdAt.slice(0, 19)
  ) {
    throw invalid();
  }
  if (typeof id !== 'string' || !UUID.test(id) || id !== id.toLowerCase()) throw invalid();
  return { createdAt, id };
}
