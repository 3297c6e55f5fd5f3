import * as grpc from '@grpc/grpc-js';
import type { ServiceMetrics } from './metrics';
import { grpcCodeName } from './status';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface CallOptions {
  /** For metrics: the peer (catalog name) and the RPC called. */
  readonly peer: string;
  readonly rpc: string;
  /** Every outgoing call has a deadline. */
  readonly timeoutMs: number;
  readonly requestId?: string;
  /** Forwarded as `authorization: Bearer <token>`. */
  readonly bearerToken?: string;
}

/**
 * Calls a unary method of a generated client with a deadline, the request id and the caller's token as
 * metadata, and client-side RED metrics. Rejects with the grpc-js ServiceError (code, details, metadata).
 */
export function callUnary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: CallOptions,
  metrics?: ServiceMetrics,
): Promise<Res> {
  const metadata = new grpc.Metadata();
  if (options.requestId) metadata.set('x-request-id', options.requestId);
  if (options.bearerToken) metadata.set('authorization', `Bearer ${options.bearerToken}`);
  const started = process.hrtime.bigint();
  return new Promise<Res>((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + options.timeoutMs }, (error, response) => {
      if (metrics) {
        const labels = { grpc_type: 'unary', grpc_service: options.peer, grpc_method: options.rpc };
        metrics.grpcClientHandled.inc({ ...labels, grpc_code: grpcCodeName(error ? error.code : grpc.status.OK) });
        metrics.grpcClientDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      }
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** A plaintext channel to a peer inside the cluster (the mesh or NetworkPolicies bound who may call). */
export function insecureChannel(): grpc.ChannelCredentials {
  return grpc.credentials.createInsecure();
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return typeof error === 'object' && error !== null && 'code' in error && 'details' in error && 'metadata' in error;
}
