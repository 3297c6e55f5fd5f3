import { getPriority, setPriority } from 'node:os';

/** The lowest CPU priority a thread can take: Linux's nice values run from 0 (normal) to 19. */
export const LOWEST_NICENESS = 19;

/**
 * Lowers the CPU priority of the calling thread to `niceness` (0 to 19), and answers why not when it cannot. Only
 * Linux gives each thread a nice value of its own (`os.setPriority` sets the calling thread's); on macOS and Windows
 * the same call changes the whole process, every other service of the local platform with it, so nothing is done
 * there. A thread already at `niceness` or lower (the platform started with `nice`) is left as it is: raising a
 * priority needs privileges a platform must not ask for.
 */
export function lowerThreadPriority(
  niceness: number,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > LOWEST_NICENESS) {
    throw new RangeError(`a thread's niceness is an integer from 0 to ${LOWEST_NICENESS}, not ${niceness}`);
  }
  if (platform !== 'linux') return `only Linux gives each thread a priority of its own, not ${platform}`;
  try {
    if (getPriority() < niceness) setPriority(niceness);
    return undefined;
  } catch (error) {
    return `the thread's priority could not be lowered: ${error instanceof Error ? error.message : String(error)}`;
  }
}
