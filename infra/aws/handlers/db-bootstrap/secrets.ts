/**
 * Parsing of the Secrets Manager payloads the handler reads. Error messages name the secret ARN and the field,
 * and never include secret material: `JSON.parse` errors are replaced because recent V8 versions quote the input
 * in their message, and the password is never echoed.
 */

export interface MasterCredentials {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Maintenance database to connect to; the secret's `dbname`, default `postgres`. */
  readonly database: string;
}

export interface ServiceCredentials {
  readonly username: string;
  readonly password: string;
}

export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

const POSTGRES_ENGINES = new Set(['postgres', 'aurora-postgresql']);

function parseJsonObject(secretArn: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Deliberately not chaining the SyntaxError: its message may quote the secret text.
    throw new SecretFormatError(`secret ${secretArn}: SecretString is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretFormatError(`secret ${secretArn}: SecretString must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function requiredString(secretArn: string, secret: Record<string, unknown>, field: string, echo: boolean): string {
  const value = secret[field];
  if (typeof value !== 'string' || value.length === 0) {
    const shown = echo && value !== undefined ? ` (got ${JSON.stringify(value)})` : '';
    throw new SecretFormatError(`secret ${secretArn}: field "${field}" must be a non-empty string${shown}`);
  }
  return value;
}

export function parseMasterSecret(secretArn: string, text: string): MasterCredentials {
  const secret = parseJsonObject(secretArn, text);
  const engine = secret.engine;
  if (engine !== undefined && (typeof engine !== 'string' || !POSTGRES_ENGINES.has(engine))) {
    throw new SecretFormatError(
      `secret ${secretArn}: field "engine" must be one of ${[...POSTGRES_ENGINES].join(', ')} (got ${JSON.stringify(engine)})`,
    );
  }
  if (secret.host === undefined) {
    throw new SecretFormatError(
      `secret ${secretArn}: field "host" is missing; use a secret attached to the DB instance ` +
        '(CDK rds.Credentials.fromGeneratedSecret / DatabaseSecret.attach) so it carries host and port',
    );
  }
  const host = requiredString(secretArn, secret, 'host', true);
  const username = requiredString(secretArn, secret, 'username', true);
  const password = requiredString(secretArn, secret, 'password', false);

  let port = 5432;
  const rawPort = secret.port;
  if (rawPort !== undefined) {
    const candidate =
      typeof rawPort === 'number' ? rawPort : typeof rawPort === 'string' ? Number(rawPort) : Number.NaN;
    if (!Number.isInteger(candidate) || candidate < 1 || candidate > 65535) {
      throw new SecretFormatError(
        `secret ${secretArn}: field "port" must be a TCP port number (got ${JSON.stringify(rawPort)})`,
      );
    }
    port = candidate;
  }

  let database = 'postgres';
  if (secret.dbname !== undefined && secret.dbname !== null) {
    database = requiredString(secretArn, secret, 'dbname', true);
  }
  return { host, port, username, password, database };
}

export function parseServiceSecret(secretArn: string, text: string): ServiceCredentials {
  const secret = parseJsonObject(secretArn, text);
  return {
    username: requiredString(secretArn, secret, 'username', true),
    password: requiredString(secretArn, secret, 'password', false),
  };
}
