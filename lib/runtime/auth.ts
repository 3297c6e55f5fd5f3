import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { UnauthenticatedError } from './errors';

export type Role = 'customer' | 'admin';

export interface AccessClaims {
  /** User id. */
  readonly sub: string;
  readonly email: string;
  readonly role: Role;
}

export interface TokenSettings {
  /** Shared HMAC key (the platform secret `jwt-signing-key`), at least 32 characters. */
  readonly secret: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** @default 900 (15 minutes) */
  readonly ttlSeconds?: number;
  /** Verified tokens remembered until they expire, so a token seen again skips the HMAC. 0: none. @default 10000 */
  readonly verifiedCacheSize?: number;
  /** The clock tokens are checked against, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const CLOCK_TOLERANCE_S = 5;

const ALGORITHM = 'HS256';
const DEFAULT_ISSUER = 'shopfront/user-service';
const DEFAULT_AUDIENCE = 'shopfront';

const claimsSchema = z.object({
  sub: z.string().min(1),
  email: z.string().min(3),
  role: z.enum(['customer', 'admin']),
});

function keyOf(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('the token signing secret must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

/** Issues short-lived HS256 access tokens. */
export class TokenIssuer {
  private readonly key: Uint8Array;
  readonly ttlSeconds: number;

  constructor(private readonly settings: TokenSettings) {
    this.key = keyOf(settings.secret);
    this.ttlSeconds = settings.ttlSeconds ?? 900;
  }

  async issue(claims: AccessClaims): Promise<{ token: string; expiresIn: number }> {
    const token = await new SignJWT({ email: claims.email, role: claims.role })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.settings.issuer ?? DEFAULT_ISSUER)
      .setAudience(this.settings.audience ?? DEFAULT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
    return { token, expiresIn: this.ttlSeconds };
  }
}

/**
 * Verifies access tokens: HS256 only (so `alg: none` and algorithm confusion are refused), issuer,
 * audience and expiry checked. Every failure is the same UnauthenticatedError, with no detail for the caller.
 */
export class TokenVerifier {
  private readonly key: Uint8Array;
  private readonly now: () => number;
  private readonly cacheSize: number;
  /** Token -> its claims and the instant it stops being accepted; oldest first (insertion order of a Map). */
  private readonly verified = new Map<string, { claims: AccessClaims; untilMs: number }>();
  /** Verifications answered from the cache, and those that ran the HMAC. */
  readonly stats = { cached: 0, computed: 0 };

  constructor(private readonly settings: TokenSettings) {
    this.key = keyOf(settings.secret);
    this.now = settings.now ?? Date.now;
    this.cacheSize = settings.verifiedCacheSize ?? 10_000;
  }

  /**
   * The claims of a valid token. A token verified before is answered from memory until its expiry (with the
   * same tolerance as the first check): the same bytes under the same key verify the same way, and an expired
   * one is checked again, and refused, by jose.
   */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known && this.now() <= known.untilMs) {
      this.stats.cached++;
      return known.claims;
    }
    if (known) this.verified.delete(token);
    this.stats.computed++;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer ?? DEFAULT_ISSUER,
        audience: this.settings.audience ?? DEFAULT_AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw new UnauthenticatedError('invalid access token');
      this.remember(token, claims.data, ((payload.exp ?? 0) + CLOCK_TOLERANCE_S) * 1000);
      return claims.data;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('access token expired');
      throw new UnauthenticatedError('invalid access token');
    }
  }

  private remember(token: string, claims: AccessClaims, untilMs: number): void {
    if (this.cacheSize <= 0) return;
    while (this.verified.size >= this.cacheSize) {
      const oldest = this.verified.keys().next().value;
      if (oldest === undefined) break;
      this.verified.delete(oldest);
    }
    this.verified.set(token, { claims, untilMs });
  }
}
