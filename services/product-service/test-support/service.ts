import { Writable } from 'node:stream';
import type { StartedService } from '../../../lib/runtime/host';
import { createLogger, type Logger } from '../../../lib/runtime/logger';
import { start } from '../main';
import { TEST_JWT_SECRET } from './tokens';

/** A logger whose JSON lines are kept, so tests can assert what is (and is not) logged. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ service: 'product-service', level: 'info', destination }), lines };
}

/** The environment a test starts the service with: ephemeral ports, the test signing secret. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { HTTP_PORT: '0', GRPC_PORT: '0', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', ...overrides };
}

/** Starts the service on the PostgreSQL at `databaseUrl` (its `products` schema there), on loopback. */
export function startOnDatabase(
  databaseUrl: string,
  overrides: Record<string, string | undefined> = {},
  logger: Logger = createLogger({ service: 'product-service', level: 'silent' }),
): Promise<StartedService> {
  return start({ env: testEnv({ DATABASE_URL: databaseUrl, ...overrides }), logger, host: '127.0.0.1' });
}
