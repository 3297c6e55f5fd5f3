/**
 * Errors a domain throws and every transport maps the same way (gRPC status in `grpc-status.ts`,
 * HTTP status in `http-status.ts`). `field` names the input at fault, when there is one.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** A machine-readable reason finer than the code (e.g. `OUT_OF_STOCK`). */
    readonly reason?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends DomainError {
  constructor(field: string, message: string) {
    super('INVALID_ARGUMENT', message, field);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, field?: string) {
    super('NOT_FOUND', `${what} not found`, field);
  }
}

export class AlreadyExistsError extends DomainError {
  constructor(message: string, field?: string) {
    super('ALREADY_EXISTS', message, field);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

export class PermissionDeniedError extends DomainError {
  constructor(message = 'not allowed') {
    super('PERMISSION_DENIED', message);
  }
}

export class FailedPreconditionError extends DomainError {
  constructor(message: string, reason?: string, field?: string) {
    super('FAILED_PRECONDITION', message, field, reason);
  }
}

export class UnavailableError extends DomainError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

/** SQLSTATEs of a server that is going away, not accepting connections, or cancelled a statement for time. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** What `pg` throws, without a code, when a pooled connection could not be opened in time or was cut. */
const UNAVAILABLE_PG_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
];

/**
 * Whether an error means the database is unreachable or overloaded right now (a restart, a failover, every
 * connection busy), so the caller may retry: transports answer it UNAVAILABLE (503), not INTERNAL.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    // Class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === 'string' && UNAVAILABLE_PG_MESSAGES.some((m) => message.includes(m));
}
