import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import {
  type AuthenticateRequest,
  type AuthenticateResponse,
  type GetUserRequest,
  type GetUserResponse,
  type RegisterRequest,
  type RegisterResponse,
  UserServiceClient,
} from '../../../lib/contracts/gen/shopfront/user/v1/user';
import { callUnary, insecureChannel, isServiceError } from '../../../lib/runtime/grpc-client';
import { ERROR_FIELD_KEY } from '../../../lib/runtime/status';

export const TEST_JWT_SECRET = 'user-service-test-signing-secret-0123456789';

/** The variables a test start needs: ephemeral ports, the cheapest scrypt the service accepts, no log noise. */
export const testEnv = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  GRPC_PORT: '0',
  METRICS_PORT: '0',
  JWT_SECRET: TEST_JWT_SECRET,
  PASSWORD_HASH_MEMORY_KIB: '4096',
  LOG_LEVEL: 'silent',
  ...overrides,
});

/** The generated client, called the way peers call it: through the kit's callUnary, so with a deadline. */
export function userServiceClient(port: number, timeoutMs = 10_000) {
  const client = new UserServiceClient(`127.0.0.1:${port}`, insecureChannel());
  const options = (rpc: string, overrides: { timeoutMs?: number } = {}) => ({
    peer: 'user-service',
    rpc,
    timeoutMs: overrides.timeoutMs ?? timeoutMs,
  });
  return {
    register: (request: RegisterRequest, overrides?: { timeoutMs?: number }): Promise<RegisterResponse> =>
      callUnary(client, client.register, request, options('Register', overrides)),
    authenticate: (request: AuthenticateRequest): Promise<AuthenticateResponse> =>
      callUnary(client, client.authenticate, request, options('Authenticate')),
    getUser: (request: GetUserRequest, overrides?: { timeoutMs?: number }): Promise<GetUserResponse> =>
      callUnary(client, client.getUser, request, options('GetUser', overrides)),
    close: () => client.close(),
  };
}

/** The rejection of a call, with the field the server named (trailing metadata x-error-field). */
export async function grpcErrorOf(
  call: Promise<unknown>,
): Promise<{ code: grpc.status; details: string; field?: string }> {
  try {
    await call;
  } catch (error) {
    if (!isServiceError(error)) throw error;
    const field = error.metadata.get(ERROR_FIELD_KEY)[0];
    return { code: error.code, details: error.details, ...(field === undefined ? {} : { field: String(field) }) };
  }
  throw new Error('expected the call to fail');
}

/** grpc.health.v1.Health/Check, the standard probe (kubelet, grpcurl, grpc-health-probe). */
export function healthClient(port: number) {
  const definition = protoLoader.loadSync(HEALTH_PROTO, { keepCase: true, enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => grpc.Client } } };
  };
  const client = new loaded.grpc.health.v1.Health(`127.0.0.1:${port}`, insecureChannel()) as grpc.Client & {
    check(
      request: { service: string },
      options: Partial<grpc.CallOptions>,
      callback: (error: grpc.ServiceError | null, response: { status: string }) => void,
    ): void;
  };
  return {
    status: (service = '') =>
      new Promise<string>((resolve, reject) =>
        client.check({ service }, { deadline: Date.now() + 10_000 }, (error, response) =>
          error ? reject(error) : resolve(response.status),
        ),
      ),
    close: () => client.close(),
  };
}
