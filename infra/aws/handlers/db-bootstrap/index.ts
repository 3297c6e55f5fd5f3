/**
 * `onEvent` handler of the db-bootstrap custom resource (aws-cdk-lib `custom-resources` Provider framework):
 * gives each owning service its own PostgreSQL database and login role on an RDS PostgreSQL instance.
 *
 * ResourceProperties: see `properties.ts`. Summary:
 *   { MasterSecretArn: string, Databases: [{ name: string, owner: string, secretArn: string }] }
 *
 * Create / Update (idempotent; a second run changes nothing except re-setting the same passwords):
 *   for each entry, on the master secret's maintenance database (one statement per query, no transaction):
 *     CREATE ROLE owner LOGIN PASSWORD <scram verifier>      if missing (else ALTER ROLE ... LOGIN if NOLOGIN)
 *     ALTER ROLE owner PASSWORD <scram verifier>             if the role exists (passwords cannot be compared)
 *     GRANT owner TO CURRENT_USER                            if the master user is not a superuser and cannot
 *                                                            already use the role (RDS: required for OWNER)
 *     CREATE DATABASE name OWNER owner                       if missing (else ALTER DATABASE ... OWNER TO if the
 *                                                            owner differs)
 *     REVOKE ALL ON DATABASE name FROM PUBLIC                if PUBLIC holds anything on it
 *     GRANT CONNECT ON DATABASE name TO owner                if the owner lacks CONNECT (or was just set)
 *   then, connected to each database:
 *     REVOKE CREATE ON SCHEMA public FROM PUBLIC             if PUBLIC can create there (PostgreSQL < 15)
 *   and verifies the result by inspecting again.
 *
 * Passwords: the service secret's `username` must be `owner` (password is set from the secret) or
 * `owner_clone` (multi-user rotation: the secret currently holds the clone the rotation function created and
 * manages; `owner`'s own password then belongs to rotation and is left alone). Passwords are sent as SCRAM
 * verifiers computed here, never as cleartext SQL (see `sql.ts`).
 *
 * Delete: nothing is dropped (databases hold data and are retained); returns the same PhysicalResourceId.
 *
 * Logging: database and role names, step summaries and counts only; never passwords, verifiers or secrets.
 *
 * Environment (Create/Update only; see `clients.ts`): `RDS_CA_BUNDLE_PATH` (a shipped RDS CA bundle) or else
 * `NODE_EXTRA_CA_CERTS` (e.g. the Lambda runtime's `/var/runtime/ca-cert.pem`); one of them is required. Plus
 * `AWS_REGION`, which Lambda sets and the AWS SDK reads.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createPgConnector, createSecretsManagerReader, rdsTlsFromEnvironment } from './clients';
import { inspectCluster, inspectDatabase } from './inspect';
import { type DesiredDatabase, planCluster, planInDatabase, type Step } from './plan';
import { type Connector, consoleJsonLogger, type Logger, type SecretReader, type SqlSession } from './ports';
import { type BootstrapProperties, parseProperties } from './properties';
import { type MasterCredentials, parseMasterSecret, parseServiceSecret } from './secrets';
import { scramSha256Verifier } from './sql';

export interface OnEventResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

export interface BootstrapDeps {
  readonly secrets: SecretReader;
  readonly connect: Connector;
  readonly logger: Logger;
  /** Defaults to SCRAM-SHA-256 with a random salt; tests inject a deterministic one. */
  readonly passwordVerifier?: (password: string) => string;
}

/** Session-level advisory lock serialising concurrent bootstraps against one instance (arbitrary constant). */
export const ADVISORY_LOCK_KEY = 7_236_051_117;

export function physicalResourceId(masterSecretArn: string): string {
  return `db-bootstrap:${masterSecretArn}`;
}

/** Builds the handler around injected ports. */
export function createOnEvent(
  deps: BootstrapDeps,
): (event: CloudFormationCustomResourceEvent) => Promise<OnEventResponse> {
  return async (event) => {
    const { logger } = deps;
    if (event.RequestType === 'Delete') {
      logger.info('Delete: nothing dropped; databases and roles are retained', {
        physicalResourceId: event.PhysicalResourceId,
      });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }

    const props = parseProperties(event.ResourceProperties);
    logger.info(`${event.RequestType}: bootstrapping databases`, {
      databases: props.databases.map((d) => d.name),
      owners: props.databases.map((d) => d.owner),
    });
    if (event.RequestType === 'Update') {
      logRetained(event.OldResourceProperties, props, logger);
    }

    await converge(props, deps);

    logger.info(`${event.RequestType}: done`, { databases: props.databases.map((d) => d.name) });
    return {
      PhysicalResourceId: physicalResourceId(props.masterSecretArn),
      Data: {
        Databases: props.databases.map((d) => d.name).join(','),
        Owners: props.databases.map((d) => d.owner).join(','),
      },
    };
  };
}

function logRetained(oldRaw: unknown, props: BootstrapProperties, logger: Logger): void {
  let old: BootstrapProperties;
  try {
    old = parseProperties(oldRaw);
  } catch {
    return;
  }
  const kept = new Set(props.databases.map((d) => d.name));
  const dropped = old.databases.filter((d) => !kept.has(d.name));
  if (dropped.length > 0) {
    logger.warn('no longer listed; database and role are retained, not dropped', {
      databases: dropped.map((d) => d.name),
      owners: dropped.map((d) => d.owner),
    });
  }
}

async function readDesired(props: BootstrapProperties, deps: BootstrapDeps): Promise<DesiredDatabase[]> {
  const toVerifier = deps.passwordVerifier ?? ((password: string) => scramSha256Verifier(password));
  return Promise.all(
    props.databases.map(async (spec, index): Promise<DesiredDatabase> => {
      const creds = parseServiceSecret(spec.secretArn, await deps.secrets.getSecretString(spec.secretArn));
      const at = `Databases[${index}].secretArn`;
      if (creds.username === spec.owner) {
        let verifier: string;
        try {
          verifier = toVerifier(creds.password);
        } catch (error) {
          throw new Error(`${at}: secret ${spec.secretArn} field "password": ${(error as Error).message}`);
        }
        return { name: spec.name, owner: spec.owner, ownerPasswordVerifier: verifier };
      }
      if (creds.username === `${spec.owner}_clone`) {
        deps.logger.info('secret holds the multi-user rotation clone; owner password left to rotation', {
          database: spec.name,
          owner: spec.owner,
        });
        return { name: spec.name, owner: spec.owner, ownerPasswordVerifier: null };
      }
      throw new Error(
        `${at}: secret ${spec.secretArn} has username ${JSON.stringify(creds.username)}, expected the owner ` +
          `${JSON.stringify(spec.owner)} (or its rotation clone ${JSON.stringify(`${spec.owner}_clone`)})`,
      );
    }),
  );
}

async function converge(props: BootstrapProperties, deps: BootstrapDeps): Promise<void> {
  const { logger } = deps;
  const master = parseMasterSecret(props.masterSecretArn, await deps.secrets.getSecretString(props.masterSecretArn));
  const desired = await readDesired(props, deps);
  const roleNames = desired.map((d) => d.owner);
  const databaseNames = desired.map((d) => d.name);

  const maintenance = await deps.connect(target(master, master.database));
  try {
    await maintenance.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);

    const before = await inspectCluster(maintenance, roleNames, databaseNames);
    const steps = planCluster(desired, before);
    logger.info('cluster plan', { database: master.database, steps: steps.map((s) => s.summary) });
    await execute(maintenance, steps, master.database, logger);

    const after = await inspectCluster(maintenance, roleNames, databaseNames);
    const missingRoles = roleNames.filter((role) => !after.roles[role]);
    const leftovers = missingRoles.length
      ? missingRoles.map((role) => `role ${role} does not exist`)
      : planCluster(
          desired.map((d) => ({ ...d, ownerPasswordVerifier: null })),
          after,
        ).map((s) => s.summary);
    if (leftovers.length > 0) {
      throw new Error(
        `applied the plan but the cluster did not converge (master user lacks privileges?): ${leftovers.join('; ')}`,
      );
    }

    for (const { name } of desired) {
      const session = await deps.connect(target(master, name));
      try {
        const inDbSteps = planInDatabase(name, await inspectDatabase(session));
        await execute(session, inDbSteps, name, logger);
        if (inDbSteps.length > 0 && (await inspectDatabase(session)).publicCanCreateInPublicSchema) {
          // Before PostgreSQL 15 schema `public` belongs to the bootstrap superuser; a non-superuser master may
          // not be able to change it. Not fatal: the database itself is already closed to PUBLIC.
          logger.warn('PUBLIC can still create in schema public (master user cannot revoke it)', { database: name });
        }
      } finally {
        await closeQuietly(session, name, logger);
      }
    }

    await maintenance.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
  } finally {
    await closeQuietly(maintenance, master.database, logger);
  }
}

function target(master: MasterCredentials, database: string) {
  return { host: master.host, port: master.port, user: master.username, password: master.password, database };
}

async function execute(session: SqlSession, steps: readonly Step[], database: string, logger: Logger): Promise<void> {
  for (const step of steps) {
    logger.info('apply', { database, step: step.kind, summary: step.summary });
    try {
      await session.query(step.sql);
    } catch (error) {
      // pg errors carry the server's message and SQLSTATE, not the statement text.
      const { message, code } = error as { message?: string; code?: string };
      throw new Error(`${step.summary}: failed${code ? ` [${code}]` : ''}: ${message ?? String(error)}`);
    }
  }
}

async function closeQuietly(session: SqlSession, database: string, logger: Logger): Promise<void> {
  try {
    await session.close();
  } catch (error) {
    logger.warn('closing connection failed', { database, error: (error as Error).message });
  }
}

function defaultDeps(): BootstrapDeps {
  const logger = consoleJsonLogger;
  let connector: Connector | undefined;
  return {
    logger,
    secrets: createSecretsManagerReader(),
    // Built on first use so Delete never needs the CA configuration, and a bad one fails the request visibly.
    connect: (to) => {
      connector ??= createPgConnector({ ssl: rdsTlsFromEnvironment(), logger });
      return connector(to);
    },
  };
}

let lambdaHandler: ((event: CloudFormationCustomResourceEvent) => Promise<OnEventResponse>) | undefined;

/** Lambda entry point (`index.onEvent`). */
export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  lambdaHandler ??= createOnEvent(defaultDeps());
  return lambdaHandler(event);
}
