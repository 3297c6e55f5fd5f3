import type {
  Catalog,
  DataStore,
  EnvironmentName,
  EnvironmentSpec,
  ServiceSpec,
  StreamWindowSpec,
  TopicSpec,
} from './types';
import { Workload } from './types';

/** Read-side helpers over a validated catalog, so outputs never re-derive relationships by hand. */
export class PlatformQuery {
  constructor(readonly catalog: Catalog) {}

  service(name: string): ServiceSpec {
    const found = this.catalog.services.find((s) => s.name === name);
    if (!found)
      throw new Error(`unknown service '${name}'; known: ${this.catalog.services.map((s) => s.name).join(', ')}`);
    return found;
  }

  /** The number of a service's named port, so no port is typed twice. */
  port(service: string, name: string): number {
    const found = this.service(service).ports.find((p) => p.name === name);
    if (!found) throw new Error(`the catalog gives ${service} no port named '${name}'`);
    return found.port;
  }

  /** The PostgreSQL database a service owns: its schema on a shared PostgreSQL. */
  postgresDatabase(service: string): string {
    const owned = this.service(service).owns.find((d) => d.kind === 'postgres');
    if (owned?.kind !== 'postgres') throw new Error(`the catalog gives ${service} no postgres database`);
    return owned.database;
  }

  /** The event-time windows of a stream job, the same for its Flink SQL and its TypeScript twin. */
  streamWindow(service: string): StreamWindowSpec {
    const window = this.service(service).window;
    if (!window) throw new Error(`the catalog gives ${service} no window (it is not a stream job)`);
    return window;
  }

  topic(name: string): TopicSpec {
    const found = this.catalog.topics.find((t) => t.name === name);
    if (!found) throw new Error(`unknown topic '${name}'; known: ${this.catalog.topics.map((t) => t.name).join(', ')}`);
    return found;
  }

  environment(name: string): EnvironmentSpec {
    const found = this.catalog.environments.find((e) => e.name === name);
    if (!found) {
      throw new Error(
        `unknown environment '${name}'; known: ${this.catalog.environments.map((e) => e.name).join(', ')}`,
      );
    }
    return found;
  }

  get environmentNames(): EnvironmentName[] {
    return this.catalog.environments.map((e) => e.name);
  }

  byWorkload(workload: Workload): ServiceSpec[] {
    return this.catalog.services.filter((s) => s.workload === workload);
  }

  get containers(): ServiceSpec[] {
    return this.byWorkload(Workload.CONTAINER);
  }

  /** Services owning a PostgreSQL database, with the database each owns. */
  get postgresOwners(): { service: ServiceSpec; database: string }[] {
    return this.catalog.services.flatMap((service) =>
      service.owns.flatMap((d) => (d.kind === 'postgres' ? [{ service, database: d.database }] : [])),
    );
  }

  dynamoTables(): { service: ServiceSpec; table: Extract<DataStore, { kind: 'dynamodb' }> }[] {
    return this.catalog.services.flatMap((service) =>
      service.owns.flatMap((d) => (d.kind === 'dynamodb' ? [{ service, table: d }] : [])),
    );
  }

  /** Every platform secret, with the services that read it. */
  get secrets(): { name: string; readers: ServiceSpec[] }[] {
    const names = [...new Set(this.catalog.services.flatMap((s) => s.secrets ?? []))];
    return names.map((name) => ({ name, readers: this.catalog.services.filter((s) => s.secrets?.includes(name)) }));
  }

  producersOf(topic: string): ServiceSpec[] {
    return this.catalog.services.filter((s) => s.produces.includes(topic));
  }

  consumersOf(topic: string): ServiceSpec[] {
    return this.catalog.services.filter((s) => s.consumes.includes(topic));
  }

  /** Directed edges caller -> callee, with the callee's ports the caller may reach. */
  get callGraph(): { from: string; to: string; ports: number[] }[] {
    return this.catalog.services.flatMap((s) =>
      s.calls.map((to) => ({ from: s.name, to, ports: this.service(to).ports.map((p) => p.port) })),
    );
  }

  /** The Kafka consumer group a service uses on a topic: one group per service, shared by its replicas. */
  consumerGroup(service: string, topic: string): string {
    return `${service}.${topic}`;
  }
}
