import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  Role,
  UserServiceClient,
  type UserServiceServer,
  UserServiceService,
} from '../contracts/gen/shopfront/user/v1/user';
import { ConfigError } from './config';
import { callUnary } from './grpc-client';
import { bindService, type RunningGrpcServer, startGrpcServer } from './grpc-server';
import { Health } from './health';
import { createHttpApp, listenHttp, type RunningHttpServer } from './http';
import { ServiceMetrics } from './metrics';
import { capturedLogger } from './test-support/logs';
import { extractTraceContext, loadTracingConfig, Tracing, traceHeaders } from './tracing';

const PROTO_ROOT = path.join(__dirname, '..', 'contracts', 'proto');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

/** A service's tracing whose spans are kept in memory. */
function recorded(service: string, env: Record<string, string> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracing = new Tracing({ service, config: loadTracingConfig(env), exporter });
  const spans = async (): Promise<ReadableSpan[]> => {
    await tracing.flush();
    return exporter.getFinishedSpans();
  };
  return { tracing, exporter, spans };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing configuration', () => {
  it('records every new trace, locally, with nowhere to export by default', () => {
    expect(loadTracingConfig({})).toEqual({
      OTEL_SDK_DISABLED: 'false',
      OTEL_TRACES_SAMPLER_ARG: 1,
      DEPLOYMENT_ENVIRONMENT: 'local',
      TRACES_FILE_MAX_BYTES: 16_777_216,
    });
  });

  it.each([
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', 'must be a number from 0 to 1'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half', 'must be a number from 0 to 1'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'must be an http:// or https:// URL'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'ftp://collector:4318', 'must be an http:// or https:// URL'],
    ['OTEL_SDK_DISABLED', 'yes', 'must be true or false'],
    ['DEPLOYMENT_ENVIRONMENT', 'qa', 'must be local or one of dev, staging, prod'],
    ['TRACES_FILE_MAX_BYTES', '10', 'must be a whole number from 65536 to 536870912'],
  ])('refuses %s=%s, naming it', (variable, value, message) => {
    let error: unknown;
    try {
      loadTracingConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { variable, message: `${message} (got ${JSON.stringify(value)})` },
    ]);
  });

  it("names the service, its namespace, version and environment on every span's resource", async () => {
    const { tracing, spans } = recorded('order-service', { DEPLOYMENT_ENVIRONMENT: 'prod' });
    tracing.tracer.startSpan('work').end();
    const [span] = await spans();
    expect(span?.resource.attributes).toMatchObject({
      'service.name': 'order-service',
      'service.namespace': 'shopfront',
      'service.version': expect.stringMatching(/^\d+\.\d+\.\d+/),
      'deployment.environment.name': 'prod',
    });
  });

  it('records no new trace at a ratio of 0, yet follows a sampled caller', async () => {
    const { tracing, spans } = recorded('order-service', { OTEL_TRACES_SAMPLER_ARG: '0' });
    tracing.tracer.startSpan('unsampled').end();
    tracing.tracer.startSpan('followed', {}, extractTraceContext({ traceparent: TRACEPARENT })).end();
    expect((await spans()).map((s) => s.name)).toEqual(['followed']);
  });
});

describe('the OTLP collector', () => {
  it('receives the spans as OTLP/HTTP at OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, instead of the trace file', async () => {
    const received: { path?: string; type?: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ path: req.url, type: req.headers['content-type'], body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    try {
      const tracing = new Tracing({
        service: 'payment-service',
        config: loadTracingConfig({
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
          TRACES_FILE: path.join(__dirname, 'never-written.jsonl'),
        }),
      });
      tracing.tracer.startSpan('charge').end();
      await tracing.shutdown();
      expect(received).toHaveLength(1);
      expect(received[0]?.path).toBe('/v1/traces');
      const request = JSON.parse(received[0]?.body ?? '{}');
      expect(request.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('charge');
      expect(existsSync(path.join(__dirname, 'never-written.jsonl'))).toBe(false);
    } finally {
      collector.close();
    }
  });
});

describe('trace context extraction', () => {
  it.each([
    ['missing', {}],
    ['not W3C', { traceparent: 'abc' }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` }],
    ['upper-case hex', { traceparent: `00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN}-01` }],
  ])('starts a new trace when traceparent is %s', (_, carrier) => {
    expect(traceHeaders(extractTraceContext(carrier))).toEqual({});
  });

  it('passes a valid traceparent and tracestate on unchanged', () => {
    const carrier = { traceparent: TRACEPARENT, tracestate: 'vendor=abc' };
    expect(traceHeaders(extractTraceContext(carrier))).toEqual(carrier);
  });
});

describe('HTTP -> gRPC through the kit, traced', () => {
  const gateway = recorded('api-gateway');
  const users = recorded('user-service');
  const gatewayLogs = capturedLogger('api-gateway');
  const userLogs = capturedLogger('user-service');
  const metrics = new ServiceMetrics('api-gateway', { defaults: false });
  let grpcServer: RunningGrpcServer;
  let httpServer: RunningHttpServer;
  let client: UserServiceClient;
  let base: string;

  beforeAll(async () => {
    const health = new Health(userLogs.logger, { cacheMs: 0 });
    grpcServer = await startGrpcServer(
      0,
      {
        logger: userLogs.logger,
        metrics: new ServiceMetrics('user-service', { defaults: false }),
        health,
        tracing: users.tracing,
        protoFiles: [path.join(PROTO_ROOT, 'shopfront/user/v1/user.proto')],
        protoIncludeDirs: [PROTO_ROOT],
        services: [
          bindService<UserServiceServer>(UserServiceService, {
            register: async () => {
              throw new Error('not used');
            },
            authenticate: async () => {
              throw new Error('not used');
            },
            getUser: async (request, ctx) => {
              ctx.log.info({ userId: request.id }, 'user read');
              return {
                user: {
                  id: request.id,
                  email: 'ada@example.com',
                  name: 'Ada',
                  role: Role.ROLE_CUSTOMER,
                  createdAt: '',
                },
              };
            },
          }),
        ],
      },
      '127.0.0.1',
    );
    client = new UserServiceClient(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure());
    const app = createHttpApp({ logger: gatewayLogs.logger, metrics, health: new Health(gatewayLogs.logger) });
    app.get('/users/:id', async (req, res) => {
      req.log.info({ userId: req.params.id }, 'reading a user');
      const answer = await callUnary(
        client,
        client.getUser,
        { id: req.params.id },
        { peer: 'user-service', rpc: 'GetUser', timeoutMs: 2000 },
        metrics,
      );
      res.json(answer.user);
    });
    httpServer = await listenHttp(app, 0, '127.0.0.1', gateway.tracing);
    base = `http://127.0.0.1:${httpServer.port}`;
  });

  afterAll(async () => {
    client.close();
    await httpServer.close();
    await grpcServer.close(100);
  });

  beforeEach(() => {
    gateway.exporter.reset();
    users.exporter.reset();
  });

  /**
   * The three spans of one GET /users/:id: the gateway's server and client spans, user-service's server span. The
   * server span ends when the connection is done with the answer, a moment after the client has it.
   */
  async function spansOfOneRequest() {
    for (let tries = 0; tries < 200; tries++) {
      const [server, clientSpan] = ['GET /users/:id', 'user-service/GetUser'].map((name) =>
        gateway.exporter.getFinishedSpans().find((s) => s.name === name),
      );
      const remote = users.exporter.getFinishedSpans().find((s) => s.name === 'shopfront.user.v1.UserService/GetUser');
      if (server && clientSpan && remote) return { server, client: clientSpan, remote };
      await Promise.all([gateway.tracing.flush(), users.tracing.flush()]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('a span of the request is missing');
  }

  it("continues the caller's trace: HTTP server span, gRPC client span, the peer's gRPC server span", async () => {
    const response = await fetch(`${base}/users/u1`, { headers: { traceparent: TRACEPARENT } });
    expect(response.status).toBe(200);
    const { server, client: out, remote } = await spansOfOneRequest();
    for (const span of [server, out, remote]) expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(server)).toBe(CALLER_SPAN);
    expect(parentOf(out)).toBe(server.spanContext().spanId);
    expect(parentOf(remote)).toBe(out.spanContext().spanId);
    expect([server.kind, out.kind, remote.kind]).toEqual([SpanKind.SERVER, SpanKind.CLIENT, SpanKind.SERVER]);
    expect(server.attributes).toMatchObject({ 'http.route': '/users/:id', 'http.response.status_code': 200 });
    expect(remote.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.method': 'GetUser',
      'rpc.grpc.status_code': 0,
    });
    expect(remote.resource.attributes['service.name']).toBe('user-service');
  });

  it.each([
    ['no traceparent', {}],
    ['a malformed traceparent', { traceparent: '00-not-a-trace-01' }],
  ])('starts a new trace on %s and answers as usual', async (_, headers: Record<string, string>) => {
    const response = await fetch(`${base}/users/u2`, { headers });
    expect(response.status).toBe(200);
    const { server, remote } = await spansOfOneRequest();
    expect(parentOf(server)).toBeUndefined();
    expect(server.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(remote.spanContext().traceId).toBe(server.spanContext().traceId);
  });

  it('writes the trace and span ids on the log lines of the request, in both services', async () => {
    await fetch(`${base}/users/u3`, { headers: { traceparent: TRACEPARENT } });
    const { server, remote } = await spansOfOneRequest();
    const gatewayLine = gatewayLogs.lines.find((l) => l.msg === 'reading a user' && l.userId === 'u3');
    const userLine = userLogs.lines.find((l) => l.msg === 'user read' && l.userId === 'u3');
    expect(gatewayLine).toMatchObject({ trace_id: TRACE_ID, span_id: server.spanContext().spanId });
    expect(userLine).toMatchObject({ trace_id: TRACE_ID, span_id: remote.spanContext().spanId });
  });

  it('serves OpenMetrics whose latency buckets carry the trace as exemplar', async () => {
    await fetch(`${base}/users/u4`, { headers: { traceparent: TRACEPARENT } });
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    const text = await response.text();
    expect(text).toMatch(
      new RegExp(
        `http_request_duration_seconds_bucket\\{[^}]*route="/users/:id"[^}]*\\} \\d+ # \\{trace_id="${TRACE_ID}",span_id="[0-9a-f]{16}"\\}`,
      ),
    );
    expect(text).toMatch(new RegExp(`grpc_client_handling_seconds_bucket\\{[^}]*\\} \\d+ # \\{trace_id="${TRACE_ID}"`));
    expect(text).toMatch(/# EOF\n$/);
  });

  it('leaves probes and scrapes untraced', async () => {
    await spansOfOneRequest(); // the previous request's, exported late
    gateway.exporter.reset();
    await fetch(`${base}/livez`);
    await fetch(`${base}/metrics`);
    expect(await gateway.spans()).toEqual([]);
  });
});

describe('tracing turned off', () => {
  it("records nothing, yet passes the caller's context on to the next hop", async () => {
    const off = recorded('api-gateway', { OTEL_SDK_DISABLED: 'true' });
    const parent = off.tracing.withTracer(extractTraceContext({ traceparent: TRACEPARENT }));
    const span = off.tracing.tracer.startSpan('work', {}, parent);
    span.end();
    expect(await off.spans()).toEqual([]);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
  });
});
