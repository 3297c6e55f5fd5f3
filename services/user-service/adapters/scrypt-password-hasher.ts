import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Bulkhead } from '../../../lib/runtime/bulkhead';
import type { PasswordHasher } from '../domain/ports';
import type { ScryptThreads } from './scrypt-threads';

/**
 * OWASP Password Storage Cheat Sheet's scrypt setting for 16 MiB: N = 2^14, r = 8, p = 5. Memory is
 * 128 × N × r bytes, so with r = 8 the memory in KiB equals N.
 */
export const DEFAULT_MEMORY_KIB = 16_384;
/** Below this the hash is no longer meaningfully memory-hard; tests may go down to it, never lower. */
export const MIN_MEMORY_KIB = 4_096;
const BLOCK_SIZE = 8;
const PARALLELISM = 5;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

interface Params {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

function derive(
  password: string,
  salt: Buffer,
  params: Params,
  length: number,
  threads?: ScryptThreads,
): Promise<Buffer> {
  const job = { password: password.normalize('NFKC'), salt, length, N: 2 ** params.logN, r: params.r, p: params.p };
  if (threads) return threads.derive(job);
  return new Promise((resolve, reject) =>
    scrypt(job.password, salt, length, { N: job.N, r: job.r, p: job.p, maxmem: 256 * job.N * job.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

const base64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
const encode = (params: Params, salt: Buffer, key: Buffer) =>
  `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${base64(salt)}$${base64(key)}`;

/**
 * scrypt from node:crypto (OpenSSL): memory-hard, and no native addon to load. With `threads`, on threads of lower
 * priority than the service's (scrypt-threads.ts); without, on libuv's thread pool. Hashes are PHC strings carrying
 * their parameters, so the cost can rise without invalidating old ones.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  private constructor(
    private readonly params: Params,
    readonly dummyHash: string,
    private readonly bulkhead?: Bulkhead,
    private readonly threads?: ScryptThreads,
  ) {}

  /** Every derivation goes through the bulkhead when there is one: a burst of sign-ups waits or is refused. */
  private derive(password: string, salt: Buffer, params: Params, length: number): Promise<Buffer> {
    const work = () => derive(password, salt, params, length, this.threads);
    return this.bulkhead ? this.bulkhead.run(work) : work();
  }

  /** Builds the hasher and its dummy hash (a random secret nobody knows, hashed at the same cost). */
  static async create(
    options: { memoryKib?: number; bulkhead?: Bulkhead; threads?: ScryptThreads } = {},
  ): Promise<ScryptPasswordHasher> {
    const memoryKib = options.memoryKib ?? DEFAULT_MEMORY_KIB;
    const logN = Math.log2(memoryKib);
    if (!Number.isInteger(logN) || memoryKib < MIN_MEMORY_KIB || memoryKib > 1_048_576) {
      throw new Error(`scrypt memory must be a power of two KiB from ${MIN_MEMORY_KIB} to 1048576, got ${memoryKib}`);
    }
    const params = { logN, r: BLOCK_SIZE, p: PARALLELISM };
    const salt = randomBytes(SALT_LENGTH);
    const secret = randomBytes(32).toString('base64');
    const dummy = encode(params, salt, await derive(secret, salt, params, KEY_LENGTH, options.threads));
    return new ScryptPasswordHasher(params, dummy, options.bulkhead, options.threads);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    return encode(this.params, salt, await this.derive(password, salt, this.params, KEY_LENGTH));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    const match = PHC.exec(hash);
    if (!match) return false;
    const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
    // A stored hash cannot make the service spend more than 16 times the configured cost (a tampered row).
    if (params.logN < 10 || params.logN > this.params.logN + 4 || params.r > 32 || params.p > 16) return false;
    const salt = Buffer.from(match[4] ?? '', 'base64');
    const expected = Buffer.from(match[5] ?? '', 'base64');
    if (expected.length < 16) return false;
    const actual = await this.derive(password, salt, params, expected.length);
    return timingSafeEqual(actual, expected);
  }
}
