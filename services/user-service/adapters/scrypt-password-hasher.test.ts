import { MIN_MEMORY_KIB, ScryptPasswordHasher } from './scrypt-password-hasher';

describe('ScryptPasswordHasher', () => {
  let hasher: ScryptPasswordHasher;

  beforeAll(async () => {
    hasher = await ScryptPasswordHasher.create({ memoryKib: MIN_MEMORY_KIB });
  });

  it('hashes with scrypt at the configured cost and a fresh salt each time, as a PHC string', async () => {
    const first = await hasher.hash('Kestrel2Harbor');
    const second = await hasher.hash('Kestrel2Harbor');
    expect(first).toMatch(/^\$scrypt\$ln=12,r=8,p=5\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('Kestrel2Harbor');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('Kestrel2Harbor');
    await expect(hasher.verify(hash, 'Kestrel2Harbor')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'kestrel2harbor')).resolves.toBe(false);
    await expect(hasher.verify(hash, '')).resolves.toBe(false);
  });

  it('verifies non-ASCII passwords, normalized (NFKC)', async () => {
    const hash = await hasher.hash('Zoë-🦅-Harbor');
    await expect(hasher.verify(hash, 'Zoë-🦅-Harbor')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'Zoe\u0308-🦅-Harbor')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'Zoe-🦅-Harbor')).resolves.toBe(false);
  });

  it('verifies a hash made at another cost (parameters travel with the hash)', async () => {
    const stronger = await ScryptPasswordHasher.create({ memoryKib: 8192 });
    const hash = await stronger.hash('Kestrel2Harbor');
    expect(hash).toMatch(/^\$scrypt\$ln=13,/);
    await expect(hasher.verify(hash, 'Kestrel2Harbor')).resolves.toBe(true);
  });

  it('answers false, not an error, for a hash it cannot read or that asks for an absurd cost', async () => {
    const good = await hasher.hash('Kestrel2Harbor');
    for (const hash of [
      '',
      'plain-text',
      '$scrypt$ln=12,r=8,p=5$broken',
      '$argon2id$v=19$m=4096,p=1,t=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      good.replace('ln=12', 'ln=30'),
      good.replace('ln=12', 'ln=4'),
    ]) {
      await expect(hasher.verify(hash, 'Kestrel2Harbor')).resolves.toBe(false);
    }
  });

  it('has a dummy hash of the same cost that no password matches', async () => {
    expect(hasher.dummyHash).toMatch(/^\$scrypt\$ln=12,r=8,p=5\$/);
    await expect(hasher.verify(hasher.dummyHash, '')).resolves.toBe(false);
    await expect(hasher.verify(hasher.dummyHash, 'Kestrel2Harbor')).resolves.toBe(false);
  });

  it("defaults to OWASP's 16 MiB setting (N = 2^14, r = 8, p = 5)", async () => {
    const standard = await ScryptPasswordHasher.create();
    expect(standard.dummyHash).toMatch(/^\$scrypt\$ln=14,r=8,p=5\$/);
  });

  it.each([4095, 2048, 6000, 0, -1, 4096.5, Number.NaN])('refuses %s KiB of memory', async (memoryKib) => {
    await expect(ScryptPasswordHasher.create({ memoryKib })).rejects.toThrow('power of two KiB from 4096');
  });
});
