import { SignJWT, UnsecuredJWT } from 'jose';
import { TokenIssuer, TokenVerifier } from './auth';

const secret = 'a-test-signing-secret-of-at-least-32-chars';
const claims = { sub: '6f1c3a52-9a57-4c1e-8a0b-1f2e3d4c5b6a', email: 'ada@example.com', role: 'admin' as const };

describe('access tokens', () => {
  const issuer = new TokenIssuer({ secret, ttlSeconds: 60 });
  const verifier = new TokenVerifier({ secret });

  it('round-trips the claims', async () => {
    const { token, expiresIn } = await issuer.issue(claims);
    expect(expiresIn).toBe(60);
    await expect(verifier.verify(token)).resolves.toEqual(claims);
  });

  const forge = (alg: string, key: Uint8Array, body: Record<string, unknown> = {}) =>
    new SignJWT({ email: claims.email, role: 'admin', ...body })
      .setProtectedHeader({ alg })
      .setSubject(claims.sub)
      .setIssuer('shopfront/user-service')
      .setAudience('shopfront')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(key);

  it.each([
    [
      'unsigned (alg none)',
      async () =>
        new UnsecuredJWT({ email: claims.email, role: 'admin' })
          .setSubject(claims.sub)
          .setIssuer('shopfront/user-service')
          .setAudience('shopfront')
          .setExpirationTime('1m')
          .encode(),
    ],
    [
      'signed with another secret',
      async () => forge('HS256', new TextEncoder().encode('another-secret-that-is-32-chars-long!!')),
    ],
    ['another algorithm (HS512)', async () => forge('HS512', new TextEncoder().encode(secret))],
    ['expired', async () => new TokenIssuer({ secret, ttlSeconds: -60 }).issue(claims).then((t) => t.token)],
    ['from another issuer', async () => new TokenIssuer({ secret, issuer: 'evil' }).issue(claims).then((t) => t.token)],
    [
      'for another audience',
      async () => new TokenIssuer({ secret, audience: 'other' }).issue(claims).then((t) => t.token),
    ],
    ['with an unknown role', async () => forge('HS256', new TextEncoder().encode(secret), { role: 'root' })],
    ['garbage', async () => 'not.a.jwt'],
    [
      'tampered payload',
      async () => {
        const { token } = await issuer.issue({ ...claims, role: 'admin' });
        const [h, p, s] = token.split('.');
        const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
        payload.sub = 'someone-else';
        return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
      },
    ],
  ])('refuses a token %s as UNAUTHENTICATED', async (_name, make) => {
    const token = await make();
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a short signing secret', () => {
    expect(() => new TokenVerifier({ secret: 'short' })).toThrow(/at least 32 characters/);
  });

  describe('remembering verified tokens', () => {
    // The verifier's clock starts at the issuer's (the system clock) and is moved by hand.
    let clock = Date.now();
    const now = () => clock;
    beforeEach(() => {
      clock = Date.now();
    });
    const tokenAt = async (ttlSeconds: number) => (await new TokenIssuer({ secret, ttlSeconds }).issue(claims)).token;

    it('answers a token seen before from memory, with the same claims', async () => {
      const remembering = new TokenVerifier({ secret, now });
      const token = await tokenAt(60);
      await expect(remembering.verify(token)).resolves.toEqual(claims);
      await expect(remembering.verify(token)).resolves.toEqual(claims);
      expect(remembering.stats).toEqual({ cached: 1, computed: 1 });
    });

    it('refuses a remembered token once it has expired (past the 5 s tolerance)', async () => {
      const remembering = new TokenVerifier({ secret, now });
      const token = await tokenAt(60);
      await remembering.verify(token);
      clock += 64_000;
      await expect(remembering.verify(token)).resolves.toEqual(claims);
      clock += 2_000;
      await expect(remembering.verify(token)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'access token expired',
      });
      expect(remembering.stats.cached).toBe(1);
    });

    it('never accepts a tampered copy of a remembered token', async () => {
      const remembering = new TokenVerifier({ secret, now });
      const token = await tokenAt(60);
      await remembering.verify(token);
      const [h, , s] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claims, role: 'admin', sub: 'x' })).toString('base64url');
      await expect(remembering.verify(`${h}.${payload}.${s}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await expect(remembering.verify(`${token}x`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('keeps at most verifiedCacheSize tokens, dropping the oldest; 0 remembers none', async () => {
      const small = new TokenVerifier({ secret, now, verifiedCacheSize: 2 });
      const tokens = [await tokenAt(60), await tokenAt(61), await tokenAt(62)];
      for (const token of tokens) await small.verify(token);
      await small.verify(tokens[2] ?? '');
      await small.verify(tokens[0] ?? '');
      expect(small.stats).toEqual({ cached: 1, computed: 4 });

      const none = new TokenVerifier({ secret, now, verifiedCacheSize: 0 });
      await none.verify(tokens[0] ?? '');
      await none.verify(tokens[0] ?? '');
      expect(none.stats).toEqual({ cached: 0, computed: 2 });
    });
  });
});
