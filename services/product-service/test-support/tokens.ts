import { SignJWT } from 'jose';
import { type Role, TokenIssuer } from '../../../lib/runtime/auth';

/** The signing secret the tests start the service with (never a real one). */
export const TEST_JWT_SECRET = 'product-service-test-secret-0123456789abcdef';

const issuer = new TokenIssuer({ secret: TEST_JWT_SECRET });

export async function tokenFor(role: Role, secret = TEST_JWT_SECRET): Promise<string> {
  const signer = secret === TEST_JWT_SECRET ? issuer : new TokenIssuer({ secret });
  return (await signer.issue({ sub: `user-${role}`, email: `${role}@example.com`, role })).token;
}

/**
 * An admin token that expired ten minutes ago (beyond the verifier's clock tolerance), signed with the
 * right key, issuer and audience, so expiry is the only thing wrong with it. Crafted with jose, as
 * TokenIssuer cannot issue a token in the past.
 */
export async function expiredAdminToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: 'admin@example.com', role: 'admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('user-admin')
    .setIssuer('shopfront/user-service')
    .setAudience('shopfront')
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 600)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** A token without a signature (`alg: none`): must be refused, whatever its claims say. */
export function unsignedAdminToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
    sub: 'user-admin',
    email: 'admin@example.com',
    role: 'admin',
    iss: 'shopfront/user-service',
    aud: 'shopfront',
    iat: now,
    exp: now + 600,
  })}.`;
}

export const GARBAGE_TOKEN = 'not-a-jwt';
