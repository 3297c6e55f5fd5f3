import type { TokenVerifier } from '../../../lib/runtime/auth';
import { UnauthenticatedError } from '../../../lib/runtime/errors';
import type { Principal } from '../domain/access';

/** RFC 6750 `Authorization: Bearer <b64token>`; the scheme name is case-insensitive. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export interface Authenticated {
  readonly principal: Principal;
  /** The caller's own token, forwarded to peers that re-check it. */
  readonly token: string;
}

/**
 * The caller behind an `Authorization` header, through the kit's TokenVerifier (HS256 only, issuer, audience,
 * expiry). Every failure is UNAUTHENTICATED without detail beyond "missing", "malformed" or the verifier's message.
 */
export async function authenticate(header: string | undefined, verifier: TokenVerifier): Promise<Authenticated> {
  if (!header) throw new UnauthenticatedError('a Bearer access token is required');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw new UnauthenticatedError('the Authorization header must be "Bearer <access token>"');
  const claims = await verifier.verify(token);
  return { principal: { userId: claims.sub, email: claims.email, role: claims.role }, token };
}
