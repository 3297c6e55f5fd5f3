import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  type GetUserRequest,
  type GetUserResponse,
  Role,
  UserServiceClient,
  type UserServiceServer,
  UserServiceService,
} from '../contracts/gen/shopfront/user/v1/user';
import { currentCallScope } from './call-scope';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from './errors';
import { callUnary } from './grpc-client';
import { bindService, type RunningGrpcServer, startGrpcServer } from './grpc-server';
import { Health } from './health';
import { createHttpApp, listenHttp, type RunningHttpServer } from './http';
import { ServiceMetrics } from './metrics';
import { handleShutdown } from './shutdown';
import { ERROR_FIELD_KEY } from './status';
import { capturedLogger } from './test-support/logs';
import { expectReadinessFollowsDependency } from './test-support/probes';

const PROTO_ROOT = path.join(__dirname, '..', 'contracts', 'proto');
const user = {
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  role: Role.ROLE_CUSTOMER,
  createdAt: '2026-01-01T00:00:00Z',
};

function healthCheckClient(port: number) {
  // grpc.health.v1 through the generic client: the standard service any probe (kubelet, grpcurl) calls.
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const { protoPath } = require('grpc-health-check') as { protoPath: string };
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => grpc.Client } } };
  };
  const client = new loaded.grpc.health.v1.Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & {
    check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
  };
  return {
    status: (service: string) =>
      new Promise<string>((resolve, reject) =>
        client.check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))),
      ),
    close: () => client.close(),
  };
}

describe('gRPC server of the kit', () => {
  let server: RunningGrpcServer;
  let dbUp = true;
  let client: UserServiceClient;
  const { logger, lines } = capturedLogger();
  const metrics = new ServiceMetrics('test', { defaults: false });
  const health = new Health(logger, { cacheMs: 0, timeoutMs: 200 }).add('postgres', async () => {
    if (!dbUp) throw new Error('connection refused');
  });
  let seenRequestId: string | undefined;
  /** What the slow handler saw: its deadline, and whether (and when) its signal fired. */
  const slow: { deadline?: number; scopeDeadline?: number; abortedAfterMs?: number } = {};

  beforeAll(async () => {
    const impl = bindService<UserServiceServer>(UserServiceService, {
      register: async (req) => {
        if (req.email === 'taken@example.com') throw new AlreadyExistsError('email already registered', 'email');
        if (!req.email.includes('@')) throw new InvalidArgumentError('email', 'must be an email address');
        return { user };
      },
      authenticate: async () => {
        throw new Error('database exploded with secret details');
      },
      getUser: async (req: GetUserRequest, ctx): Promise<GetUserResponse> => {
        seenRequestId = ctx.requestId;
        if (req.id === 'slow') {
          const started = Date.now();
          slow.deadline = ctx.deadline;
          slow.scopeDeadline = currentCallScope()?.deadline;
          await new Promise<void>((resolve) => {
            ctx.signal.addEventListener('abort', () => resolve(), { once: true });
            setTimeout(resolve, 3000);
          });
          if (ctx.signal.aborted) slow.abortedAfterMs = Date.now() - started;
          return { user };
        }
        if (req.id !== 'u1') throw new NotFoundError('user');
        return { user };
      },
    });
    server = await startGrpcServer(
      0,
      {
        logger,
        metrics,
        health,
        services: [impl],
        protoFiles: [path.join(PROTO_ROOT, 'shopfront/user/v1/user.proto')],
        protoIncludeDirs: [PROTO_ROOT],
        healthRefreshMs: 50,
      },
      '127.0.0.1',
    );
    client = new UserServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await server.close(100);
  });

  const call = <Req, Res>(method: Parameters<typeof callUnary<Req, Res>>[1], req: Req, requestId?: string) =>
    callUnary(client, method, req, { peer: 'user-service', rpc: 'x', timeoutMs: 2000, requestId }, metrics);

  it('answers a call and passes the request id to the handler', async () => {
    await expect(call(client.getUser, { id: 'u1' }, 'req-42')).resolves.toEqual({ user });
    expect(seenRequestId).toBe('req-42');
  });

  it("gives the handler the caller's deadline and aborts its signal when the caller's deadline passes", async () => {
    const before = Date.now();
    const error = (await callUnary(
      client,
      client.getUser,
      { id: 'slow' },
      { peer: 'user-service', rpc: 'x', timeoutMs: 300 },
      metrics,
    ).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 100));
    expect(slow.deadline).toBeGreaterThanOrEqual(before + 200);
    expect(slow.deadline).toBeLessThanOrEqual(Date.now() + 300);
    expect(slow.scopeDeadline).toBe(slow.deadline);
    // Aborted at the deadline, not after the handler's own 3 s.
    expect(slow.abortedAfterMs).toBeLessThan(3000);
  });

  it('maps domain errors to status codes with the field in trailing metadata', async () => {
    await expect(call(client.getUser, { id: 'nope' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'user not found',
    });
    const error = (await call(client.register, { email: 'taken@example.com', password: 'x', name: 'n' }).catch(
      (e) => e,
    )) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(error.metadata.get(ERROR_FIELD_KEY)).toEqual(['email']);
  });

  it('answers INTERNAL without the message of an unexpected error, and logs it', async () => {
    const error = (await call(client.authenticate, { email: 'a', password: 'b' }).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect(error.details).toBe('internal error');
    expect(JSON.stringify(lines)).toContain('database exploded');
  });

  it('counts handled calls by code', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /grpc_server_handled_total\{grpc_type="unary",grpc_service="shopfront.user.v1.UserService",grpc_method="GetUser",grpc_code="NOT_FOUND",service="test"\} 1/,
    );
    expect(text).toMatch(/grpc_server_handling_seconds_bucket/);
  });

  it('reports grpc.health.v1 status that follows the database', async () => {
    const probe = healthCheckClient(server.port);
    try {
      dbUp = true;
      await health.report();
      expect(await probe.status('')).toBe('SERVING');
      expect(await probe.status('shopfront.user.v1.UserService')).toBe('SERVING');
      dbUp = false;
      await health.report();
      expect(await probe.status('shopfront.user.v1.UserService')).toBe('NOT_SERVING');
      dbUp = true;
      await health.report();
      expect(await probe.status('')).toBe('SERVING');
    } finally {
      probe.close();
    }
  });

  it('offers server reflection listing the service', async () => {
    const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
    const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto');
    const definition = protoLoader.loadSync(reflectionProto, { keepCase: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: {
        reflection: { v1alpha: { ServerReflection: new (a: string, c: grpc.ChannelCredentials) => grpc.Client } };
      };
    };
    const reflection = new loaded.grpc.reflection.v1alpha.ServerReflection(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & {
      ServerReflectionInfo(): grpc.ClientDuplexStream<
        unknown,
        { list_services_response?: { service: { name: string }[] } }
      >;
    };
    const stream = reflection.ServerReflectionInfo();
    const names = await new Promise<string[]>((resolve, reject) => {
      stream.on('data', (message) => {
        resolve((message.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    reflection.close();
    expect(names).toContain('shopfront.user.v1.UserService');
  });
});

describe('HTTP base of the kit', () => {
  let http: RunningHttpServer;
  let dbUp = true;
  const { logger } = capturedLogger();
  const metrics = new ServiceMetrics('test-http', { defaults: false });
  const health = new Health(logger, { cacheMs: 0 }).add('postgres', async () => {
    if (!dbUp) throw new Error('down');
  });
  let release: () => void = () => undefined;

  beforeAll(async () => {
    const app = createHttpApp({ logger, metrics, health });
    app.get('/things/:id', (req, res) => {
      res.json({ id: req.params.id, requestId: req.id });
    });
    app.get('/slow', (_req, res) => {
      new Promise<void>((resolve) => {
        release = resolve;
      }).then(() => res.json({ done: true }));
    });
    http = await listenHttp(app, 0, '127.0.0.1');
  });
  afterAll(async () => {
    release();
    await http.close().catch(() => undefined);
  });

  const url = (p: string) => `http://127.0.0.1:${http.port}${p}`;

  it('serves /livez always and /readyz from the dependencies', async () => {
    expect((await fetch(url('/livez'))).status).toBe(200);
    await expectReadinessFollowsDependency(url, (up) => {
      dbUp = up;
    });
  });

  it('keeps a well-formed request id, replaces a hostile one', async () => {
    const kept = await fetch(url('/things/1'), { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    expect(await kept.json()).toEqual({ id: '1', requestId: 'abc-123' });
    const replaced = await fetch(url('/things/1'), { headers: { 'x-request-id': 'a b\tc<script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('labels metrics by route template, not by raw path', async () => {
    await fetch(url('/things/2'));
    await fetch(url('/things/3'));
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/things\/:id",status_code="200",service="test-http"\} [3-9]/,
    );
    expect(text).not.toContain('/things/2');
  });

  it('lets an in-flight request finish during shutdown, then stops', async () => {
    const exits: number[] = [];
    const inflight = fetch(url('/slow')).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 50));
    const shutdown = handleShutdown(
      logger,
      [
        { name: 'drain', run: async () => health.drain() },
        { name: 'http', run: () => http.close() },
      ],
      { deadlineMs: 5000, signals: [], exit: (code) => exits.push(code) },
    );
    const done = shutdown();
    await new Promise((r) => setTimeout(r, 50));
    expect(exits).toEqual([]);
    release();
    await expect(inflight).resolves.toEqual({ done: true });
    await done;
    expect(exits).toEqual([0]);
    await expect(fetch(url('/livez'))).rejects.toThrow();
  });
});
