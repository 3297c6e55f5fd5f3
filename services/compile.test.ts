import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compileForThisProcess, compileServices } from './compile';

describe('the services transpiled for the local platform', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'compile-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('mirrors lib/ and services/ as JavaScript, with the files beside the sources linked at their places', async () => {
    const root = await compileServices(path.join(out, 'mirror'));
    expect(existsSync(path.join(root, 'services', 'worker.js'))).toBe(true);
    expect(existsSync(path.join(root, 'services', 'order-service', 'main.js'))).toBe(true);
    // What a module finds through __dirname: migrations, .proto files; and what sits at the top, package.json.
    const migration = path.join(root, 'services', 'order-service', 'migrations', '0001_create_orders.sql');
    expect(lstatSync(migration).isSymbolicLink()).toBe(true);
    expect(readFileSync(migration, 'utf8')).toContain('CREATE TABLE');
    expect(readdirSync(path.join(root, 'lib', 'contracts', 'proto'), { recursive: true }).length).toBeGreaterThan(0);
    expect(existsSync(path.join(root, 'package.json'))).toBe(true);
    // Tests and their support are not shipped to the workers.
    expect(existsSync(path.join(root, 'services', 'order-service', 'saga.test.js'))).toBe(false);
    expect(existsSync(path.join(root, 'lib', 'runtime', 'test-support'))).toBe(false);
  });

  it('runs as plain JavaScript: a transpiled module loads and works without a TypeScript loader', async () => {
    const root = await compileServices(path.join(out, 'run'));
    const money = require(path.join(root, 'lib', 'events', 'money.js')) as typeof import('../lib/events/money');
    expect(money.formatMoney({ amount: 123456, currency: 'EUR' })).toBe('€1,234.56');
  });

  it('gives each platform of a process a mirror of its own, and removes the ones of processes that are gone', async () => {
    const stale = path.join(tmpdir(), 'shopfront-services-999999999-1');
    rmSync(stale, { recursive: true, force: true });
    mkdirSync(stale);
    const first = await compileForThisProcess();
    const second = await compileForThisProcess();
    try {
      expect(first.root).not.toBe(second.root);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(path.join(first.root, 'services', 'worker.js'))).toBe(true);
    } finally {
      first.remove();
      second.remove();
    }
    expect(existsSync(first.root)).toBe(false);
  });

  it('makes the mirror bin/start.sh runs from, for the pid it is given, with the launcher in it', () => {
    const pid = 999999998;
    const printed = execFileSync(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'compile.ts'), String(pid)],
      {
        encoding: 'utf8',
      },
    ).trim();
    try {
      expect(path.basename(printed)).toBe(`shopfront-services-${pid}-1`);
      expect(existsSync(path.join(printed, 'bin', 'local.js'))).toBe(true);
      expect(existsSync(path.join(printed, 'services', 'supervisor.js'))).toBe(true);
      // A supervisor running from that mirror uses it rather than making another.
      const script = `require(${JSON.stringify(path.join(printed, 'services', 'compile.js'))}).compileForThisProcess().then((m) => console.log(m.root))`;
      expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()).toBe(printed);
    } finally {
      rmSync(printed, { recursive: true, force: true });
    }
  });

  it.each([['abc'], ['-3'], ['1.5'], ['']])('refuses %j as the pid, saying what it needs', (pid) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'compile.ts'), pid], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("usage: services/compile.ts <pid of the platform's process>");
    expect(run.stdout).toBe('');
  });
});
