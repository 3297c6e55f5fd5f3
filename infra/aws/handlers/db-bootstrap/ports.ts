/** Ports the bootstrap logic depends on; `clients.ts` has the real adapters, tests pass fakes. */

/** Reads the `SecretString` (AWSCURRENT) of a Secrets Manager secret. */
export interface SecretReader {
  getSecretString(secretArn: string): Promise<string>;
}

export type Row = Record<string, unknown>;

/** One open database session. Each `query` call is sent on its own, outside any explicit transaction. */
export interface SqlSession {
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export type Connector = (target: ConnectionTarget) => Promise<SqlSession>;

/** Only names, kinds and counts go into fields; never passwords, verifiers or secret payloads. */
export type LogFields = Record<string, string | number | boolean | readonly string[]>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
}

export const consoleJsonLogger: Logger = {
  info: (message, fields) => console.log(JSON.stringify({ level: 'INFO', message, ...fields })),
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'WARN', message, ...fields })),
};
