import type { Role } from '../../../lib/runtime/auth';
import { PermissionDeniedError } from '../../../lib/runtime/errors';

/** The authenticated caller, as its verified access token describes it. */
export interface Principal {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
}

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * A user's account is readable by that user and by admins. Checked before asking user-service, so a
 * customer cannot learn whether someone else's id exists (403 either way, never 404).
 */
export function assertMayReadUser(principal: Principal, userId: string): void {
  if (principal.role === 'admin' || sameId(principal.userId, userId)) return;
  throw new PermissionDeniedError('you may only read your own account');
}

/** Catalogue changes are for admins; product-service checks again with the forwarded token. */
export function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw new PermissionDeniedError('this operation requires the admin role');
}
