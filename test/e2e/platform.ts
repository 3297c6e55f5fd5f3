import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres } from '../../lib/runtime';
import { start as startGateway } from '../../services/api-gateway/main';
import { start as startProductService } from '../../services/product-service/main';
import { start as startUserService } from '../../services/user-service/main';

export const JWT_SECRET = 'e2e-signing-secret-that-is-long-enough-0123456789';
export const ADMIN = { email: 'admin@e2e.example.com', password: 'Orchid-lantern-granite-42' };

export interface RunningPlatform {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

/** The local platform as `npm start` composes it, on ephemeral ports, with an in-memory embedded PostgreSQL. */
export async function startPlatform(options: { databaseUrl?: string } = {}): Promise<RunningPlatform> {
  let embedded: PGlite | undefined;
  if (!options.databaseUrl) embedded = await openEmbeddedPostgres(undefined);
  const common = {
    JWT_SECRET,
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'silent',
    PASSWORD_HASH_MEMORY_KIB: '4096',
  };
  const host = '127.0.0.1';
  const user = await startUserService({
    env: {
      ...common,
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    },
    embedded,
    host,
  });
  const product = await startProductService({
    env: { ...common, HTTP_PORT: '0', GRPC_PORT: '0', SEED_DEMO_PRODUCTS: 'true' },
    embedded,
    host,
  });
  const gateway = await startGateway({
    env: {
      ...common,
      HTTP_PORT: '0',
      USER_SERVICE_ADDR: `127.0.0.1:${user.ports.grpc}`,
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${product.ports.grpc}`,
    },
    host,
  });
  return {
    url: `http://127.0.0.1:${gateway.ports.http}`,
    stop: async () => {
      for (const s of [gateway, product, user]) await s.stop();
      await embedded?.close();
    },
  };
}
