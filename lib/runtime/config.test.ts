import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const shape = {
  HTTP_PORT: env.port(8080),
  JWT_SECRET: env.secret(32),
  DATABASE_URL: env.postgresUrl(),
  PEER_ADDR: env.address('localhost:50051'),
  MODE: z.enum(['a', 'b']).default('a'),
};

describe('loadConfig', () => {
  it('parses values, applies defaults and treats empty strings as unset', () => {
    const config = loadConfig(shape, { JWT_SECRET: 'x'.repeat(32), HTTP_PORT: '9000', DATABASE_URL: '' });
    expect(config).toEqual({ HTTP_PORT: 9000, JWT_SECRET: 'x'.repeat(32), PEER_ADDR: 'localhost:50051', MODE: 'a' });
  });

  it('names every bad variable, what it must be and what it got', () => {
    let error: unknown;
    try {
      loadConfig(shape, { HTTP_PORT: 'eighty', PEER_ADDR: 'no-port', DATABASE_URL: 'mysql://x' }, ['JWT_SECRET']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/HTTP_PORT: .*\(got "eighty"\)/);
    expect(message).toMatch(/PEER_ADDR: must be host:port \(got "no-port"\)/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL \(got "mysql:\/\/x"\)/);
    expect(message).toMatch(/JWT_SECRET: is required \(got nothing\)/);
  });

  it('never prints the value of a secret', () => {
    expect(() => loadConfig(shape, { JWT_SECRET: 'short-secret-value' }, ['JWT_SECRET'])).toThrow(
      /JWT_SECRET: must be at least 32 characters \(got \(hidden\)\)/,
    );
    try {
      loadConfig(shape, { JWT_SECRET: 'short-secret-value' }, ['JWT_SECRET']);
    } catch (e) {
      expect((e as Error).message).not.toContain('short-secret-value');
    }
  });

  it('rejects out-of-range ports', () => {
    expect(() => loadConfig(shape, { JWT_SECRET: 'x'.repeat(32), HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
    expect(loadConfig(shape, { JWT_SECRET: 'x'.repeat(32), HTTP_PORT: '0' }).HTTP_PORT).toBe(0);
  });

  it.each(['1e3', '0x50', ' 80', '-1', '80.5', '65536'])('rejects the port %j, saying what a port is', (raw) => {
    expect(() => loadConfig({ PORT: env.port(80) }, { PORT: raw })).toThrow(
      `PORT: must be a port number from 0 to 65535 (got ${JSON.stringify(raw)})`,
    );
  });

  it('reads whole numbers in range and refuses the rest with the range in the message', () => {
    const integerShape = { RETRIES: env.integer(0, 10, 2) };
    expect(loadConfig(integerShape, {}).RETRIES).toBe(2);
    expect(loadConfig(integerShape, { RETRIES: '10' }).RETRIES).toBe(10);
    for (const raw of ['11', '2.5', '1e1', 'two']) {
      expect(() => loadConfig(integerShape, { RETRIES: raw })).toThrow('RETRIES: must be a whole number from 0 to 10');
    }
  });
});
