#!/usr/bin/env node
/**
 * The whole platform on one machine: every service of the catalog on an event loop of its own (a worker thread, or
 * a process with SHOPFRONT_ISOLATION=process), supervised, on its catalog port shifted by SHOPFRONT_PORT_OFFSET,
 * sharing one embedded PostgreSQL 17 under DATA_DIR (or DATABASE_URL) that also holds their event log (or Kafka at
 * KAFKA_BROKERS). Any service setting may be set in the environment. Ctrl-C stops it.
 */
import * as path from 'node:path';
import { loadOrCreateLocalSecrets } from '../lib/runtime/local-secrets';
import { createLogger } from '../lib/runtime/logger';
import { handleShutdown } from '../lib/runtime/shutdown';
import { TRACES_FILE } from '../lib/runtime/tracing-config';
import { removeRunningMirror } from '../services/compile';
import { startBanner } from '../services/local-banner';
import { claimLocalPlatform, LocalStartRefused, loadLocalPlatformConfig } from '../services/local-preflight';
import { startMallocTrim } from '../services/malloc-trim';
import { superviseLocalPlatform } from '../services/supervisor';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadLocalPlatformConfig(process.env);
  const dataDir = path.resolve(config.DATA_DIR);
  const { HOST: host, LOG_LEVEL: logLevel, SHOPFRONT_ISOLATION: isolation, SHOPFRONT_SERVICE_CODE: code } = config;
  // Before anything is opened: a platform already on this DATA_DIR, or a port taken, stops the start here.
  const claim = await claimLocalPlatform({ dataDir, portOffset: config.SHOPFRONT_PORT_OFFSET, host });
  const logger = createLogger({ service: 'local-platform', level: logLevel });
  const { secrets, created } = loadOrCreateLocalSecrets(dataDir);
  // Every service appends its spans here (`npm run trace` reads it), unless a collector is set.
  const tracesFile = config.TRACES_FILE ?? path.join(dataDir, TRACES_FILE);
  const collector = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const starting = superviseLocalPlatform({
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      TRACES_FILE: tracesFile,
      JWT_SECRET: secrets.jwtSecret,
      LOG_LEVEL: logLevel,
    },
    settings: {
      'user-service': { BOOTSTRAP_ADMIN_EMAIL: secrets.adminEmail, BOOTSTRAP_ADMIN_PASSWORD: secrets.adminPassword },
      'product-service': { SEED_DEMO_PRODUCTS: 'true' },
    },
    portOffset: config.SHOPFRONT_PORT_OFFSET,
    host,
    isolation,
    code,
    logger,
  });
  // Every service, each draining and finishing in-flight work, then the database, then DATA_DIR is free again. A
  // Ctrl-C during the start waits for it, so no server is left behind.
  handleShutdown(
    logger,
    [
      { name: 'platform', run: async () => (await starting).stop() },
      { name: 'release DATA_DIR', run: async () => claim.release() },
    ],
    { deadlineMs: 30_000 },
  );
  const platform = await starting;
  // The services' threads share this process's C heap: what a load leaves free in it goes back to the system.
  if (isolation === 'worker') startMallocTrim(logger);

  const gateway = platform.services.find((s) => s.name === 'api-gateway');
  const shop = platform.services.find((s) => s.name === 'storefront');
  const browsable = host === '0.0.0.0' ? '127.0.0.1' : host;
  const banner = startBanner({
    seconds: (Date.now() - started) / 1000,
    gatewayUrl: `http://${browsable}:${gateway?.ports.http}`,
    shopUrl: `http://${browsable}:${shop?.ports.http}/`,
    dataDir,
    database: config.DATABASE_URL
      ? 'PostgreSQL at DATABASE_URL'
      : `embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`,
    events: config.KAFKA_BROKERS ? 'Kafka at KAFKA_BROKERS' : 'event log in the same PostgreSQL',
    isolation,
    services: platform.services,
    admin: { email: secrets.adminEmail, password: secrets.adminPassword, created },
    traces: collector ? { collector } : { file: tracesFile },
  });
  process.stdout.write(banner);
}

main().catch((error: unknown) => {
  const refused = error instanceof LocalStartRefused;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${refused ? 'not started' : 'failed to start'}: ${message}\n`);
  // The transpiled mirror bin/start.sh made for this process goes with it.
  removeRunningMirror();
  process.exit(1);
});
