/**
 * `npm run bench`: starts the local platform from an empty data folder in a child process, measures the
 * time until the gateway is ready and its peak resident memory, then loads GET /api/v1/products through the
 * gateway at 100 concurrent connections, and a bare Node HTTP server returning the same JSON as the ceiling.
 * Prints numbers; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { GATEWAY, platformPssMiB, rssMiB, startPlatformProcess } from './platform';

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

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shopfront-bench-'));
  const platform = await startPlatformProcess({ DATA_DIR: dataDir });
  const { child, readyMs } = platform;
  const base = GATEWAY;
  const database = process.env.DATABASE_URL
    ? 'PostgreSQL at DATABASE_URL'
    : 'embedded PostgreSQL created in an empty data folder';
  try {
    const firstStartRss = rssMiB(child.pid ?? 0, 'VmHWM');
    const url = `${base}/api/v1/products?limit=20`;
    const body = await (await fetch(url)).text();
    const items = (JSON.parse(body) as { items: unknown[] }).items.length;

    const pssAtReady = platformPssMiB(child.pid ?? 0, dataDir);
    const loadBefore = loadavg()[0]?.toFixed(2);
    const gateway = await load('gateway GET /api/v1/products', url);
    const peakAfterLoad = rssMiB(child.pid ?? 0, 'VmHWM');
    const pssAfterLoad = platformPssMiB(child.pid ?? 0, dataDir);

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
      `start to ready (${database}): ${(readyMs / 1000).toFixed(1)} s`,
      `machine load (1-minute average): ${loadBefore} before the gateway run, ${loadavg()[0]?.toFixed(2)} after the ceiling run`,
      `whole local platform (${pssAfterLoad.processes} processes, PostgreSQL included): PSS ${pssAtReady.total} MiB at readiness, ${pssAfterLoad.total} MiB after load (PostgreSQL ${pssAfterLoad.postgres} MiB); supervisor process peak RSS ${firstStartRss} MiB by readiness, ${peakAfterLoad} MiB after load`,
    ];
    // A warm start: the same data folder again (the database exists, its migrations are applied).
    await platform.stop();
    const warm = await startPlatformProcess({ DATA_DIR: dataDir });
    await warm.stop();
    lines.push(`start to ready again on the same data folder (warm): ${(warm.readyMs / 1000).toFixed(1)} s`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
