import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from './data-dir-lock';

/** The id of a process that has ended (spawned and waited for). */
const deadPid = (): number => {
  const pid = spawnSync('true').pid;
  if (!pid) throw new Error('no pid');
  return pid;
};

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'data-dir-lock-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const lockFile = () => path.join(dir, LOCK_FILE);

  it('writes the owner’s pid to shopfront.pid in the folder, creating the folder, and leaves nothing else', () => {
    const folder = path.join(dir, 'data');
    const lock = lockDataDir(folder, 4242);
    expect(lock.file).toBe(path.join(folder, LOCK_FILE));
    expect(readFileSync(lock.file, 'utf8')).toBe('4242\n');
    expect(readdirSync(folder)).toEqual([LOCK_FILE]);
    lock.release();
  });

  it('refuses while the process named in the lock runs, naming the pid, the folder and the file', () => {
    // The test runner's parent process runs for as long as this test does.
    const owner = lockDataDir(dir, process.ppid);
    try {
      let refused: unknown;
      try {
        lockDataDir(dir);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect(refused).toMatchObject({ pid: process.ppid, dataDir: path.resolve(dir), file: lockFile() });
      expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
    } finally {
      owner.release();
    }
  });

  it('takes over a lock whose process has ended', () => {
    const dead = deadPid();
    writeFileSync(lockFile(), `${dead}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('takes over a lock naming this very process (a container restarted with the same pid)', () => {
    writeFileSync(lockFile(), `${process.pid}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('takes over a lock file that holds no pid', () => {
    writeFileSync(lockFile(), 'not a pid\n');
    const lock = lockDataDir(dir);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('removes the file at release, once, and the folder can be claimed again', () => {
    const lock = lockDataDir(dir);
    lock.release();
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
    lockDataDir(dir).release();
  });

  it('leaves a lock another process has taken over since in place at release', () => {
    const lock = lockDataDir(dir);
    writeFileSync(lockFile(), '4242\n');
    lock.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe('4242\n');
  });
});
