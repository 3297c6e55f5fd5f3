import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import type { PasswordHasher } from '../domain/ports';

/** OWASP Password Storage Cheat Sheet's argon2id minimum: m=19 MiB, t=2, p=1. */
export const DEFAULT_MEMORY_KIB = 19_456;
/** Below this the hash is no longer meaningfully memory-hard; tests may go down to it, never lower. */
export const MIN_MEMORY_KIB = 4_096;
const TIME_COST = 2;
const PARALLELISM = 1;

/** argon2id through the `argon2` package (the reference C implementation). */
export class Argon2PasswordHasher implements PasswordHasher {
  private constructor(
    private readonly memoryKib: number,
    readonly dummyHash: string,
  ) {}

  /** Builds the hasher and its dummy hash (a random secret nobody knows, hashed with the same cost). */
  static async create(options: { memoryKib?: number } = {}): Promise<Argon2PasswordHasher> {
    const memoryKib = options.memoryKib ?? DEFAULT_MEMORY_KIB;
    if (!Number.isInteger(memoryKib) || memoryKib < MIN_MEMORY_KIB) {
      throw new Error(`argon2 memory must be a whole number of KiB >= ${MIN_MEMORY_KIB}, got ${memoryKib}`);
    }
    const dummy = await argon2.hash(randomBytes(32).toString('base64'), Argon2PasswordHasher.options(memoryKib));
    return new Argon2PasswordHasher(memoryKib, dummy);
  }

  private static options(memoryKib: number): argon2.HashOptions {
    return { type: argon2.argon2id, memoryCost: memoryKib, timeCost: TIME_COST, parallelism: PARALLELISM };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, Argon2PasswordHasher.options(this.memoryKib));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      // A hash the library cannot parse never matches; the caller answers as for any wrong password.
      return false;
    }
  }
}
