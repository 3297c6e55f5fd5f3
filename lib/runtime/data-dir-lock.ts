import { linkSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The lock file of a data folder, holding the process id of its owner. */
export const LOCK_FILE = 'shopfront.pid';

/** Another live process holds the data folder. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly file: string,
  ) {
    super(`${dataDir} is in use by process ${pid} (lock file ${file})`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** The lock file. */
  readonly file: string;
  /** Removes the lock file, unless another process has taken it over since. Idempotent. */
  release(): void;
}

/** Whether a process with this id runs (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner's pid, or undefined when the file is gone or does not hold one (written by something else). */
function ownerOf(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Claims `dataDir` for this process with `<dataDir>/shopfront.pid`, before anything in it is opened. Refuses with a
 * DataDirInUseError while the process named there runs; takes over a lock whose process is gone (a crash, a
 * SIGKILL, a reboot) or is this very process (a container restarted with the same pid). The file appears whole
 * (written aside, then hard-linked into place), so a reader never sees it half-written. Two processes taking over
 * the same stale lock at the same instant can both succeed; PostgreSQL's own lock on its data folder stops the
 * second one.
 */
export function lockDataDir(dataDir: string, pid: number = process.pid): DataDirLock {
  const folder = path.resolve(dataDir);
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, LOCK_FILE);
  const staged = `${file}.${pid}.${Date.now()}`;
  writeFileSync(staged, `${pid}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        linkSync(staged, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      }
      const owner = ownerOf(file);
      if (owner !== undefined && owner !== pid && alive(owner)) throw new DataDirInUseError(folder, owner, file);
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(staged, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (ownerOf(file) !== pid) return;
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', release);
  return { file, release };
}
