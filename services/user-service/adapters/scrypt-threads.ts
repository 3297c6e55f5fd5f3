import { Worker } from 'node:worker_threads';

/**
 * How much lower than the service's own threads a derivation runs (the Linux nice value of its thread, 0 to 19).
 * At 19 the kernel gives a busy hashing thread about 1/70 of the weight of a busy thread at 0: on a machine whose
 * cores the shop's requests already fill (the local platform on a laptop, a pod at its CPU limit), sign-ups take what
 * the shop leaves, and when the cores are idle they take all they can. The seed profile with the sign-up storm
 * (`npm run load -- seed storm`): orders p99 305 ms at nice 10, 184 ms at 19.
 */
export const HASHING_NICENESS = 19;

export interface ScryptJob {
  readonly password: string;
  readonly salt: Buffer;
  readonly length: number;
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * The code of one hashing thread: scrypt from node:crypto on the thread itself (not libuv's pool, which every
 * service of a process shares for files and DNS), after lowering the thread's own priority (`os.setPriority` on
 * Linux sets the calling thread's nice value; on macOS and Windows it would set the whole process's, every service
 * of the local platform with it, so there the threads keep their priority). A priority that cannot be lowered is
 * reported once, not fatal.
 */
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
const { setPriority } = require('node:os');
let lowered = true;
if (process.platform !== 'linux') lowered = 'only Linux gives each thread a priority of its own, not ' + process.platform;
else try { setPriority(workerData.niceness); } catch (error) { lowered = String(error && error.message || error); }
parentPort.postMessage({ ready: true, lowered });
parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.password, Buffer.from(job.salt), job.length,
      { N: job.N, r: job.r, p: job.p, maxmem: 256 * job.N * job.r });
    parentPort.postMessage({ id: job.id, key: new Uint8Array(key) });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  readonly resolve: (key: Buffer) => void;
  readonly reject: (error: Error) => void;
}

interface HashingThread {
  readonly worker: Worker;
  busy: (Pending & { readonly id: number }) | undefined;
  dead: boolean;
  /** Ends the thread when it has been idle for the threads' `idleMs`. */
  idle?: NodeJS.Timeout;
}

/**
 * How long a hashing thread with nothing to do is kept. A thread is an isolate of its own (~8 MiB, of which ending
 * it gives back ~6); sign-ups come in bursts, and a thread starts again in a few milliseconds, as the database pools'
 * idle connections close after 30 s.
 */
export const HASHING_THREAD_IDLE_MS = 30_000;

/**
 * Up to `size` threads that derive scrypt keys at a lower priority than everything else in the process, created on
 * first use and ended after `idleMs` without a job; a job waits for a free one. Concurrency is bounded by the
 * caller's bulkhead as well: with `size` equal to its concurrency, a job never waits here.
 */
export class ScryptThreads {
  private readonly threads: HashingThread[] = [];
  private readonly waiting: { job: ScryptJob; pending: Pending }[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly onPriorityKept: (reason: string) => void = () => {},
    private readonly niceness = HASHING_NICENESS,
    private readonly idleMs = HASHING_THREAD_IDLE_MS,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`hashing threads: size must be a whole number ≥ 1, got ${size}`);
  }

  derive(job: ScryptJob): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the password hashing threads are closed'));
    return new Promise((resolve, reject) => {
      const pending = { resolve, reject };
      const idle = this.threads.find((t) => !t.busy) ?? (this.threads.length < this.size ? this.spawn() : undefined);
      if (idle) this.run(idle, job, pending);
      else this.waiting.push({ job, pending });
    });
  }

  /** How many threads are alive now. */
  get running(): number {
    return this.threads.length;
  }

  /** Ends the threads; jobs in flight or waiting fail with a clear message. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new Error('the password hashing threads were closed');
    for (const { pending } of this.waiting.splice(0)) pending.reject(gone);
    const threads = this.threads.splice(0);
    for (const thread of threads) {
      clearTimeout(thread.idle);
      thread.busy?.reject(gone);
      thread.busy = undefined;
    }
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private spawn(): HashingThread {
    const worker = new Worker(THREAD_CODE, {
      eval: true,
      workerData: { niceness: this.niceness },
      // A thread with nothing but node:crypto: a small heap; the key derivation's memory is outside it.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    const thread: HashingThread = { worker, busy: undefined, dead: false };
    worker.on(
      'message',
      (message: { ready?: true; lowered?: true | string; id?: number; key?: Uint8Array; error?: string }) => {
        if (message.ready) {
          if (message.lowered !== true) this.onPriorityKept(String(message.lowered));
          return;
        }
        const busy = thread.busy;
        if (!busy || busy.id !== message.id) return;
        thread.busy = undefined;
        if (message.key) busy.resolve(Buffer.from(message.key));
        else busy.reject(new Error(`scrypt failed: ${message.error ?? 'no key'}`));
        this.next(thread);
      },
    );
    const fail = (error: Error) => {
      if (thread.dead) return;
      thread.dead = true;
      const busy = thread.busy;
      thread.busy = undefined;
      this.forget(thread);
      busy?.reject(new Error(`a password hashing thread stopped: ${error.message}`));
      // Jobs waiting for a thread get a new one.
      const waiting = this.waiting.shift();
      if (waiting && !this.closed) this.run(this.spawn(), waiting.job, waiting.pending);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`exit code ${code}`));
    });
    this.threads.push(thread);
    return thread;
  }

  private run(thread: HashingThread, job: ScryptJob, pending: Pending): void {
    clearTimeout(thread.idle);
    thread.idle = undefined;
    const id = this.nextId++;
    thread.busy = { id, ...pending };
    thread.worker.postMessage({ id, ...job, salt: new Uint8Array(job.salt) });
  }

  private next(thread: HashingThread): void {
    const waiting = this.waiting.shift();
    if (waiting) this.run(thread, waiting.job, waiting.pending);
    else if (!thread.dead) {
      thread.idle = setTimeout(() => this.retire(thread), this.idleMs);
      thread.idle.unref();
    }
  }

  /** Ends an idle thread; the next job that finds no idle thread starts another. */
  private retire(thread: HashingThread): void {
    if (thread.busy || thread.dead || this.closed) return;
    thread.dead = true;
    this.forget(thread);
    void thread.worker.terminate();
  }

  /** Takes a thread that ended, or is ending, out of the pool. */
  private forget(thread: HashingThread): void {
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
  }
}
