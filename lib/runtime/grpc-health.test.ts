import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';
import { GrpcHealthService, ServingStatus } from './grpc-health';

/**
 * The client is built from grpc-health-check's own copy of health.proto, parsed by proto-loader: an implementation
 * of the protocol that is not ours, so these tests hold the server to the wire format other probes speak.
 */
type StatusName = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
interface StandardHealthClient extends grpc.Client {
  check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: StatusName }) => void): void;
  list(
    req: object,
    cb: (e: grpc.ServiceError | null, r: { statuses: Record<string, { status: StatusName }> }) => void,
  ): void;
  watch(req: { service: string }): grpc.ClientReadableStream<{ status: StatusName }>;
}

function standardClient(port: number): StandardHealthClient {
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, enums: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => StandardHealthClient } } };
  };
  return new loaded.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

const SERVICE = 'shopfront.product.v1.ProductService';

describe('grpc.health.v1 served from generated code', () => {
  let server: grpc.Server;
  let client: StandardHealthClient;
  let health: GrpcHealthService;
  let port: number;

  beforeEach(async () => {
    server = new grpc.Server();
    health = new GrpcHealthService(['', SERVICE], ServingStatus.NOT_SERVING);
    health.addToServer(server);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = standardClient(port);
  });

  afterEach(() => {
    client.close();
    server.forceShutdown();
  });

  const check = (service: string) =>
    new Promise<StatusName>((resolve, reject) =>
      client.check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))),
    );

  it('answers Check with the status set for the server and for each service', async () => {
    await expect(check('')).resolves.toBe('NOT_SERVING');
    health.setStatus(SERVICE, ServingStatus.SERVING);
    await expect(check(SERVICE)).resolves.toBe('SERVING');
    await expect(check('')).resolves.toBe('NOT_SERVING');
  });

  it('answers Check for a service it does not know with NOT_FOUND naming it', async () => {
    await expect(check('no.such.Service')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'no health status for service "no.such.Service"',
    });
  });

  it('lists every status', async () => {
    health.setStatus('', ServingStatus.SERVING);
    const statuses = await new Promise<Record<string, { status: StatusName }>>((resolve, reject) =>
      client.list({}, (e, r) => (e ? reject(e) : resolve(r.statuses))),
    );
    expect(statuses).toEqual({ '': { status: 'SERVING' }, [SERVICE]: { status: 'NOT_SERVING' } });
  });

  it('answers List with RESOURCE_EXHAUSTED past 100 services', async () => {
    for (let i = 0; i < 100; i++) health.setStatus(`s${i}`, ServingStatus.SERVING);
    await expect(
      new Promise((resolve, reject) => client.list({}, (e, r) => (e ? reject(e) : resolve(r)))),
    ).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
  });

  it('streams the current status on Watch, then each change once, until the caller cancels', async () => {
    const seen: StatusName[] = [];
    const stream = client.watch({ service: SERVICE });
    const next = (count: number) =>
      new Promise<void>((resolve) => {
        const poll = () => (seen.length >= count ? resolve() : setTimeout(poll, 5));
        poll();
      });
    stream.on('data', (m) => seen.push(m.status));
    stream.on('error', () => undefined);
    await next(1);
    health.setStatus(SERVICE, ServingStatus.SERVING);
    health.setStatus(SERVICE, ServingStatus.SERVING);
    health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
    await next(3);
    expect(seen).toEqual(['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
    stream.cancel();
    await new Promise((r) => setTimeout(r, 50));
    // The cancelled watcher is gone: a later change reaches nobody and does not throw.
    expect(() => health.setStatus(SERVICE, ServingStatus.SERVING)).not.toThrow();
    expect(seen).toHaveLength(3);
  });

  it('answers Watch for an unknown service with SERVICE_UNKNOWN, then its status once it is set', async () => {
    const seen: StatusName[] = [];
    const stream = client.watch({ service: 'later.Service' });
    stream.on('data', (m) => seen.push(m.status));
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    health.setStatus('later.Service', ServingStatus.SERVING);
    await new Promise((r) => setTimeout(r, 50));
    stream.cancel();
    expect(seen).toEqual(['SERVICE_UNKNOWN', 'SERVING']);
  });

  it('refuses bytes that are not a HealthCheckRequest with INTERNAL, and keeps serving', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const asIs = (b: Buffer) => b;
    // Field 1 as a length-delimited string that claims 100 bytes and has 1.
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest('/grpc.health.v1.Health/Check', asIs, asIs, Buffer.from([0x0a, 0x64, 0x41]), (e) =>
        resolve(e),
      ),
    );
    raw.close();
    expect(error?.code).toBe(grpc.status.INTERNAL);
    await expect(check('')).resolves.toBe('NOT_SERVING');
  });
});
