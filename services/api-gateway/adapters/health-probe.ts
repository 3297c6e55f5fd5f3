import {
  HealthClient,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../../lib/contracts/gen/grpc/health/v1/health';
import { callUnary, insecureChannel, isServiceError } from '../../../lib/runtime/grpc-client';
import { grpcCodeName } from '../../../lib/runtime/status';

/**
 * Asks a peer's grpc.health.v1 Health/Check whether one of its services is SERVING, with a deadline.
 * Failures carry only the status name, never addresses or transport details: /health is public.
 */
export class UpstreamHealthProbe {
  private readonly client: HealthClient;

  constructor(
    address: string,
    private readonly service: string,
    private readonly timeoutMs: number,
  ) {
    this.client = new HealthClient(address, insecureChannel());
  }

  /** Resolves when the peer answers SERVING; rejects otherwise. Usable as a kit HealthCheck. */
  readonly check = async (): Promise<void> => {
    let status: ServingStatus;
    try {
      ({ status } = await callUnary(
        this.client,
        this.client.check,
        { service: this.service },
        {
          peer: this.service,
          rpc: 'grpc.health.v1.Health/Check',
          timeoutMs: this.timeoutMs,
        },
      ));
    } catch (error) {
      throw new Error(
        isServiceError(error) ? `health check failed: ${grpcCodeName(error.code)}` : 'health check failed',
      );
    }
    if (status !== ServingStatus.SERVING) throw new Error(`status ${ServingStatus[status] ?? status}`);
  };

  close(): void {
    this.client.close();
  }
}
