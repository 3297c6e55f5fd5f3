/**
 * One service of the local platform on an event loop of its own: a worker thread or a child process the supervisor
 * (services/supervisor.ts) started. It starts the service named in its start message through the host, reports its
 * ports, and on `stop` runs the service's ordered shutdown and reports back.
 */
import { readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { shop } from '../lib/platform';
import type { StartedService, StartOptions } from '../lib/runtime/host';
import { lowerThreadPriority } from '../lib/runtime/thread-priority';

export interface WorkerStart {
  readonly name: string;
  readonly env: Record<string, string | undefined>;
  readonly host: string;
  /** The nice value its thread runs at (services/supervisor.ts, localNiceness). @default 0 */
  readonly niceness?: number;
}

export type FromWorker =
  | {
      readonly type: 'started';
      readonly ports: Record<string, number>;
      readonly thread?: number;
      /** Why its thread does not run at the niceness asked for, when it does not. */
      readonly priority?: string;
    }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stopped'; readonly error?: string };

export type ToWorker = { readonly type: 'stop' };

/**
 * The operating system's id of the thread running this service on Linux (`/proc/thread-self`, read from this
 * thread), so `top -H` and /proc/<pid>/task/<id> can be read per service; undefined elsewhere.
 */
function threadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

const send = (message: FromWorker): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
};

async function run(start: WorkerStart): Promise<void> {
  if (!shop.catalog.services.some((s) => s.name === start.name))
    throw new Error(`'${start.name}' is not a service of the platform`);
  // Before the service's code loads, so its start runs at that priority too (in a process of its own, so do the
  // threads libuv starts later).
  const priority = lowerThreadPriority(start.niceness ?? 0);
  // Only this service's module: an event loop of its own loads only its own code, not every service's.
  // `main`: main.ts under tsx, main.js in the transpiled mirror (services/compile.ts).
  const module = require(path.join(__dirname, start.name, 'main')) as {
    start(options: StartOptions): Promise<StartedService>;
  };
  const service = await module.start({ env: start.env, host: start.host });
  const onMessage = (message: ToWorker) => {
    if (message.type !== 'stop') return;
    service.stop().then(
      () => send({ type: 'stopped' }),
      (error: unknown) => send({ type: 'stopped', error: error instanceof Error ? error.message : String(error) }),
    );
  };
  if (parentPort) parentPort.on('message', onMessage);
  else process.on('message', onMessage);
  // A child process ignores the terminal's Ctrl-C: the supervisor stops it in order.
  if (!parentPort) process.on('SIGINT', () => undefined);
  send({ type: 'started', ports: service.ports, thread: threadId(), ...(priority && { priority }) });
}

const start = (parentPort ? workerData : JSON.parse(process.env.SHOPFRONT_WORKER ?? 'null')) as WorkerStart | null;
if (start) {
  run(start).catch((error: unknown) => {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    if (!parentPort) process.exitCode = 1;
  });
}
