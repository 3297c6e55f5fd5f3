#!/usr/bin/env node
/**
 * The whole platform on one machine: every service in this process on its catalog port, sharing one
 * embedded PostgreSQL kept under DATA_DIR (or a real one when DATABASE_URL is set). Ctrl-C stops it.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { shop } from '../lib/platform';
import { createLogger, handleShutdown, loadOrCreateLocalSecrets, openEmbeddedPostgres } from '../lib/runtime';
import { start as startGateway } from '../services/api-gateway/main';
import { start as startProductService } from '../services/product-service/main';
import { start as startUserService } from '../services/user-service/main';

const port = (service: string, name: string): number => {
  const found = shop.service(service).ports.find((p) => p.name === name);
  if (!found) throw new Error(`catalog has no port '${name}' on ${service}`);
  return found.port;
};

async function main(): Promise<void> {
  const started = Date.now();
  const dataDir = path.resolve(process.env.DATA_DIR ?? '.data');
  const host = process.env.HOST ?? '127.0.0.1';
  const logger = createLogger({ service: 'local-platform', level: process.env.LOG_LEVEL ?? 'info' });
  mkdirSync(dataDir, { recursive: true });
  const { secrets, created } = loadOrCreateLocalSecrets(dataDir);
  const databaseUrl = process.env.DATABASE_URL;

  let embedded: PGlite | undefined;
  if (!databaseUrl) embedded = await openEmbeddedPostgres(path.join(dataDir, 'postgres'));

  const common = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: secrets.jwtSecret,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const user = await startUserService({
    env: {
      ...common,
      GRPC_PORT: String(port('user-service', 'grpc')),
      METRICS_PORT: String(port('user-service', 'metrics')),
      BOOTSTRAP_ADMIN_EMAIL: secrets.adminEmail,
      BOOTSTRAP_ADMIN_PASSWORD: secrets.adminPassword,
    },
    embedded,
    host,
  });
  const product = await startProductService({
    env: {
      ...common,
      HTTP_PORT: String(port('product-service', 'http')),
      GRPC_PORT: String(port('product-service', 'grpc')),
      SEED_DEMO_PRODUCTS: 'true',
    },
    embedded,
    host,
  });
  const gateway = await startGateway({
    env: {
      ...common,
      HTTP_PORT: String(port('api-gateway', 'http')),
      USER_SERVICE_ADDR: `127.0.0.1:${user.ports.grpc}`,
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${product.ports.grpc}`,
    },
    host,
  });
  const services = [gateway, product, user];
  // npm start runs node with --expose-gc: one collection here returns what first-start initdb used.
  (globalThis as { gc?: () => void }).gc?.();

  handleShutdown(logger, [
    ...services.map((s) => ({ name: s.name, run: () => s.stop() })),
    { name: 'embedded postgres', run: async () => embedded?.close() },
  ]);

  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${gateway.ports.http}`;
  const lines = [
    '',
    `Shopfront is up in ${((Date.now() - started) / 1000).toFixed(1)} s — ${databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`}`,
    `  gateway   ${url}   (OpenAPI: ${url}/api/v1/openapi.json)`,
    ...services.map(
      (s) =>
        `  ${s.name.padEnd(16)} ${Object.entries(s.ports)
          .map(([n, p]) => `${n}:${p}`)
          .join('  ')}`,
    ),
    `  admin     ${secrets.adminEmail} / ${secrets.adminPassword}${created ? `   (new; kept in ${path.join(dataDir, 'secrets.json')})` : ''}`,
    '',
    'Try:',
    `  curl -s ${url}/api/v1/products?limit=3`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
