import type { Logger } from '../lib/runtime/logger';

/** How often the local platform's process gives free C heap back. */
export const MALLOC_TRIM_INTERVAL_MS = 10_000;

/** glibc's `malloc_trim(pad)`: 1 when memory was given back to the system, 0 when there was none to give. */
export type MallocTrim = (pad: number) => number;

/** Why no trimming is possible here, or the function that trims. */
export type MallocTrimLoad = { readonly trim: MallocTrim } | { readonly unavailable: string };

/** The glibc this process runs on (from Node's diagnostic report), or undefined for another C library. */
export function glibcVersion(): string | undefined {
  return (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
}

/**
 * Binds glibc's malloc_trim through koffi, a foreign-function interface shipped as prebuilt binaries for each
 * platform (no compiler at install; its install script stays off). Only glibc has the function: on macOS, Windows
 * and musl this answers why not, and the platform runs as before.
 */
export function loadMallocTrim(library = 'libc.so.6'): MallocTrimLoad {
  if (process.platform !== 'linux') return { unavailable: `no glibc on ${process.platform}` };
  if (!glibcVersion()) return { unavailable: 'the C library is not glibc' };
  try {
    const koffi = require('koffi') as typeof import('koffi');
    const trim = koffi.load(library).func('int malloc_trim(size_t pad)') as MallocTrim;
    return { trim };
  } catch (error) {
    const reason = typeof (error as Error)?.message === 'string' ? (error as Error).message : String(error);
    return { unavailable: `malloc_trim from ${library}: ${reason}` };
  }
}

/** Above this much CPU over the last interval, in cores, the process is busy and is not trimmed. */
export const MALLOC_TRIM_BUSY_CORES = 0.25;

export interface MallocTrimOptions {
  /** @default MALLOC_TRIM_INTERVAL_MS */
  readonly intervalMs?: number;
  /** @default MALLOC_TRIM_BUSY_CORES */
  readonly busyCores?: number;
  /** The process's CPU time so far (all its threads). @default process.cpuUsage */
  readonly cpuUsage?: () => { readonly user: number; readonly system: number };
  /** @default loadMallocTrim */
  readonly load?: () => MallocTrimLoad;
}

/**
 * Gives the C heap's free pages back to the system every `intervalMs` while the process is nearly idle. Every
 * service of the local platform is a thread of one process, and their allocations outside V8's heaps (buffers of
 * sockets and queries, the compilers' scratch memory) share two malloc arenas (`MALLOC_ARENA_MAX=2`, bin/start.sh).
 * After a burst of load most of those arenas is free but split by the few chunks still in use, and glibc returns
 * only the free memory at an arena's end: 40 s after the order bench the arenas held ~80 MB for ~37 MB in use.
 * malloc_trim also releases the free pages between chunks. A call holds each arena's lock for a few milliseconds.
 * Under load the pages it gives back are touched again at once (the order bench spent ~2 % more CPU per order with
 * a trim every 10 s), so an interval in which the process used more than `busyCores` of CPU skips it.
 */
export function startMallocTrim(logger: Logger, options: MallocTrimOptions = {}): { stop(): void } | undefined {
  const loaded = (options.load ?? loadMallocTrim)();
  if ('unavailable' in loaded) {
    logger.info({ reason: loaded.unavailable }, 'free C heap is not given back to the system between loads');
    return undefined;
  }
  const cpuUsage = options.cpuUsage ?? (() => process.cpuUsage());
  const busyCores = options.busyCores ?? MALLOC_TRIM_BUSY_CORES;
  const cpuMicros = () => {
    const usage = cpuUsage();
    return usage.user + usage.system;
  };
  let last = { at: Date.now(), cpu: cpuMicros() };
  const timer = setInterval(() => {
    const now = { at: Date.now(), cpu: cpuMicros() };
    const cores = (now.cpu - last.cpu) / 1000 / Math.max(1, now.at - last.at);
    last = now;
    if (cores > busyCores) {
      logger.debug({ cores }, 'malloc_trim skipped: the process is busy');
      return;
    }
    const started = process.hrtime.bigint();
    const released = loaded.trim(0);
    logger.debug({ released: released === 1, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'malloc_trim');
  }, options.intervalMs ?? MALLOC_TRIM_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
