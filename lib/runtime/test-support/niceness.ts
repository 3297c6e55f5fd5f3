import { readFileSync } from 'node:fs';

/**
 * The nice value of a thread or process from its /proc stat file (field 19): `/proc/self/task/<tid>` for a thread of
 * this process, `/proc/<pid>` for another process.
 */
export function nicenessAt(proc: string): number {
  const stat = readFileSync(`${proc}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
