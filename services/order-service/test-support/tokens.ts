import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Role, TokenIssuer } from '../../../lib/runtime/auth';

/** The signing secret the tests start the service with (never a real one). */
export const TEST_JWT_SECRET = 'order-service-test-secret-0123456789abcdef';

const issuer = new TokenIssuer({ secret: TEST_JWT_SECRET });

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
}

export function newUser(role: Role = 'customer', email?: string): TestUser {
  const id = randomUUID();
  return { id, email: email ?? `${role}.${id.slice(0, 8)}@example.com`, role };
}

export async function tokenOf(user: TestUser, secret = TEST_JWT_SECRET): Promise<string> {
  const signer = secret === TEST_JWT_SECRET ? issuer : new TokenIssuer({ secret });
  return (await signer.issue({ sub: user.id, email: user.email, role: user.role })).token;
}

/** A customer token that expired ten minutes ago, right in every other respect. */
export async function expiredToken(user: TestUser): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: user.email, role: user.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer('shopfront/user-service')
    .setAudience('shopfront')
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 600)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** A token without a signature (`alg: none`). */
export function unsignedToken(user: TestUser): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
    sub: user.id,
    email: user.email,
    role: user.role,
    iss: 'shopfront/user-service',
    aud: 'shopfront',
    iat: now,
    exp: now + 600,
  })}.`;
}
