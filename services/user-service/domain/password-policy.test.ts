import { domainErrorOf } from '../test-support/errors';
import { COMMON_PASSWORDS, checkPassword } from './password-policy';

const EMAIL = 'ada.lovelace@example.com';

async function refusal(password: string, email = EMAIL) {
  const error = await domainErrorOf(() => checkPassword(password, email));
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'password' });
  // The message says what is allowed; it never repeats the password.
  if (password.trim().length > 0) expect(error.message).not.toContain(password);
  expect(error.message).toMatch(/^password /);
  return error.message;
}

describe('checkPassword', () => {
  it.each([
    ['three classes, 10 characters', 'Tr0ub4dor&'],
    ['lower, upper and digits', 'Kestrel2Harbor'],
    ['lower, digits and symbols', 'kestrel-2-harbor'],
    ['a 16-character passphrase of lower-case letters and spaces', 'purple monkey dishwasher'],
    ['a passphrase of one class', 'correcthorsebatterystaplez'],
    ['exactly 128 characters', `Aa1!${'xyzw'.repeat(31)}`],
    ['accented letters, digits and symbols', 'Ünïcødé-p4ss'],
    ['a 16-character passphrase in an uncased script', '我的密码是非常长的一句话不是吗啊'],
    ['emoji counted as symbols', 'kestrel🦅harbor9'],
  ])('accepts %s', (_what, password) => {
    expect(() => checkPassword(password, EMAIL)).not.toThrow();
  });

  it('returns the password in NFKC form so it hashes alike however it was typed', () => {
    expect(checkPassword('Ｋｅｓｔｒｅｌ２Ｈａｒｂｏｒ', EMAIL)).toBe('Kestrel2Harbor');
    expect(checkPassword('Zoe\u0308-Harbor-2x', EMAIL)).toBe('Zo\u00eb-Harbor-2x');
  });

  it.each([
    ['empty', ''],
    ['9 characters', 'Tr0ub4do&'],
    ['129 characters', `Aa1!${'xyzw'.repeat(31)}z`],
    ['a very long string', `Aa1!${'x'.repeat(1_000_000)}`],
    ['9 emoji (18 UTF-16 units)', '🦅🦅🦅🦅🦅🦅🦅🦅🦅'],
  ])('refuses a password that is %s, stating the length range', async (_what, password) => {
    expect(await refusal(password)).toBe('password must be 10 to 128 characters long');
  });

  it.each([
    ['spaces', ' '.repeat(20)],
    ['Unicode spaces', '\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u3000'],
  ])('refuses a password of only %s', async (_what, password) => {
    expect(await refusal(password)).toBe('password must not be only spaces');
  });

  it.each([
    ['a NUL byte', 'Kestrel2Harbor\u0000'],
    ['a line break', 'Kestrel2\nHarbor'],
    ['a tab', 'Kestrel2\tHarbor'],
  ])('refuses a password with %s', async (_what, password) => {
    expect(await refusal(password)).toContain('control characters');
  });

  it('refuses a long password of too few different characters', async () => {
    expect(await refusal('abababababababababab')).toBe('password must contain at least 5 different characters');
    expect(await refusal('a'.repeat(40))).toBe('password must contain at least 5 different characters');
  });

  it.each([
    ['equal to the local part', 'lovelace.ada', 'lovelace.ada@example.com'],
    ['containing the local part', 'X9!ada.lovelace', EMAIL],
    ['containing it in another letter case', 'X9!ADA.Lovelace', EMAIL],
  ])('refuses a password %s of the email', async (_what, password, email) => {
    expect(await refusal(password, email)).toBe('password must not contain the part of your email before the @');
  });

  it('does not hold a short local part against a password that happens to contain it', () => {
    expect(() => checkPassword('Kestrel2Harbor', 'al@example.com')).not.toThrow();
  });

  it.each([
    'Password123',
    'P@ssw0rd123',
    'Qwerty123!',
    'qwertyuiopasdfgh',
    'Welcome123!',
    'Summer2025!',
    'correcthorsebatterystaple',
  ])('refuses the common password %s (in any letter case)', async (password) => {
    expect(await refusal(password)).toBe('password is one of the most commonly used passwords; choose another');
  });

  it('keeps the list in lower case, 10+ characters, so each entry can match', () => {
    for (const entry of COMMON_PASSWORDS) {
      expect(entry).toBe(entry.toLowerCase());
      expect(entry.length).toBeGreaterThanOrEqual(10);
    }
  });

  it.each([
    ['lower-case letters only', 'kestrelharbor'],
    ['lower-case letters and digits', 'kestrel2harbor'],
    ['upper-case letters and digits', 'KESTREL2HARBOR'],
    ['digits and symbols', '2718-2818-28'],
    ['15 characters of two classes', 'kestrelharbor22'],
  ])('refuses %s shorter than a passphrase', async (_what, password) => {
    expect(await refusal(password)).toBe(
      'password must mix at least 3 of: lower-case letters, upper-case letters, digits, symbols or spaces; ' +
        'or be a passphrase of at least 16 characters',
    );
  });
});
