import { InvalidArgumentError } from '../../../lib/runtime/errors';

export const EMAIL_MAX_LENGTH = 254;
const LOCAL_PART_MAX_LENGTH = 64;
export const NAME_MAX_LENGTH = 100;

/*
 * Pragmatic, not RFC 5322: a dot-atom local part (no quoted strings, no comments) and a DNS host name with at
 * least one dot (no IP literals). Internationalized domains are accepted in their ASCII (punycode) form only,
 * because a mail system that cannot route SMTPUTF8 would otherwise accept an address it cannot deliver to.
 */
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONTROL = /\p{Cc}/u;

/** Code points, not UTF-16 units: an emoji is one character to the person typing it. */
export const characterCount = (text: string): number => [...text].length;

/** The one spelling of an email the service stores and looks up. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** Normalizes and checks an email; returns the normalized form. */
export function parseEmail(input: string): string {
  const email = normalizeEmail(input);
  if (email.length === 0) throw new InvalidArgumentError('email', 'email is required');
  if (email.length > EMAIL_MAX_LENGTH) {
    throw new InvalidArgumentError('email', `email must be at most ${EMAIL_MAX_LENGTH} characters`);
  }
  const at = email.lastIndexOf('@');
  const local = email.slice(0, Math.max(at, 0));
  const domain = email.slice(at + 1);
  if (at < 1 || !LOCAL_PART.test(local) || local.length > LOCAL_PART_MAX_LENGTH || !DOMAIN.test(domain)) {
    throw new InvalidArgumentError(
      'email',
      "email must be an address like name@example.com: ASCII letters, digits and .!#$%&'*+/=?^_`{|}~- before the @ " +
        `(at most ${LOCAL_PART_MAX_LENGTH}, no leading, trailing or double dots), and a domain name with a dot after it`,
    );
  }
  return email;
}

/** The part of a normalized email before the @. */
export const localPartOf = (email: string): string => email.slice(0, Math.max(email.lastIndexOf('@'), 0));

/** Trims and checks a display name; returns it in Unicode NFC so equal-looking names are stored alike. */
export function parseName(input: string): string {
  const name = input.normalize('NFC').trim();
  if (name.length === 0) {
    throw new InvalidArgumentError('name', `name is required: 1 to ${NAME_MAX_LENGTH} characters, not only spaces`);
  }
  if (characterCount(name) > NAME_MAX_LENGTH) {
    throw new InvalidArgumentError('name', `name must be at most ${NAME_MAX_LENGTH} characters`);
  }
  if (CONTROL.test(name)) {
    throw new InvalidArgumentError('name', 'name must not contain control characters (line breaks, tabs, NUL)');
  }
  return name;
}

/** A user id is a UUID; anything else is a malformed request, not an unknown user. */
export function parseUserId(input: string): string {
  const id = input.trim().toLowerCase();
  if (!UUID.test(id)) {
    throw new InvalidArgumentError('id', 'id must be a UUID like 123e4567-e89b-42d3-a456-426614174000');
  }
  return id;
}
