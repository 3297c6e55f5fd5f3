import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { addLazyReflection } from './grpc-reflection';
import { capturedLogger } from './test-support/logs';

const PROTO_ROOT = path.join(__dirname, '..', 'contracts', 'proto');
const USER_PROTO = path.join(PROTO_ROOT, 'shopfront/user/v1/user.proto');

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number };
}
type ReflectionClient = grpc.Client & {
  ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, string>, ReflectionResponse>;
};

/** A client from @grpc/reflection's own copies of the protocol's .proto files (v1 or v1alpha). */
function reflectionClient(version: 'v1' | 'v1alpha', port: number): ReflectionClient {
  const file = require.resolve(`@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`);
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true })) as unknown as {
    grpc: {
      reflection: Record<string, { ServerReflection: new (a: string, c: grpc.ChannelCredentials) => grpc.Client }>;
    };
  };
  const Client = loaded.grpc.reflection[version]?.ServerReflection;
  if (!Client) throw new Error(`no ${version} client`);
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as ReflectionClient;
}

/** Sends one request on a reflection stream and resolves with the first answer (or the call's error). */
async function ask(client: ReflectionClient, request: Record<string, string>): Promise<ReflectionResponse> {
  const stream = client.ServerReflectionInfo();
  try {
    return await new Promise<ReflectionResponse>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
      stream.write(request);
    });
  } finally {
    stream.end();
  }
}

async function serve(protoFiles: string[]) {
  const { logger, lines } = capturedLogger();
  const server = new grpc.Server();
  addLazyReflection(server, protoFiles, [PROTO_ROOT], logger);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, port, lines };
}

describe('server reflection loaded on its first call', () => {
  let running: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    running = await serve([USER_PROTO]);
  });
  afterAll(() => running.server.forceShutdown());

  it.each(['v1', 'v1alpha'] as const)('lists the services over %s', async (version) => {
    const client = reflectionClient(version, running.port);
    try {
      const answer = await ask(client, { list_services: '' });
      expect(answer.list_services_response?.service.map((s) => s.name)).toContain('shopfront.user.v1.UserService');
    } finally {
      client.close();
    }
  });

  it('answers the file that holds a symbol, and NOT_FOUND for one it does not know', async () => {
    const client = reflectionClient('v1', running.port);
    try {
      const found = await ask(client, { file_containing_symbol: 'shopfront.user.v1.UserService' });
      const files = found.file_descriptor_response?.file_descriptor_proto ?? [];
      expect(files.length).toBeGreaterThan(0);
      expect(Buffer.concat(files).toString('latin1')).toContain('shopfront.user.v1');
      const missing = await ask(client, { file_containing_symbol: 'no.such.Symbol' });
      expect(missing.error_response?.error_code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it('answers several requests on one stream in order', async () => {
    const client = reflectionClient('v1', running.port);
    const stream = client.ServerReflectionInfo();
    const answers: ReflectionResponse[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (answer: ReflectionResponse) => answers.push(answer));
      stream.on('error', reject);
      stream.on('end', resolve);
      stream.write({ list_services: '' });
      stream.write({ file_containing_symbol: 'shopfront.user.v1.UserService' });
      stream.end();
    });
    client.close();
    expect(answers.map((a) => Object.keys(a).find((k) => k.endsWith('_response')))).toEqual([
      'list_services_response',
      'file_descriptor_response',
    ]);
  });

  it('ends a stream whose request is not a reflection request with INTERNAL, and keeps serving', async () => {
    const raw = new grpc.Client(`127.0.0.1:${running.port}`, grpc.credentials.createInsecure());
    const asIs = (b: Buffer) => b;
    const stream = raw.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', asIs, asIs);
    // Field 1 (host) whose length is a varint that never ends.
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => undefined);
      stream.write(Buffer.from([0x0a, 0xff]));
    });
    raw.close();
    expect(error.code).toBe(grpc.status.INTERNAL);
    const client = reflectionClient('v1', running.port);
    try {
      const answer = await ask(client, { list_services: '' });
      expect(answer.list_services_response?.service.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});

describe('server reflection whose .proto files cannot be loaded', () => {
  it('starts anyway, answers INTERNAL when asked, and logs why', async () => {
    const running = await serve([path.join(PROTO_ROOT, 'no/such/file.proto')]);
    const client = reflectionClient('v1', running.port);
    try {
      await expect(ask(client, { list_services: '' })).rejects.toMatchObject({
        code: grpc.status.INTERNAL,
        details: 'server reflection is unavailable',
      });
      expect(running.lines).toContainEqual(
        expect.objectContaining({ level: 'error', msg: 'server reflection could not be loaded' }),
      );
    } finally {
      client.close();
      running.server.forceShutdown();
    }
  });
});
