import { domainErrorOf } from '../test-support/errors';
import { parseEmail, parseName, parseUserId } from './validation';

describe('parseEmail', () => {
  it('trims and lower-cases', () => {
    expect(parseEmail('  Ada.Lovelace+shop@Example.COM \n')).toBe('ada.lovelace+shop@example.com');
  });

  it.each([
    'ada@example.com',
    "o'brien@example.ie",
    'a@b.co',
    'user@mail.xn--p1ai',
    'first.last@sub.domain-with-dash.example',
  ])('accepts %s', (email) => {
    expect(parseEmail(email)).toBe(email);
  });

  it('accepts exactly 254 characters and refuses 255', async () => {
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.com`; // 195 characters
    const at254 = `${'a'.repeat(254 - domain.length - 1)}@${domain}`;
    expect(at254).toHaveLength(254);
    expect(parseEmail(at254)).toBe(at254);
    const error = await domainErrorOf(() => parseEmail(`a${at254}`));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'email' });
    expect(error.message).toContain('at most 254 characters');
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \t\n '],
  ])('refuses an %s email as required', async (_what, email) => {
    const error = await domainErrorOf(() => parseEmail(email));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'email', message: 'email is required' });
  });

  it.each([
    ['no @', 'ada.example.com'],
    ['nothing before the @', '@example.com'],
    ['no domain', 'ada@'],
    ['no dot in the domain', 'ada@localhost'],
    ['two @', 'ada@lovelace@example.com'],
    ['a space inside', 'ada lovelace@example.com'],
    ['a leading dot', '.ada@example.com'],
    ['a double dot', 'ada..l@example.com'],
    ['a trailing dot in the local part', 'ada.@example.com'],
    ['a domain label starting with a dash', 'ada@-example.com'],
    ['an IP literal', 'ada@[127.0.0.1]'],
    ['a quoted local part', '"ada"@example.com'],
    ['a non-ASCII local part', 'jöhn@example.com'],
    ['a non-ASCII domain', 'ada@exämple.com'],
    ['an emoji', '😀@example.com'],
    ['a NUL byte', 'ada\u0000@example.com'],
    ['a line break', 'ada\n@example.com'],
    ['a local part over 64 characters', `${'a'.repeat(65)}@example.com`],
    ['a very long string', `${'x'.repeat(100_000)}@example.com`],
  ])('refuses an email with %s, saying what is allowed', async (_what, email) => {
    const error = await domainErrorOf(() => parseEmail(email));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'email' });
    expect(error.message).toMatch(/^email (must be an address like name@example.com|must be at most 254)/);
  });
});

describe('parseName', () => {
  it('trims and keeps any script, accents and emoji', () => {
    expect(parseName('  Ada Lovelace  ')).toBe('Ada Lovelace');
    expect(parseName('李雷')).toBe('李雷');
    expect(parseName('Zoë 👩‍💻')).toBe('Zoë 👩‍💻');
  });

  it('stores decomposed accents in their composed (NFC) form', () => {
    expect(parseName('Zoe\u0308')).toBe('Zo\u00eb');
  });

  it('counts characters, not UTF-16 units: 100 emoji are a valid name, 101 are not', async () => {
    expect(parseName('😀'.repeat(100))).toBe('😀'.repeat(100));
    const error = await domainErrorOf(() => parseName('😀'.repeat(101)));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    expect(error.message).toBe('name must be at most 100 characters');
  });

  it.each([
    ['empty', ''],
    ['spaces only', '     '],
    ['tabs and line breaks only', '\t\n\r'],
    ['Unicode spaces only', '\u00a0\u2003\u3000'],
  ])('refuses an %s name as required', async (_what, name) => {
    const error = await domainErrorOf(() => parseName(name));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    expect(error.message).toBe('name is required: 1 to 100 characters, not only spaces');
  });

  it.each([
    ['101 letters', 'a'.repeat(101)],
    ['a very long string', 'n'.repeat(1_000_000)],
  ])('refuses a name of %s', async (_what, name) => {
    const error = await domainErrorOf(() => parseName(name));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    expect(error.message).toContain('at most 100 characters');
  });

  it.each([
    ['a line break', 'Ada\nLovelace'],
    ['a NUL byte', 'Ada\u0000'],
    ['a tab', 'Ada\tLovelace'],
    ['an escape sequence', 'Ada\u001b[31m'],
  ])('refuses a name with %s', async (_what, name) => {
    const error = await domainErrorOf(() => parseName(name));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    expect(error.message).toContain('control characters');
  });
});

describe('parseUserId', () => {
  it('accepts a UUID in any letter case and returns it lower-case', () => {
    expect(parseUserId('123E4567-E89B-42D3-A456-426614174000')).toBe('123e4567-e89b-42d3-a456-426614174000');
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '   '],
    ['not a UUID', 'user-1'],
    ['a UUID without dashes', '123e4567e89b42d3a456426614174000'],
    ['a UUID with a non-hex digit', '123e4567-e89b-42d3-a456-42661417400g'],
    ['a UUID with a trailing character', '123e4567-e89b-42d3-a456-4266141740001'],
    ['SQL', "1' OR '1'='1"],
    ['non-ASCII digits', '١٢٣e4567-e89b-42d3-a456-426614174000'],
    ['a very long string', 'a'.repeat(100_000)],
  ])('refuses an id that is %s', async (_what, id) => {
    const error = await domainErrorOf(() => parseUserId(id));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'id' });
    expect(error.message).toContain('id must be a UUID');
  });
});
