import type { PasswordHasher } from '../domain/ports';

/**
 * A transparent stand-in for scrypt in domain tests: records every verification so a test can see that an
 * unknown email still costs a hash check. Not a hash; never use outside tests.
 */
export class FakePasswordHasher implements PasswordHasher {
  readonly dummyHash = '$scrypt$fake$dummy';
  readonly hashed: string[] = [];
  readonly verified: { hash: string; password: string }[] = [];

  async hash(password: string): Promise<string> {
    this.hashed.push(password);
    return `$scrypt$fake$${password}`;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    this.verified.push({ hash, password });
    return hash !== this.dummyHash && hash === `$scrypt$fake$${password}`;
  }
}
