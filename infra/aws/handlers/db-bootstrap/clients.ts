/**
 * Real adapters for the ports in `ports.ts`: Secrets Manager (AWS SDK v3) and PostgreSQL (`pg`).
 *
 * TLS to RDS — where the CA comes from:
 * RDS instance certificates are issued by Amazon RDS's own certificate authorities (rds-ca-rsa2048-g1,
 * rds-ca-rsa4096-g1, rds-ca-ecc384-g1, ...). Those CAs are NOT in Node's built-in (Mozilla) trust store, so
 * `rejectUnauthorized: true` against the bare default store fails ("self-signed certificate in certificate
 * chain"). Verification is never turned off; instead the handler needs one of, in this order:
 *
 * 1. `RDS_CA_BUNDLE_PATH`: path of a PEM bundle shipped inside the function's asset, typically AWS's global
 *    bundle https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem fetched at build time and copied
 *    next to the handler (NodejsFunction `bundling.commandHooks.afterBundling`), e.g.
 *    `/var/task/global-bundle.pem`. It is passed as `ca`, which REPLACES Node's store: right for the instance
 *    endpoint, wrong for an RDS Proxy endpoint (ACM certificate under Amazon's public roots).
 * 2. `NODE_EXTRA_CA_CERTS`: the Lambda Node.js 20+ runtimes ship all Amazon CA certificates (RDS included) in
 *    `/var/runtime/ca-cert.pem` but, unlike Node.js 18 and earlier, no longer load them by default; setting
 *    `NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem` makes Node ADD them to its store at process start (AWS Lambda
 *    developer guide, "Building Lambda functions with Node.js"). The handler then uses Node's (extended) store.
 *    Node only warns when that file is missing, so the handler checks it is there and holds certificates.
 * 3. Neither: fail with a configuration error rather than fall back to a store that cannot verify RDS.
 *
 * The certificate's host name is always checked against the secret's `host`.
 * Tests may build a connector with `ssl: false` (a local cluster without TLS); production code never does.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import type { Connector, Logger, SecretReader, SqlSession } from './ports';

export const RDS_CA_BUNDLE_PATH_ENV = 'RDS_CA_BUNDLE_PATH';
export const NODE_EXTRA_CA_CERTS_ENV = 'NODE_EXTRA_CA_CERTS';

function readPem(variable: string, path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${variable}=${path}: cannot read the CA bundle (${(error as Error).message})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`${variable}=${path}: file contains no PEM certificate`);
  }
  return pem;
}

/** TLS options for RDS (see the header comment); throws a configuration error when neither source is usable. */
export function rdsTlsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const bundlePath = env[RDS_CA_BUNDLE_PATH_ENV];
  if (bundlePath) {
    return { rejectUnauthorized: true, ca: readPem(RDS_CA_BUNDLE_PATH_ENV, bundlePath) };
  }
  const extraPath = env[NODE_EXTRA_CA_CERTS_ENV];
  if (extraPath) {
    readPem(NODE_EXTRA_CA_CERTS_ENV, extraPath);
    // Node loaded the file into its default store at start-up; no `ca`, so that extended store applies.
    return { rejectUnauthorized: true };
  }
  throw new Error(
    `neither ${RDS_CA_BUNDLE_PATH_ENV} nor ${NODE_EXTRA_CA_CERTS_ENV} is set: Node's default trust store does not ` +
      `contain the RDS certificate authorities. Set ${NODE_EXTRA_CA_CERTS_ENV}=/var/runtime/ca-cert.pem (Lambda ` +
      `Node.js 20+ runtimes) or ship global-bundle.pem and point ${RDS_CA_BUNDLE_PATH_ENV} at it`,
  );
}

export function createSecretsManagerReader(client: SecretsManagerClient = new SecretsManagerClient({})): SecretReader {
  return {
    async getSecretString(secretArn) {
      const response = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (typeof response.SecretString !== 'string') {
        throw new Error(`secret ${secretArn}: has no SecretString (binary secrets are not supported)`);
      }
      return response.SecretString;
    },
  };
}

export interface PgConnectorOptions {
  /** TLS options; `false` only in tests against a local cluster without TLS. */
  readonly ssl: false | ConnectionOptions;
  readonly connectionTimeoutMillis?: number;
  readonly logger?: Logger;
}

export function createPgConnector(options: PgConnectorOptions): Connector {
  return async (target) => {
    const client = new Client({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      ssl: options.ssl,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 15_000,
      application_name: 'db-bootstrap',
    });
    // Notices (e.g. "no privileges could be revoked") carry names only; surface them, they explain no-ops.
    client.on('notice', (notice) => {
      options.logger?.warn('postgres notice', { database: target.database, notice: notice.message ?? '' });
    });
    // An idle client that loses its socket emits 'error'; without a listener that would crash the process.
    client.on('error', (error) => {
      options.logger?.warn('postgres connection error', { database: target.database, error: error.message });
    });
    await client.connect();
    const session: SqlSession = {
      async query(sql, params) {
        const result = await client.query(sql, params ? [...params] : undefined);
        return result.rows;
      },
      async close() {
        await client.end();
      },
    };
    return session;
  };
}
