import * as grpc from '@grpc/grpc-js';
import {
  type HealthCheckResponse,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../contracts/gen/grpc/health/v1/health';

/** List answers RESOURCE_EXHAUSTED past this many services, as the protocol asks of a server with too many. */
const LIST_LIMIT = 100;

export { ServingStatus };

/**
 * gRPC's standard health service (grpc.health.v1: Check, Watch, List) over statuses the server sets, served from the
 * code generated from lib/contracts/proto/grpc/health/v1/health.proto. grpc-health-check parses that .proto at run
 * time with proto-loader and protobufjs, ~1.8 MiB of heap in every gRPC service for three small messages.
 */
export class GrpcHealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  /** `services`: the names Check knows (the empty name is the server as a whole), each starting at `initial`. */
  constructor(services: readonly string[], initial: ServingStatus) {
    for (const service of services) this.statuses.set(service, initial);
  }

  /** Sets a service's status; its watchers hear of it when it changed. */
  setStatus(service: string, status: ServingStatus): void {
    const before = this.statuses.get(service);
    this.statuses.set(service, status);
    if (before === status) return;
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
  }

  addToServer(server: grpc.Server): void {
    const implementation: HealthServer = {
      check: (call, callback) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) {
          callback({ code: grpc.status.NOT_FOUND, details: `no health status for service "${call.request.service}"` });
          return;
        }
        callback(null, { status });
      },
      watch: (call) => {
        const service = call.request.service;
        const send = (status: ServingStatus) => call.write({ status } satisfies HealthCheckResponse);
        let watchers = this.watchers.get(service);
        if (!watchers) {
          watchers = new Set();
          this.watchers.set(service, watchers);
        }
        watchers.add(send);
        call.once('cancelled', () => {
          watchers.delete(send);
          if (watchers.size === 0 && this.watchers.get(service) === watchers) this.watchers.delete(service);
        });
        send(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
      },
      list: (_call, callback) => {
        if (this.statuses.size > LIST_LIMIT) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `more than ${LIST_LIMIT} services to list` });
          return;
        }
        const statuses: Record<string, HealthCheckResponse> = {};
        for (const [service, status] of this.statuses) statuses[service] = { status };
        callback(null, { statuses });
      },
    };
    server.addService(HealthService, implementation);
  }
}
