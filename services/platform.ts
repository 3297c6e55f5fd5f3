import * as path from 'node:path';
import { type Addressing, localAddressing, serviceWiring, shop } from '../lib/platform';
import { startLocalDatabase } from '../lib/runtime/embedded-postgres';
import {
  type HostOptions,
  type ServiceDefinition,
  type StartedService,
  type StartOptions,
  startService,
} from '../lib/runtime/host';
import { analytics } from './analytics/main';
import { apiGateway } from './api-gateway/main';
import { notificationLambda } from './notification-lambda/main';
import { orderService } from './order-service/main';
import { paymentService } from './payment-service/main';
import { productService } from './product-service/main';
import { START_ORDER } from './start-order';
import { storefront } from './storefront/main';
import { userService } from './user-service/main';

type Variables = Record<string, string | undefined>;

/** A service of the platform, started through the one host. */
export interface PlatformService {
  readonly name: string;
  start(options: StartOptions<Record<string, unknown>>): Promise<StartedService>;
}

const entry = <C extends { LOG_LEVEL: string }, O extends object, X extends object>(
  definition: ServiceDefinition<C, O, X>,
): PlatformService => ({
  name: definition.name,
  start: (options) => startService(definition, options as StartOptions<O>),
});

const DEFINITIONS: readonly PlatformService[] = [
  entry(userService),
  entry(productService),
  entry(paymentService),
  entry(orderService),
  entry(notificationLambda),
  entry(analytics),
  entry(apiGateway),
  entry(storefront),
];

/** Every component of the catalog, each after the peers it calls (a caller's wiring needs its peers' ports). */
export const PLATFORM_SERVICES: readonly PlatformService[] = START_ORDER.map((name) => {
  const found = DEFINITIONS.find((d) => d.name === name);
  if (!found) throw new Error(`'${name}' is in the catalog but services/platform.ts does not start it`);
  return found;
});

/** The file a service runs from as a process of its own. */
export const entryPoint = (service: string): string => path.join(__dirname, shop.service(service).name, 'main.ts');

export interface LocalPlatformOptions extends Omit<HostOptions, 'env'> {
  /** Variables every service reads (DATA_DIR, DATABASE_URL, JWT_SECRET, LOG_LEVEL, KAFKA_BROKERS, any setting). */
  readonly env: Variables;
  /** Catalog ports shifted by this offset; absent: ephemeral ports, each peer reached where it was bound. */
  readonly portOffset?: number;
  /** Variables of one service beyond its wiring and `env`. */
  readonly settings?: Readonly<Record<string, Variables>>;
  /** Host options of one service (a logger of its own, a clock). */
  readonly overrides?: Readonly<Record<string, Record<string, unknown>>>;
}

export interface LocalPlatform {
  /** The started services, in start order. */
  readonly services: readonly StartedService[];
  /** The started service named so. */
  service(name: string): StartedService;
  /**
   * Stops every service, callers before their peers (each one even when another fails), then the embedded
   * PostgreSQL the platform started itself.
   */
  stop(): Promise<void>;
}

/**
 * Starts every service of the catalog in this process, wired by the catalog, peers before their callers. Without
 * DATABASE_URL they share one embedded PostgreSQL 17 under DATA_DIR/postgres (a schema each in its `shopfront`
 * database); without KAFKA_BROKERS their event log lives in that database too (or is the one given).
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const { env, portOffset, settings = {}, overrides = {}, ...given } = options;
  const dataDir = env.DATA_DIR ?? '.data';
  const owned: (() => Promise<void>)[] = [];
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const local = await startLocalDatabase(dataDir, given.logger);
    owned.push(() => local.stop());
    databaseUrl = local.url;
  }
  const host = given;
  const dialHost = !host.host || host.host === '0.0.0.0' ? '127.0.0.1' : host.host;
  const started: StartedService[] = [];
  const service = (name: string) => {
    const found = started.find((s) => s.name === name);
    if (!found) throw new Error(`'${name}' is not started`);
    return found;
  };
  const addressing: Addressing =
    portOffset === undefined
      ? {
          listenPort: () => 0,
          address: (peer, port) => `${dialHost}:${service(peer.name).ports[port.name]}`,
        }
      : localAddressing(portOffset, dialHost);
  const stop = async () => {
    const failures: unknown[] = [];
    for (const s of [...started].reverse()) await s.stop().catch((error: unknown) => failures.push(error));
    for (const close of owned) await close().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  try {
    for (const definition of PLATFORM_SERVICES) {
      const wiring = serviceWiring(shop, definition.name, addressing);
      const variables = { ...env, DATABASE_URL: databaseUrl, ...wiring, ...settings[definition.name] };
      started.push(await definition.start({ ...host, ...overrides[definition.name], env: variables }));
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { services: started, service, stop };
}
