#!/usr/bin/env node
/**
 * The whole platform on one machine: every service of the catalog on an event loop of its own (a worker thread, or
 * a process with SHOPFRONT_ISOLATION=process), supervised, on its catalog port shifted by SHOPFRONT_PORT_OFFSET,
 * sharing one embedded PostgreSQL 17 under DATA_DIR (or DATABASE_URL) that also holds their event log (or Kafka at
 * KAFKA_BROKERS). Any service setting may be set in the environment. Ctrl-C stops it.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parsePortOffset } from '../lib/platform';
import { createLogger, handleShutdown, loadOrCreateLocalSecrets } from '../lib/runtime';
import { superviseLocalPlatform } from '../services/supervisor';

async function main(): Promise<void> {
  const started = Date.now();
  const offset = parsePortOffset(process.env.SHOPFRONT_PORT_OFFSET);
  const dataDir = path.resolve(process.env.DATA_DIR ?? '.data');
  const host = process.env.HOST ?? '127.0.0.1';
  const logLevel = process.env.LOG_LEVEL ?? 'info';
  const logger = createLogger({ service: 'local-platform', level: logLevel });
  mkdirSync(dataDir, { recursive: true });
  const { secrets, created } = loadOrCreateLocalSecrets(dataDir);
  const { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers } = process.env;
  const isolation = process.env.SHOPFRONT_ISOLATION ?? 'worker';
  if (isolation !== 'worker' && isolation !== 'process')
    throw new Error(`SHOPFRONT_ISOLATION must be worker or process, got '${isolation}'`);
  const starting = superviseLocalPlatform({
    env: { ...process.env, DATA_DIR: dataDir, JWT_SECRET: secrets.jwtSecret, LOG_LEVEL: logLevel },
    settings: {
      'user-service': { BOOTSTRAP_ADMIN_EMAIL: secrets.adminEmail, BOOTSTRAP_ADMIN_PASSWORD: secrets.adminPassword },
      'product-service': { SEED_DEMO_PRODUCTS: 'true' },
    },
    portOffset: offset,
    host,
    isolation,
    logger,
  });
  // Seven services, each draining and finishing in-flight work, then the database. A Ctrl-C during the start waits
  // for it, so no server is left behind.
  handleShutdown(logger, [{ name: 'platform', run: async () => (await starting).stop() }], { deadlineMs: 30_000 });
  const platform = await starting;

  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${platform.services.find((s) => s.name === 'api-gateway')?.ports.http}`;
  const ports = (p: Record<string, number>) =>
    Object.entries(p)
      .map(([n, v]) => `${n}:${v}`)
      .join('  ');
  const row = (name: string, value: string) => `  ${name.padEnd(20)} ${value}`;
  const database = databaseUrl
    ? 'PostgreSQL at DATABASE_URL'
    : `embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`;
  const events = brokers ? 'Kafka at KAFKA_BROKERS' : 'event log in the same PostgreSQL';
  const admin = `${secrets.adminEmail} / ${secrets.adminPassword}`;
  const lines = [
    '',
    `Shopfront is up in ${((Date.now() - started) / 1000).toFixed(1)} s — ${database}, ${events}; each service in its own ${isolation}`,
    row('gateway', `${url}   (OpenAPI: ${url}/api/v1/openapi.json)`),
    ...platform.services.map((s) => row(s.name, ports(s.ports) || '(consumes orders)')),
    row('notifications', path.join(dataDir, 'notifications.jsonl')),
    row('analytics windows', path.join(dataDir, 'analytics-results.jsonl')),
    row('admin', `${admin}${created ? `   (new; kept in ${path.join(dataDir, 'secrets.json')})` : ''}`),
    '',
    `Try:\n  curl -s ${url}/api/v1/products?limit=3\n\nCtrl-C stops everything.\n`,
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
