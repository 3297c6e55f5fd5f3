/**
 * `npm run bench`: starts the local platform from an empty data folder in a child process, measures the
 * time until the gateway is ready and its peak resident memory, then loads GET /api/v1/products through the
 * gateway at 100 concurrent connections, and a bare Node HTTP server returning the same JSON as the ceiling.
 * Prints numbers; asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';

const ROOT = path.join(__dirname, '..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);

interface LoadResult {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly total: number;
}

async function load(name: string, url: string): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 });
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

function currentRssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the platform was not ready within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shopfront-bench-'));
  const started = Date.now();
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'bin', 'local.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  const base = 'http://127.0.0.1:8080';
  try {
    await waitReady(`${base}/health`, child, 120_000);
    const readyMs = Date.now() - started;
    const firstStartRss = peakRssMiB(child.pid ?? 0);
    const url = `${base}/api/v1/products?limit=20`;
    const body = await (await fetch(url)).text();
    const items = (JSON.parse(body) as { items: unknown[] }).items.length;

    const gateway = await load('gateway GET /api/v1/products', url);
    const peakAfterLoad = peakRssMiB(child.pid ?? 0);
    const rssAfterLoad = currentRssMiB(child.pid ?? 0);

    const bare = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    });
    await new Promise<void>((r) => bare.listen(18099, '127.0.0.1', r));
    const ceiling = await load('bare node:http, same JSON', 'http://127.0.0.1:18099/');
    bare.close();

    const row = (r: LoadResult) =>
      `| ${r.name} | ${r.requestsPerSecond} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${r.total} |`;
    const lines = [
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      `load: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s, ${items} products per response (${body.length} bytes), load generator on the same machine`,
      '',
      '| target | req/s | p50 ms | p99 ms | errors | non-2xx | requests |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      row(gateway),
      row(ceiling),
      '',
      `start to ready (empty data folder, embedded PostgreSQL created): ${(readyMs / 1000).toFixed(1)} s`,
      `whole local platform, one process: peak RSS ${firstStartRss} MiB by readiness, ${peakAfterLoad} MiB peak after load, ${rssAfterLoad} MiB now`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    if (process.env.BENCH_VERBOSE) process.stdout.write(output);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
