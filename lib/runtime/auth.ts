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
}

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

  constructor(private readonly settings: TokenSettings) {
    this.key = keyOf(settings.secret);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer ?? DEFAULT_ISSUER,
        audience: this.settings.audience ?? DEFAULT_AUDIENCE,
        clockTolerance: 5,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw new UnauthenticatedError('invalid access token');
      return claims.data;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('access token expired');
      throw new UnauthenticatedError('invalid access token');
    }
  }
}
