import { InvalidArgumentError } from '../../../lib/runtime/errors';
import { characterCount, localPartOf } from './validation';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
/** From this length on a password is a passphrase and needs no mix of character classes. */
export const PASSPHRASE_LENGTH = 16;
const MIN_DISTINCT_CHARACTERS = 5;
/** Shorter local parts ('al', 'j') occur inside too many good passwords to be worth refusing. */
const LOCAL_PART_MIN_LENGTH_TO_CHECK = 3;

/**
 * The most common passwords that the other rules would let through (10+ characters; most mix three character
 * classes or are 16+ long), taken from the top of public breach corpora (SecLists' common-credentials lists,
 * the NCSC top-100k list): keyboard walks, "Password123"-style variants, season + year, doubled words.
 * Compared case-insensitively. A small built-in list keeps the service offline; a breach-corpus lookup
 * (k-anonymity range query) is the stronger option when egress is allowed.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '0123456789',
  '1234567890',
  '1234567890a',
  '123456789a',
  '123456789q',
  '1234567812345678',
  '12345678901234567890',
  '1234567890qwerty',
  '1234qwer!@#$',
  '1q2w3e4r5t',
  '1q2w3e4r5t6y',
  '1q2w3e4r5t6y7u8i',
  '1qaz2wsx3edc',
  '1qaz@wsx3edc',
  '1qaz!qaz1qaz!qaz',
  'zaq12wsxcde3',
  'zaq1@wsx3edc',
  '!qaz2wsx#edc',
  'abc123456789',
  'abcd1234!@#$',
  'abcdefghijklmnop',
  'qwerty1234',
  'qwerty12345',
  'qwerty123456',
  'qwerty123!',
  'qwerty123!@#',
  'qwertyuiop',
  'qwertyuiop1',
  'qwertyuiop123',
  'qwertyuiopasdfgh',
  'qwertyuiopasdfghjkl',
  'asdfghjkl1',
  'asdfghjkl;',
  'zxcvbnm123',
  'password12',
  'password123',
  'password1234',
  'password1!',
  'password123!',
  'password@123',
  'password#123',
  'passwordpassword',
  'p@ssw0rd123',
  'p@ssw0rd!!',
  'p@ssword123',
  'p@$$w0rd123',
  'pa$$w0rd123',
  'passw0rd123',
  'passw0rd!!',
  'welcome123',
  'welcome123!',
  'welcome@123',
  'welcome2024',
  'welcome2025',
  'welcome2026',
  'iloveyou12',
  'iloveyou123',
  'iloveyouiloveyou',
  'letmein123',
  'letmein123!',
  'admin12345',
  'admin@1234',
  'admin@12345',
  'administrator',
  'administrator1',
  'changeme123',
  'changeme!1',
  'trustno1234',
  'sunshine123',
  'football123',
  'baseball123',
  'monkey12345',
  'dragon12345',
  'princess123',
  'superman123',
  'batman12345',
  'starwars123',
  'master12345',
  'summer2024!',
  'summer2025!',
  'summer2026!',
  'winter2024!',
  'winter2025!',
  'winter2026!',
  'spring2025!',
  'autumn2025!',
  'correcthorsebatterystaple',
]);

const CONTROL = /\p{Cc}/u;
const LOWER = /\p{Ll}/u;
const UPPER = /\p{Lu}|\p{Lt}/u;
const DIGIT = /\p{N}/u;
/** Anything that is not a cased letter or a digit: punctuation, symbols, spaces, uncased scripts. */
const OTHER = /[^\p{Ll}\p{Lu}\p{Lt}\p{N}]/u;

const CLASSES_MESSAGE =
  `password must mix at least 3 of: lower-case letters, upper-case letters, digits, symbols or spaces; ` +
  `or be a passphrase of at least ${PASSPHRASE_LENGTH} characters`;

/**
 * The one form a password is hashed and verified in: Unicode NFKC, as NIST SP 800-63B asks, so the same
 * password typed on another keyboard or OS (composed vs decomposed accents, full-width digits) still matches.
 */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

/**
 * Checks a new password against the policy (NIST SP 800-63B / OWASP ASVS: length first, a blocklist, no
 * parts of the account) and returns it normalized. Messages say what is allowed and never echo the password.
 *
 * Rules: 10..128 characters; no control characters; not only spaces; at least 5 different characters; not
 * containing the email's local part (when that is 3+ characters); not a common password; and at least 3 of
 * 4 character classes, or 16+ characters (a passphrase).
 */
export function checkPassword(input: string, email: string): string {
  const password = normalizePassword(input);
  const length = characterCount(password);
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new InvalidArgumentError(
      'password',
      `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`,
    );
  }
  if (CONTROL.test(password)) {
    throw new InvalidArgumentError('password', 'password must not contain control characters (line breaks, tabs, NUL)');
  }
  if (password.trim().length === 0) {
    throw new InvalidArgumentError('password', 'password must not be only spaces');
  }
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) {
    throw new InvalidArgumentError(
      'password',
      `password must contain at least ${MIN_DISTINCT_CHARACTERS} different characters`,
    );
  }
  const lowered = password.toLowerCase();
  const local = localPartOf(email);
  if (local.length >= LOCAL_PART_MIN_LENGTH_TO_CHECK && lowered.includes(local)) {
    throw new InvalidArgumentError('password', 'password must not contain the part of your email before the @');
  }
  if (COMMON_PASSWORDS.has(lowered)) {
    throw new InvalidArgumentError('password', 'password is one of the most commonly used passwords; choose another');
  }
  const classes = [LOWER, UPPER, DIGIT, OTHER].filter((pattern) => pattern.test(password)).length;
  if (classes < 3 && length < PASSPHRASE_LENGTH) {
    throw new InvalidArgumentError('password', CLASSES_MESSAGE);
  }
  return password;
}
