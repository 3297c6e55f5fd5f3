import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { WindowResult, WindowsSnapshot } from '../domain/windows';

/** What survives a restart: the open windows with their seen ids, the watermark, and decided-but-unsent windows. */
export interface SavedState {
  readonly windows: WindowsSnapshot;
  /** Windows already closed whose emission was not yet confirmed; emitted again at start. */
  readonly pending: readonly WindowResult[];
}

const epochMs = z.int().nonnegative();
const revenue = z.record(z.string().regex(/^[A-Z]{3}$/), z.int().nonnegative());

const stateSchema = z.strictObject({
  version: z.literal(1),
  windows: z.strictObject({
    windowMs: z.int().positive(),
    watermarkMs: z.int().nullable(),
    windows: z.array(
      z.strictObject({
        startMs: epochMs,
        orderCount: z.int().positive(),
        revenue,
        userIds: z.array(z.string()),
        eventIds: z.array(z.string()),
      }),
    ),
  }),
  pending: z.array(
    z.strictObject({
      startMs: epochMs,
      endMs: epochMs,
      orderCount: z.int().positive(),
      revenue,
      uniqueUsers: z.int().positive(),
    }),
  ),
});

/** The state file cannot be read as a state: the job must not start and silently lose or double count. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/**
 * The job's state in one JSON file, replaced atomically: written to `<file>.tmp`, flushed to disk, renamed over
 * the old one, and the folder flushed, so a crash leaves either the old state or the new one, never a mix.
 */
export class StateFile {
  constructor(readonly path: string) {}

  /** The saved state, or `undefined` when none was ever saved. @throws StateFileError when it is unreadable */
  async load(): Promise<SavedState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new StateFileError(`${this.path} is not JSON; move it away to start from no state`);
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      throw new StateFileError(`${this.path} is not an analytics state: ${z.prettifyError(parsed.error)}`);
    }
    return { windows: parsed.data.windows, pending: parsed.data.pending };
  }

  async save(state: SavedState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(JSON.stringify({ version: 1, ...state }));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    await syncFolder(dirname(this.path));
  }
}

/** Makes the rename itself durable. Some platforms cannot open a folder for syncing; there it is skipped. */
async function syncFolder(folder: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Best effort: the rename is still atomic, only its durability across a power cut is not guaranteed.
  } finally {
    await handle?.close();
  }
}
