import * as grpc from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { callUnary, insecureChannel, isServiceError } from '../../../lib/runtime/grpc-client';
import { grpcCodeName } from '../../../lib/runtime/status';

interface HealthCheckRequest {
  service: string;
}

interface HealthCheckResponse {
  /** proto-loader with `enums: String`: 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'. */
  status: string;
}

type UnaryMethod<Req, Res> = Parameters<typeof callUnary<Req, Res>>[1];

/** grpc-health-check exports the grpc.health.v1.Health definition loaded by proto-loader; grpc-js builds a client. */
const HealthClient = grpc.makeGenericClientConstructor(
  healthServiceDefinition as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
);

/**
 * Asks a peer's grpc.health.v1 Health/Check whether one of its services is SERVING, with a deadline.
 * Failures carry only the status name, never addresses or transport details: /health is public.
 */
export class UpstreamHealthProbe {
  private readonly client: grpc.Client;

  constructor(
    address: string,
    private readonly service: string,
    private readonly timeoutMs: number,
  ) {
    this.client = new HealthClient(address, insecureChannel());
  }

  /** Resolves when the peer answers SERVING; rejects otherwise. Usable as a kit HealthCheck. */
  readonly check = async (): Promise<void> => {
    const method = (this.client as unknown as { Check: UnaryMethod<HealthCheckRequest, HealthCheckResponse> }).Check;
    let response: HealthCheckResponse;
    try {
      response = await callUnary(
        this.client,
        method,
        { service: this.service },
        {
          peer: this.service,
          rpc: 'grpc.health.v1.Health/Check',
          timeoutMs: this.timeoutMs,
        },
      );
    } catch (error) {
      throw new Error(
        isServiceError(error) ? `health check failed: ${grpcCodeName(error.code)}` : 'health check failed',
      );
    }
    if (response.status !== 'SERVING') throw new Error(`status ${response.status}`);
  };

  close(): void {
    this.client.close();
  }
}
