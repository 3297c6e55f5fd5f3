/**
 * Summarizes the V8 CPU profiles a platform run wrote (`BENCH_CPU_PROFILE_DIR`, one `.cpuprofile` per thread:
 * the supervisor and each service's worker) as markdown: per thread, its busy time and the functions that took
 * the most of it by self time. A thread is named by the service whose files its busiest frames come from.
 *   npx tsx bench/profile-summary.ts DIR [TOP]
 * Prints numbers; asserts nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ThreadSummary {
  readonly file: string;
  readonly thread: string;
  /** Microseconds the thread ran JavaScript, GC or native code (idle excluded). */
  readonly busyUs: number;
  readonly wallUs: number;
  readonly top: readonly { readonly frame: string; readonly selfUs: number }[];
}

const ROOT = path.join(__dirname, '..');

/** `function (file:line)`, the file relative to the repository or `node_modules/<package>`. */
function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return functionName || '(anonymous)';
  const file = url.replace(/^file:\/\//, '');
  const packaged = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const where = packaged
    ? `${packaged[1]}`
    : path.relative(ROOT, file).startsWith('..')
      ? file
      : path.relative(ROOT, file);
  return `${functionName || '(anonymous)'} (${where}:${lineNumber + 1})`;
}

/** The service whose `services/<name>/` files hold the most self time, else the supervisor (`bin/`). */
function threadName(selfByUrl: Map<string, number>): string {
  const byService = new Map<string, number>();
  for (const [url, us] of selfByUrl) {
    const service = url.match(/\/services\/([^/]+)\//)?.[1];
    if (service) byService.set(service, (byService.get(service) ?? 0) + us);
  }
  const [busiest] = [...byService].sort((a, b) => b[1] - a[1]);
  return busiest ? busiest[0] : 'supervisor';
}

export function summarizeProfile(file: string, top = 8): ThreadSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (!Array.isArray(profile.nodes)) throw new Error(`${file} is not a V8 CPU profile (no nodes)`);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  // Self time from the samples and their time deltas when present (exact), else from hit counts.
  if (profile.samples && profile.timeDeltas && profile.samples.length === profile.timeDeltas.length) {
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i] as number;
      const next = profile.timeDeltas[i + 1] ?? 0;
      self.set(id, (self.get(id) ?? 0) + Math.max(0, next));
    }
  } else {
    const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
    const us = (profile.endTime - profile.startTime) / total;
    for (const node of profile.nodes) self.set(node.id, (node.hitCount ?? 0) * us);
  }
  const byFrame = new Map<string, number>();
  const byUrl = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busyUs += us;
    const name = frameName(node);
    byFrame.set(name, (byFrame.get(name) ?? 0) + us);
    if (node.callFrame.url) byUrl.set(node.callFrame.url, (byUrl.get(node.callFrame.url) ?? 0) + us);
  }
  return {
    file: path.basename(file),
    thread: threadName(byUrl),
    busyUs,
    wallUs: profile.endTime - profile.startTime,
    top: [...byFrame]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, selfUs]) => ({ frame, selfUs })),
  };
}

export function summarizeProfiles(dir: string, top = 8): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile files in ${dir}`);
  const threads = files.map((f) => summarizeProfile(path.join(dir, f), top)).sort((a, b) => b.busyUs - a.busyUs);
  const pct = (part: number, whole: number) => `${((100 * part) / (whole || 1)).toFixed(1)} %`;
  const lines = [
    '| thread | busy s | of its wall time |',
    '| --- | --- | --- |',
    ...threads.map((t) => `| ${t.thread} | ${(t.busyUs / 1e6).toFixed(1)} | ${pct(t.busyUs, t.wallUs)} |`),
    '',
  ];
  for (const t of threads) {
    lines.push(`${t.thread} (${t.file}), self time as a share of the thread's busy time:`, '');
    for (const { frame, selfUs } of t.top) lines.push(`    ${pct(selfUs, t.busyUs).padStart(7)}  ${frame}`);
    lines.push('');
  }
  return lines.join('\n');
}

if (require.main === module) {
  const [dir, top] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: npx tsx bench/profile-summary.ts DIR [TOP]\n');
    process.exit(2);
  }
  try {
    process.stdout.write(`${summarizeProfiles(dir, top ? Number(top) : 8)}\n`);
  } catch (error) {
    process.stderr.write(`profile summary failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
