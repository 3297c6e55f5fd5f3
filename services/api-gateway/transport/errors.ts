import type * as grpc from '@grpc/grpc-js';
import type { z } from 'zod';
import { DomainError, InvalidArgumentError } from '../../../lib/runtime/errors';
import { isServiceError } from '../../../lib/runtime/grpc-client';
import { ERROR_FIELD_KEY, GRPC_STATUS, grpcCodeName, HTTP_STATUS_OF_GRPC } from '../../../lib/runtime/status';
import { UpstreamError } from '../adapters/peers';
import type { ApiErrorCode, ErrorBody } from './schemas';

/** Failures only HTTP has; everything else is a gRPC status name mapped by the kit's HTTP_STATUS_OF_GRPC. */
export class HttpOnlyError extends Error {
  static readonly STATUS = {
    REQUEST_TIMEOUT: 408,
    PAYLOAD_TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    REQUEST_HEADER_FIELDS_TOO_LARGE: 431,
  } as const;

  constructor(
    readonly code: keyof typeof HttpOnlyError.STATUS,
    message: string,
  ) {
    super(message);
    this.name = 'HttpOnlyError';
  }
}

/** Machine-readable facts an error body may carry beyond code and message (each optional, omitted when absent). */
export interface ErrorDetails {
  readonly field?: string;
  readonly orderId?: string;
  readonly declineCode?: string;
}

/**
 * A failure answered with a status and code of the gateway's choosing rather than a peer's gRPC status: an order
 * that failed (402 PAYMENT_DECLINED, 409 OUT_OF_STOCK, ...) or a reused idempotency key (422).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody;
  /** How the error handler logs it: nothing for a caller's mistake. */
  readonly log?: 'upstream' | 'unexpected';
}

const MAX_MESSAGE = 500;

const reply = (status: number, code: ApiErrorCode, message: string, details: ErrorDetails = {}): ErrorReply => {
  const present = Object.entries(details).filter(([, value]) => value !== undefined && value !== '');
  return { status, body: { error: { code, message, ...Object.fromEntries(present) } } };
};

/** `price.unit_amount` -> `price.unitAmount`: error fields use the REST body's camelCase names. */
export function camelCaseField(field: string): string {
  return field
    .split('.')
    .map((part) => part.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

/** `['items', 2, 'quantity']` -> `items[2].quantity`, the form order-service names fields in too. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((field, key) => {
    if (typeof key === 'number') return `${field}[${key}]`;
    return field ? `${field}.${String(key)}` : String(key);
  }, '');
}

/** The first zod issue as INVALID_ARGUMENT naming the field (a dotted path; for an unknown key, the key). */
export function invalidArgumentOf(error: z.ZodError): InvalidArgumentError {
  const issue = error.issues[0];
  if (!issue) return new InvalidArgumentError('', 'invalid input');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return new InvalidArgumentError(fieldOf([...issue.path, key]), `unknown field "${key}"`);
  }
  // Parsed with `reportInput`, so an absent value is told apart from a wrong one.
  const missing = issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined;
  return new InvalidArgumentError(fieldOf(issue.path), missing ? 'is required' : issue.message);
}

/** Messages for statuses whose upstream detail might describe internals (addresses, stack, SQL). */
const GENERIC_SERVER_MESSAGE: Partial<Record<ApiErrorCode, string>> = {
  UNAVAILABLE: 'a service this request needs is unavailable; try again later',
  DEADLINE_EXCEEDED: 'a service this request needs did not answer in time',
};

function fromUpstream(error: grpc.ServiceError): ErrorReply {
  const status = HTTP_STATUS_OF_GRPC[error.code] ?? 500;
  const code = grpcCodeName(error.code) as ApiErrorCode;
  if (status >= 500) {
    return { ...reply(status, code, GENERIC_SERVER_MESSAGE[code] ?? 'internal error'), log: 'upstream' };
  }
  const field = error.metadata?.get(ERROR_FIELD_KEY)[0];
  const message = (error.details || code.toLowerCase().replace(/_/g, ' ')).slice(0, MAX_MESSAGE);
  return reply(status, code, message, {
    field: typeof field === 'string' && field ? camelCaseField(field) : undefined,
  });
}

/**
 * body-parser raises http-errors (a status, `expose`, and a `type`); the router raises a URIError with status 400
 * for a path parameter that is not valid percent-encoding.
 */
interface HttpErrorLike {
  status: number;
  expose?: boolean;
  type?: string;
}

function isHttpErrorLike(error: unknown): error is HttpErrorLike {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as HttpErrorLike;
  return typeof candidate.status === 'number' && (candidate.expose === true || error instanceof URIError);
}

const BODY_PARSER_MESSAGE: Record<string, string> = {
  'entity.parse.failed': 'the request body is not valid JSON',
  'request.size.invalid': 'the request body does not match its Content-Length',
  'request.aborted': 'the request body was not received completely',
};

/**
 * Every failure as `{error: {code, message, field?, orderId?, declineCode?}}` and its HTTP status. gRPC statuses
 * go through the kit's HTTP_STATUS_OF_GRPC (the one mapping); an ApiError carries its own; anything not recognised
 * is 500 INTERNAL with a generic message.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof DomainError) {
    return reply(HTTP_STATUS_OF_GRPC[GRPC_STATUS[error.code]] ?? 500, error.code, error.message, {
      field: error.field,
    });
  }
  if (error instanceof ApiError) {
    const answer = reply(error.status, error.code, error.message.slice(0, MAX_MESSAGE), error.details);
    return error.status >= 500 ? { ...answer, log: 'upstream' } : answer;
  }
  if (error instanceof HttpOnlyError) return reply(HttpOnlyError.STATUS[error.code], error.code, error.message);
  if (error instanceof UpstreamError) return fromUpstream(error.status);
  if (isServiceError(error)) return fromUpstream(error);
  if (isHttpErrorLike(error)) {
    if (error.status === 413) {
      return reply(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    }
    if (error.status === 415) {
      return reply(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON in UTF-8, without Content-Encoding');
    }
    if (error.status === 400) {
      const message =
        error instanceof URIError
          ? 'the URL is not valid percent-encoding'
          : ((error.type && BODY_PARSER_MESSAGE[error.type]) ?? 'malformed request');
      return reply(400, 'INVALID_ARGUMENT', message);
    }
  }
  return { ...reply(500, 'INTERNAL', 'internal error'), log: 'unexpected' };
}
