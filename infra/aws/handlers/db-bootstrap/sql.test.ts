import { createHash, createHmac } from 'node:crypto';
import {
  assertPrintableAsciiPassword,
  ident,
  literal,
  NAME_PATTERN,
  SCRAM_ITERATIONS,
  scramSha256Verifier,
} from './sql';

// pg's own SCRAM client (plain JS, no typings); used to prove the verifier authenticates like a real server would.
interface SaslSession {
  response: string;
}
const sasl = require('pg/lib/crypto/sasl') as {
  startSession(mechanisms: string[]): SaslSession;
  continueSession(session: SaslSession, password: string, serverData: string): Promise<void>;
  finalizeSession(session: SaslSession, serverData: string): void;
};

describe('ident', () => {
  it('quotes valid names with double quotes', () => {
    expect(ident('orders')).toBe('"orders"');
    expect(ident('order_service')).toBe('"order_service"');
    // keywords are fine once quoted
    expect(ident('user')).toBe('"user"');
  });

  it.each(['Orders', 'orders"; DROP DATABASE x; --', 'a b', '1abc', '_x', '', 'é', 'a'.repeat(64), 'x\u0000'])(
    'refuses %j',
    (name) => {
      expect(() => ident(name)).toThrow(/refusing to quote identifier/);
    },
  );

  it('accepts the 63-byte maximum', () => {
    expect(NAME_PATTERN.test('a'.repeat(63))).toBe(true);
  });
});

describe('literal', () => {
  it('delegates to pg escapeLiteral', () => {
    expect(literal("it's")).toBe("'it''s'");
    expect(literal('back\\slash')).toBe(" E'back\\\\slash'");
  });

  it('refuses NUL and non-strings', () => {
    expect(() => literal('a\u0000b')).toThrow(/NUL/);
    expect(() => literal(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('scramSha256Verifier', () => {
  const password = 'correct horse battery staple!#$%&()*+,-./:;<=>?@[]^_`{|}~';

  it('has the pg_authid format', () => {
    const verifier = scramSha256Verifier(password);
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(verifier).not.toContain(password);
    expect(SCRAM_ITERATIONS).toBe(4096);
  });

  it('uses a fresh salt each time and is deterministic for a given salt', () => {
    expect(scramSha256Verifier(password)).not.toBe(scramSha256Verifier(password));
    const salt = Buffer.alloc(16, 7);
    expect(scramSha256Verifier(password, { salt })).toBe(scramSha256Verifier(password, { salt }));
  });

  it("authenticates pg's SCRAM client when used as the server-side secret", async () => {
    const verifier = scramSha256Verifier(password);
    const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
    if (!match) throw new Error('bad verifier');
    const [, iterations, salt, storedKeyB64, serverKeyB64] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const storedKey = Buffer.from(storedKeyB64, 'base64');
    const serverKey = Buffer.from(serverKeyB64, 'base64');

    const session = sasl.startSession(['SCRAM-SHA-256']);
    const clientFirstBare = session.response.replace(/^n,,/, '');
    const clientNonce = /r=(.+)$/.exec(clientFirstBare)?.[1] ?? '';
    const serverFirst = `r=${clientNonce}server-nonce,s=${salt},i=${iterations}`;
    await sasl.continueSession(session, password, serverFirst);

    const clientFinal = session.response;
    const withoutProof = clientFinal.replace(/,p=[^,]+$/, '');
    const proof = Buffer.from(/,p=([^,]+)$/.exec(clientFinal)?.[1] ?? '', 'base64');
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = createHmac('sha256', storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ (clientSignature[i] ?? 0)));
    // server-side check (what PostgreSQL does with the stored verifier)
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);

    const serverSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    expect(() => sasl.finalizeSession(session, `v=${serverSignature}`)).not.toThrow();
  });

  it('refuses empty or non-ASCII passwords without echoing them', () => {
    expect(() => scramSha256Verifier('')).toThrow('password must be a non-empty string');
    expect(() => assertPrintableAsciiPassword('pässwörd')).toThrow(/printable ASCII/);
    try {
      scramSha256Verifier('sëcret-value');
    } catch (error) {
      expect((error as Error).message).not.toContain('sëcret-value');
    }
  });
});
