import * as grpc from '@grpc/grpc-js';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { withCallScope } from './call-scope';
import { isDatabaseUnavailable } from './errors';
import { GrpcHealthService, ServingStatus } from './grpc-health';
import { addLazyReflection } from './grpc-reflection';
import type { Health } from './health';
import type { Logger } from './logger';
import { observeLatency, type ServiceMetrics } from './metrics';
import { grpcCodeName, toGrpcError } from './status';
import type { Tracing } from './tracing';

const REQUEST_ID_METADATA = 'x-request-id';

/** Codes that mean the server failed (OpenTelemetry's RPC conventions); the others are the caller's doing. */
const SERVER_FAULTS = new Set<grpc.status>([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const value = metadata.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  },
};

/** What a handler knows about its call. */
export interface RpcContext {
  readonly requestId: string;
  readonly log: Logger;
  readonly metadata: grpc.Metadata;
  /** The caller's bearer token (`authorization: Bearer ...` metadata), when sent. */
  readonly bearerToken?: string;
  /** Aborted when the caller cancels or its deadline passes: work for a caller that has gone can stop. */
  readonly signal: AbortSignal;
  /** Epoch ms of the caller's deadline, when it set one. */
  readonly deadline?: number;
}

/** The call's deadline in epoch ms, or undefined for none (grpc-js says Infinity). */
function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

/** A service implementation written as async functions, adapted to grpc-js by the kit. */
export type AsyncService<S> = {
  // Generated servers extend grpc-js's UntypedServiceImplementation; its string index is not a method.
  [K in keyof S as string extends K ? never : K]: S[K] extends grpc.handleUnaryCall<infer Req, infer Res>
    ? (request: Req, ctx: RpcContext) => Promise<Res>
    : never;
};

export interface GrpcServiceBinding {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: Record<string, (request: never, ctx: RpcContext) => Promise<unknown>>;
}

/** Pairs a generated service definition with its async implementation, checked by the compiler. */
export function bindService<S>(
  definition: grpc.ServiceDefinition<grpc.UntypedServiceImplementation>,
  implementation: AsyncService<S>,
): GrpcServiceBinding {
  return { definition, implementation: implementation as GrpcServiceBinding['implementation'] };
}

export interface GrpcServerOptions {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
  readonly services: readonly GrpcServiceBinding[];
  /** The .proto files of the services, for server reflection. */
  readonly protoFiles: readonly string[];
  readonly protoIncludeDirs: readonly string[];
  /** How often the gRPC health status re-probes dependencies. @default 5000 */
  readonly healthRefreshMs?: number;
  /** A server span per call, a child of the caller's `traceparent` metadata. @default - no spans */
  readonly tracing?: Tracing;
}

export interface RunningGrpcServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** Stops accepting calls and resolves when in-flight calls finish (or are cancelled after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

function serviceNameOf(definition: grpc.ServiceDefinition): string {
  const first = Object.values(definition)[0];
  if (!first) throw new Error('a gRPC service definition without methods');
  return first.path.split('/')[1] ?? '';
}

/**
 * A gRPC server with the standard grpc.health.v1 service (its status follows the service's real
 * dependency health, per service and overall), server reflection, request ids, RED metrics, and domain
 * errors mapped to status codes in one place. Unexpected errors are logged and answered INTERNAL.
 */
export async function startGrpcServer(
  port: number,
  options: GrpcServerOptions,
  host = '0.0.0.0',
): Promise<RunningGrpcServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  const names = options.services.map((s) => serviceNameOf(s.definition));

  for (const binding of options.services) {
    const service = serviceNameOf(binding.definition);
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(binding.definition)) {
      const implementation = binding.implementation[key];
      if (!implementation) throw new Error(`${service} has no implementation of ${method.originalName ?? key}`);
      const methodName = method.path.split('/')[2] ?? key;
      const labels = { grpc_type: 'unary', grpc_service: service, grpc_method: methodName };
      handlers[key] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const started = process.hrtime.bigint();
        options.metrics.grpcServerStarted.inc(labels);
        const incoming = call.metadata.get(REQUEST_ID_METADATA)[0];
        const requestId =
          typeof incoming === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
        const authorization = call.metadata.get('authorization')[0];
        const bearer = typeof authorization === 'string' ? /^Bearer ([^\s]+)$/.exec(authorization)?.[1] : undefined;
        const cancelled = new AbortController();
        call.once('cancelled', () => cancelled.abort());
        const deadline = deadlineOf(call);
        const ctx: RpcContext = {
          requestId,
          log: options.logger.child({ requestId, rpc: `${service}/${methodName}` }),
          metadata: call.metadata,
          bearerToken: bearer,
          signal: cancelled.signal,
          deadline,
        };
        const tracing = options.tracing;
        const parent = tracing
          ? tracing.withTracer(propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter))
          : context.active();
        const span = tracing?.tracer.startSpan(
          `${service}/${methodName}`,
          {
            kind: SpanKind.SERVER,
            attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': methodName },
          },
          parent,
        );
        const finish = (code: grpc.status) => {
          options.metrics.grpcServerHandled.inc({ ...labels, grpc_code: grpcCodeName(code) });
          observeLatency(options.metrics.grpcServerDuration, labels, Number(process.hrtime.bigint() - started) / 1e9);
          if (span) {
            span.setAttribute('rpc.grpc.status_code', code);
            if (SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: grpcCodeName(code) });
            span.end();
          }
        };
        // The answer and its logs are inside the span too, so an error logged here carries the trace id.
        const handle = () =>
          withCallScope({ signal: cancelled.signal, deadline }, () => implementation(call.request as never, ctx)).then(
            (response) => {
              finish(grpc.status.OK);
              callback(null, response);
            },
            (error: unknown) => {
              const mapped = toGrpcError(error);
              if (mapped.code === grpc.status.INTERNAL) ctx.log.error({ err: error }, 'unexpected error');
              else if (isDatabaseUnavailable(error))
                ctx.log.warn({ err: error }, 'database unavailable; answered UNAVAILABLE');
              finish(mapped.code);
              callback(mapped);
            },
          );
        if (span) context.with(trace.setSpan(parent, span), handle);
        else void handle();
      }) as grpc.handleUnaryCall<unknown, unknown>;
    }
    server.addService(binding.definition, handlers);
  }

  const healthService = new GrpcHealthService(['', ...names], ServingStatus.NOT_SERVING);
  healthService.addToServer(server);
  const setAll = (ready: boolean) => {
    for (const name of ['', ...names])
      healthService.setStatus(name, ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  };
  options.health.onChange(setAll);
  setAll((await options.health.report()).ready);
  const refresh = setInterval(() => void options.health.report(), options.healthRefreshMs ?? 5000);
  refresh.unref();

  addLazyReflection(server, options.protoFiles, options.protoIncludeDirs, options.logger);

  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) =>
      error ? reject(error) : resolve(actual),
    ),
  );

  return {
    server,
    port: bound,
    close: (graceMs = 8000) =>
      new Promise<void>((resolve) => {
        clearInterval(refresh);
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
