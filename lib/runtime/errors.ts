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
