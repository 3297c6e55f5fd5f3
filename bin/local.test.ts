import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// Ports of a platform shifted by this offset are used by no other suite.
const OFFSET = 14_400;
const ENTRY = path.join(__dirname, 'start.sh');

/** The transpiled mirrors bin/start.sh made for the process `pid` that are still in the temporary folder. */
const mirrorsOf = (pid: number | undefined) =>
  readdirSync(tmpdir()).filter((entry) => entry.startsWith(`shopfront-services-${pid}-`));

/** Runs `npm start`'s script to its end (with this Node first on PATH); its exit code and what it wrote to stderr. */
function npmStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string; pid?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [ENTRY], {
      env: {
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        LOG_LEVEL: 'silent',
        SHOPFRONT_PORT_OFFSET: String(OFFSET),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, pid: child.pid });
    });
  });
}

describe('npm start refuses before it opens anything', () => {
  let dataDir: string;
  let server: Server | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  });
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when a platform already runs on its DATA_DIR: names the pid and the variables, starts no database', async () => {
    // The test runner's parent process runs for as long as this test does: a live owner of the lock.
    writeFileSync(path.join(dataDir, 'shopfront.pid'), `${process.ppid}\n`);
    const { code, stderr, pid } = await npmStart({ DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stderr).toContain(`not started: Shopfront is already running (pid ${process.ppid}) on DATA_DIR ${dataDir}`);
    // The services' mirror made for it went with it.
    expect(pid).toBeDefined();
    expect(mirrorsOf(pid)).toEqual([]);
    expect(stderr).toContain('set DATA_DIR and SHOPFRONT_PORT_OFFSET');
    expect(readdirSync(dataDir)).toEqual(['shopfront.pid']);
  });

  it('when a port it would bind is taken: names the port and SHOPFRONT_PORT_OFFSET, and leaves DATA_DIR empty', async () => {
    const port = 8080 + OFFSET;
    server = await new Promise<Server>((resolve, reject) => {
      const listening = createServer();
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve(listening));
    });
    const { code, stderr } = await npmStart({ DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stderr).toContain(`not started: port ${port} (api-gateway http) on 127.0.0.1 is already in use`);
    expect(stderr).toContain('set SHOPFRONT_PORT_OFFSET');
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('when a setting is malformed: names the variable and what it must be', async () => {
    const { code, stderr } = await npmStart({ DATA_DIR: dataDir, SHOPFRONT_ISOLATION: 'threads' });
    expect(code).toBe(1);
    expect(stderr).toContain('failed to start: invalid configuration:');
    expect(stderr).toContain('SHOPFRONT_ISOLATION: must be worker or process (got "threads")');
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
