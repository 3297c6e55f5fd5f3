import * as grpc from '@grpc/grpc-js';
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { observeLatency, type ServiceMetrics } from './metrics';
import { grpcCodeName } from './status';
import { activeTracer } from './tracing';

/** The span's ids when it is sampled (grpc-js calls back outside the caller's context, so the span is passed). */
const sampledIds = (span: Span) => {
  const ids = span.spanContext();
  return span.isRecording() && (ids.traceFlags & 1) === 1 ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
};

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
 * Calls a unary method of a generated client with a deadline, the request id, the caller's token and the trace
 * context (`traceparent`, a client span of the service whose work this is) as metadata, and client-side RED
 * metrics. Rejects with the grpc-js ServiceError (code, details, metadata).
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
  const active = context.active();
  const span = activeTracer(active).startSpan(
    `${options.peer}/${options.rpc}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': options.peer, 'rpc.method': options.rpc },
    },
    active,
  );
  propagation.inject(trace.setSpan(active, span), metadata, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
  const started = process.hrtime.bigint();
  return new Promise<Res>((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + options.timeoutMs }, (error, response) => {
      const code = error ? error.code : grpc.status.OK;
      span.setAttribute('rpc.grpc.status_code', code);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: grpcCodeName(code) });
      span.end();
      if (metrics) {
        const labels = { grpc_type: 'unary', grpc_service: options.peer, grpc_method: options.rpc };
        metrics.grpcClientHandled.inc({ ...labels, grpc_code: grpcCodeName(error ? error.code : grpc.status.OK) });
        observeLatency(
          metrics.grpcClientDuration,
          labels,
          Number(process.hrtime.bigint() - started) / 1e9,
          sampledIds(span),
        );
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
