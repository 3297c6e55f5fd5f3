import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../lib/runtime/config';
import { LOCK_FILE } from '../lib/runtime/data-dir-lock';
import { claimLocalPlatform, LocalStartRefused, loadLocalPlatformConfig, localPorts } from './local-preflight';

// Ports of a platform shifted by this offset are used by no other suite.
const OFFSET = 14_300;
const HOST = '127.0.0.1';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server));
  });

async function refusal(claim: Promise<unknown>): Promise<LocalStartRefused> {
  try {
    await claim;
  } catch (error) {
    if (error instanceof LocalStartRefused) return error;
    throw error;
  }
  throw new Error('expected the start to be refused');
}

describe("npm start's configuration", () => {
  it('defaults to .data, the catalog ports, loopback, worker threads running JavaScript and info logs', () => {
    expect(loadLocalPlatformConfig({})).toEqual({
      DATA_DIR: '.data',
      SHOPFRONT_PORT_OFFSET: 0,
      HOST: '127.0.0.1',
      SHOPFRONT_ISOLATION: 'worker',
      SHOPFRONT_SERVICE_CODE: 'javascript',
      LOG_LEVEL: 'info',
    });
  });

  it.each([
    ['SHOPFRONT_PORT_OFFSET', 'abc', 'must be a whole number from 0 to 15000'],
    ['SHOPFRONT_PORT_OFFSET', '15001', 'must be a whole number from 0 to 15000'],
    ['SHOPFRONT_ISOLATION', 'thread', 'must be worker or process'],
    ['SHOPFRONT_SERVICE_CODE', 'ts', 'must be javascript or typescript'],
    ['HOST', 'local host', 'must be a host name or an IP address'],
    ['LOG_LEVEL', 'loud', 'expected one of "fatal"'],
    ['KAFKA_BROKERS', 'localhost', 'must be a comma-separated list of host:port'],
  ])('refuses %s=%s, naming the variable and the rule', (variable, value, message) => {
    let error: unknown;
    try {
      loadLocalPlatformConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { variable, message: expect.stringContaining(message) as unknown as string },
    ]);
  });

  it('never prints a DATABASE_URL it refuses (it may hold a password)', () => {
    expect(() => loadLocalPlatformConfig({ DATABASE_URL: 'mysql://user:secret@db/x' })).toThrow('(got (hidden))');
  });
});

describe('claiming the local platform before it starts', () => {
  let dataDir: string;
  const held: Server[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'preflight-'));
  });
  afterEach(async () => {
    for (const server of held.splice(0)) await new Promise((resolve) => server.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists every catalog port shifted by the offset', () => {
    const gateway = localPorts(OFFSET).find((p) => p.service === 'api-gateway');
    expect(gateway).toEqual({ service: 'api-gateway', name: 'http', port: 8080 + OFFSET });
    expect(localPorts(OFFSET).map((p) => p.port - OFFSET)).toEqual(localPorts(0).map((p) => p.port));
  });

  it('locks DATA_DIR with this process’s pid while every port is free, and frees it at release', async () => {
    const claim = await claimLocalPlatform({ dataDir, portOffset: OFFSET, host: HOST });
    expect(claim.file).toBe(path.join(dataDir, LOCK_FILE));
    expect(existsSync(claim.file)).toBe(true);
    claim.release();
    expect(existsSync(claim.file)).toBe(false);
  });

  it('refuses a second platform on the same DATA_DIR, naming the pid, the folder and both variables', async () => {
    // The test runner's parent process runs for as long as this test does.
    writeFileSync(path.join(dataDir, LOCK_FILE), `${process.ppid}\n`);
    const refused = await refusal(claimLocalPlatform({ dataDir, portOffset: OFFSET, host: HOST }));
    expect(refused.variable).toBe('DATA_DIR');
    expect(refused.message).toContain(`already running (pid ${process.ppid}) on DATA_DIR ${dataDir}`);
    expect(refused.message).toContain('set DATA_DIR and SHOPFRONT_PORT_OFFSET');
  });

  it('takes over the lock of a platform that died', async () => {
    writeFileSync(path.join(dataDir, LOCK_FILE), '2147483646\n');
    const claim = await claimLocalPlatform({ dataDir, portOffset: OFFSET, host: HOST });
    claim.release();
  });

  it('refuses when a port it would bind is taken, naming the port, its service and SHOPFRONT_PORT_OFFSET, and keeps no lock', async () => {
    const gateway = 8080 + OFFSET;
    held.push(await listen(gateway));
    const refused = await refusal(claimLocalPlatform({ dataDir, portOffset: OFFSET, host: HOST }));
    expect(refused.variable).toBe('SHOPFRONT_PORT_OFFSET');
    expect(refused.message).toContain(`port ${gateway} (api-gateway http) on ${HOST} is already in use`);
    expect(refused.message).toContain(`set SHOPFRONT_PORT_OFFSET (now ${OFFSET})`);
    expect(refused.message).toMatch(/with SHOPFRONT_PORT_OFFSET=\d+ every port is free/);
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
  });
});
