import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';
import { LocalEventLog } from './events';
import { type ServiceDefinition, startService } from './host';
import { createHttpApp } from './http';
import { createLogger } from './logger';
import { freshDatabase, type TestDatabase } from './test-support/postgres';

const silent = createLogger({ service: 'host-test', level: 'silent' });
const shape = {
  HTTP_PORT: env.port(0),
  LOG_LEVEL: env.logLevel(),
  DATA_DIR: z.string().default('.data'),
  DATABASE_URL: env.postgresUrl(),
};
type Config = z.infer<z.ZodObject<typeof shape>>;
const config = (variables: Record<string, string | undefined>) => loadConfig(shape, variables);

/** A definition whose build records what happens, with `onStop` steps that may fail. */
function recordingService(build: ServiceDefinition<Config>['build']): ServiceDefinition<Config> {
  return { name: 'recording-service', config, build };
}

describe('the service host', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'host-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports bound ports by name and answers on them until stopped', async () => {
    const service = await startService(
      recordingService(async ({ serveHttp, logger, metrics, health }) => {
        await serveHttp('metrics', 0, createHttpApp({ logger, metrics, health }));
        return {};
      }),
      { env: { LOG_LEVEL: 'silent' }, host: '127.0.0.1' },
    );
    const url = `http://127.0.0.1:${service.ports.metrics}`;
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    await service.stop();
    await expect(fetch(`${url}/livez`)).rejects.toThrow();
  });

  it('closes servers first, then releases resources in reverse order, running every step past a failure', async () => {
    const events: string[] = [];
    const service = await startService(
      recordingService(async ({ serveHttp, logger, metrics, health, onStop }) => {
        onStop('first', () => void events.push('first released'));
        onStop('failing', () => {
          events.push('failing released');
          throw new Error('cannot release');
        });
        const server = await serveHttp('metrics', 0, createHttpApp({ logger, metrics, health }));
        server.server.on('close', () => events.push('server closed'));
        onStop('last', () => void events.push('last released'));
        return {};
      }),
      { env: { LOG_LEVEL: 'silent' }, host: '127.0.0.1', logger: silent },
    );
    await expect(service.stop()).rejects.toThrow('cannot release');
    expect(events).toEqual(['server closed', 'last released', 'failing released', 'first released']);
    expect((await service.health.report()).ready).toBe(false);
  });

  it('releases what it opened when the build fails, and rethrows the failure', async () => {
    const events: string[] = [];
    const failing = recordingService(async ({ onStop }) => {
      onStop('opened', () => void events.push('released'));
      throw new Error('cannot build');
    });
    await expect(startService(failing, { env: { LOG_LEVEL: 'silent' }, logger: silent })).rejects.toThrow(
      'cannot build',
    );
    expect(events).toEqual(['released']);
  });

  it('stops with a ConfigError naming the variable before opening anything', async () => {
    const events: string[] = [];
    const definition = recordingService(async () => {
      events.push('built');
      return {};
    });
    const started = startService(definition, { env: { HTTP_PORT: 'eighty', LOG_LEVEL: 'silent' } });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(startService(definition, { env: { HTTP_PORT: 'eighty' } })).rejects.toThrow(/HTTP_PORT/);
    expect(events).toEqual([]);
  });

  it('opens the declared schema on DATABASE_URL, migrates it, and checks it for readiness', async () => {
    await writeFile(path.join(dir, '0001_things.sql'), 'CREATE TABLE things (id int PRIMARY KEY);');
    const definition: ServiceDefinition<Config, object, { count: () => Promise<number> }> = {
      name: 'things-service',
      config,
      database: { schema: 'things', migrations: dir },
      build: async ({ db }) => {
        await db.query('INSERT INTO things (id) VALUES (1)');
        return {
          count: async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM things')).rows[0]?.n ?? 0,
        };
      },
    };
    const service = await startService(definition, {
      env: { LOG_LEVEL: 'silent', DATABASE_URL: database.url },
      logger: silent,
    });
    expect(await service.count()).toBe(1);
    const report = await service.health.report();
    expect(Object.keys(report.checks)).toEqual(['postgres']);
    expect(report.ready).toBe(true);
    await service.stop();
    expect((await database.query<{ n: number }>('SELECT count(*)::int AS n FROM things.things')).rows[0]?.n).toBe(1);
  });

  it('uses the shared event log when no brokers are configured, and leaves it open at stop', async () => {
    const bus = new LocalEventLog({ partitions: { orders: 1 }, logger: silent });
    const definition: ServiceDefinition<Config, object, { publish: () => Promise<void> }> = {
      name: 'publisher',
      config,
      eventBus: true,
      build: async (context) => ({ publish: () => context.bus.publish('orders', [{ key: 'k', value: 'v' }]) }),
    };
    const service = await startService(definition, { env: { LOG_LEVEL: 'silent' }, eventBus: bus, logger: silent });
    await service.publish();
    expect(Object.keys((await service.health.report()).checks)).toEqual(['event-bus']);
    await service.stop();
    await expect(bus.ping()).resolves.toBeUndefined();
    await bus.close();
  });

  it('refuses a database or bus the definition does not declare, naming the service', async () => {
    const definition = recordingService(async (context) => {
      void context.db;
      return {};
    });
    await expect(startService(definition, { env: { LOG_LEVEL: 'silent' }, logger: silent })).rejects.toThrow(
      'recording-service uses a database but its definition does not declare it',
    );
  });
});
