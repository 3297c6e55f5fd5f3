import { PermissionDeniedError } from '../../../lib/runtime/errors';
import { assertAdmin, assertMayReadUser, type Principal } from './access';

const alice: Principal = {
  userId: '0b5e1d4e-8f0a-4c1e-9a55-3f1f4f1d2a01',
  email: 'alice@example.com',
  role: 'customer',
};
const admin: Principal = { userId: '7c7f2d1a-2b57-4d44-a1e9-0d4c7f4b9b02', email: 'root@example.com', role: 'admin' };
const bob = '5d3c3a8e-52f4-4b43-9d8e-8a1e7f2c6b03';

describe('assertMayReadUser', () => {
  it('lets a user read their own account, whatever the case of the id', () => {
    expect(() => assertMayReadUser(alice, alice.userId)).not.toThrow();
    expect(() => assertMayReadUser(alice, alice.userId.toUpperCase())).not.toThrow();
  });

  it("refuses a customer someone else's account", () => {
    expect(() => assertMayReadUser(alice, bob)).toThrow(PermissionDeniedError);
  });

  it('lets an admin read any account', () => {
    expect(() => assertMayReadUser(admin, bob)).not.toThrow();
  });
});

describe('assertAdmin', () => {
  it('accepts an admin', () => {
    expect(() => assertAdmin(admin)).not.toThrow();
  });

  it('refuses a customer with PERMISSION_DENIED', () => {
    expect(() => assertAdmin(alice)).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
  });
});
