import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { DomainError, type ErrorCode, isDatabaseUnavailable } from './errors';

/** The one mapping from domain error codes to gRPC status codes. */
export const GRPC_STATUS: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  INTERNAL: GrpcStatus.INTERNAL,
};

/**
 * The one mapping from gRPC status codes to HTTP, as the gRPC-HTTP mapping in google.rpc.Code documents it
 * (INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS 409, ...).
 */
export const HTTP_STATUS_OF_GRPC: Record<number, number> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
  [GrpcStatus.UNAUTHENTICATED]: 401,
};

/** Trailing-metadata keys that carry a domain error's field and reason across gRPC. */
export const ERROR_FIELD_KEY = 'x-error-field';
export const ERROR_REASON_KEY = 'x-error-reason';

export interface GrpcErrorShape {
  code: GrpcStatus;
  details: string;
  metadata: Metadata;
}

/** A domain error as a gRPC error; anything else becomes INTERNAL without its message. */
export function toGrpcError(error: unknown): GrpcErrorShape {
  const metadata = new Metadata();
  if (error instanceof DomainError) {
    if (error.field) metadata.set(ERROR_FIELD_KEY, error.field);
    if (error.reason) metadata.set(ERROR_REASON_KEY, error.reason);
    return { code: GRPC_STATUS[error.code], details: error.message, metadata };
  }
  if (isDatabaseUnavailable(error)) return { code: GrpcStatus.UNAVAILABLE, details: 'database unavailable', metadata };
  return { code: GrpcStatus.INTERNAL, details: 'internal error', metadata };
}

/** The gRPC status name (`NOT_FOUND`) of a code, for error bodies and metric labels. */
export function grpcCodeName(code: number): string {
  return GrpcStatus[code] ?? 'UNKNOWN';
}
