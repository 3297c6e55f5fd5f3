import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { serverCertificate, throwawayCa } from '../runtime/test-support/tls';
import {
  accountOfRoleArn,
  checkIamRoleArn,
  DEPLOYMENT,
  DeploymentError,
  defineDeployment,
  GITOPS_SYNC_RETRY,
  pipelineTarget,
  resourceName,
  retrySeconds,
  validateDeployment,
} from './deployment';
import { shop } from './index';

// A CA as the GCP stack's ResultsDatabaseServerCa gives one, and a server certificate, which is no CA.
const pki = mkdtempSync(path.join(tmpdir(), 'deployment-ca-'));
const SERVER_CA = throwawayCa(pki, 'results-db-ca');
const SERVER_CERT = serverCertificate(pki, SERVER_CA, 'analytics-db.test').pem;
rmSync(pki, { recursive: true, force: true });
const VPN = ['203.0.113.7', '203.0.113.8'] as const;

const PROD_OPERATOR = 'arn:aws:iam::123456789012:role/platform/shopfront-prod-operator';
const PROD_PIPELINE = 'arn:aws:iam::210987654321:role/shopfront-prod-pipeline';

describe('deployment settings', () => {
  it('are valid as the repository holds them', () => {
    expect(validateDeployment(DEPLOYMENT)).toEqual([]);
  });

  it("take the results database's address with its server CA (one, or two during Cloud SQL's CA rotation)", () => {
    for (const ca of [SERVER_CA.pem, `${SERVER_CA.pem}${SERVER_CA.pem}`]) {
      const dev = { gcpVpnAddresses: VPN, resultsDatabaseAddress: '10.111.0.3', resultsDatabaseServerCa: ca };
      expect(validateDeployment({ ...DEPLOYMENT, environments: { ...DEPLOYMENT.environments, dev } })).toEqual([]);
    }
  });

  it('name what an environment creates shopfront-<env>-<name>', () => {
    expect(resourceName(shop.environment('prod'), 'kafka')).toBe('shopfront-prod-kafka');
  });

  it.each([
    [
      'a repository URL of another scheme',
      { gitRepoUrl: 'ftp://example.com/x.git' },
      { field: 'gitRepoUrl', value: 'ftp://example.com/x.git', allowed: 'an https://, ssh:// or git@ repository URL' },
    ],
    [
      'a revision with a space',
      { gitRevision: 'my branch' },
      { field: 'gitRevision', value: 'my branch', allowed: 'a branch, tag or commit' },
    ],
    [
      'a short account',
      { environments: { ...DEPLOYMENT.environments, dev: { awsAccount: '12345' } } },
      { field: 'environments[dev].awsAccount', value: '12345', allowed: 'a 12-digit AWS account id' },
    ],
    [
      'a user instead of a role',
      { environments: { ...DEPLOYMENT.environments, dev: { operatorRoleArn: 'arn:aws:iam::123456789012:user/ada' } } },
      {
        field: 'environments[dev].operatorRoleArn',
        value: 'arn:aws:iam::123456789012:user/ada',
        allowed: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
      },
    ],
    [
      'a missing pipeline role in prod',
      { environments: { ...DEPLOYMENT.environments, prod: { operatorRoleArn: PROD_OPERATOR } } },
      {
        field: 'environments[prod].pipelineRoleArn',
        value: undefined,
        allowed: 'an IAM role ARN (required in staging and prod)',
      },
    ],
    [
      "a role of another account than the environment's",
      {
        environments: {
          ...DEPLOYMENT.environments,
          prod: { awsAccount: '210987654321', operatorRoleArn: PROD_OPERATOR, pipelineRoleArn: PROD_PIPELINE },
        },
      },
      {
        field: 'environments[prod].operatorRoleArn',
        value: PROD_OPERATOR,
        allowed: "an IAM role of the environment's account 210987654321",
      },
    ],
    [
      'the latest image tag',
      { imageTag: 'latest' },
      { field: 'imageTag', value: 'latest', allowed: "an immutable image tag (not 'latest')" },
    ],
    [
      "an environment's image tag with a space",
      { environments: { ...DEPLOYMENT.environments, dev: { imageTag: 'v 1' } } },
      { field: 'environments[dev].imageTag', value: 'v 1', allowed: "an immutable image tag (not 'latest')" },
    ],
    [
      'a host name with capitals',
      { environments: { ...DEPLOYMENT.environments, dev: { apiHostname: 'API.Shop.org', hostedZoneId: 'Z123ABC' } } },
      {
        field: 'environments[dev].apiHostname',
        value: 'API.Shop.org',
        allowed: 'a lower-case DNS host name such as api.shop.example.org',
      },
    ],
    [
      'a hosted zone id that is a domain',
      { environments: { ...DEPLOYMENT.environments, dev: { apiHostname: 'api.shop.org', hostedZoneId: 'shop.org' } } },
      {
        field: 'environments[dev].hostedZoneId',
        value: 'shop.org',
        allowed: 'a Route 53 hosted zone id (Z followed by capitals and digits)',
      },
    ],
    [
      'a host name without its hosted zone',
      { environments: { ...DEPLOYMENT.environments, dev: { apiHostname: 'api.shop.org' } } },
      {
        field: 'environments[dev].hostedZoneId',
        value: undefined,
        allowed: 'set together with the other of apiHostname and hostedZoneId',
      },
    ],
    [
      'one HA VPN address twice',
      {
        environments: { ...DEPLOYMENT.environments, dev: { gcpVpnAddresses: ['203.0.113.7', '203.0.113.7'] as const } },
      },
      {
        field: 'environments[dev].gcpVpnAddresses',
        value: ['203.0.113.7', '203.0.113.7'],
        allowed: "the two distinct IPv4 addresses of the GCP HA VPN gateway ('a,b')",
      },
    ],
    [
      'an HA VPN address that is not one',
      {
        environments: {
          ...DEPLOYMENT.environments,
          dev: { gcpVpnAddresses: ['203.0.113.7', '203.0.113.256'] as const },
        },
      },
      {
        field: 'environments[dev].gcpVpnAddresses',
        value: ['203.0.113.7', '203.0.113.256'],
        allowed: "the two distinct IPv4 addresses of the GCP HA VPN gateway ('a,b')",
      },
    ],
    [
      'a results database address that is not one',
      {
        environments: {
          ...DEPLOYMENT.environments,
          dev: { gcpVpnAddresses: VPN, resultsDatabaseAddress: '10.111.0', resultsDatabaseServerCa: SERVER_CA.pem },
        },
      },
      {
        field: 'environments[dev].resultsDatabaseAddress',
        value: '10.111.0',
        allowed: 'the IPv4 private address of the Cloud SQL results database',
      },
    ],
    [
      'a results database address without the VPN it is reached through',
      {
        environments: {
          ...DEPLOYMENT.environments,
          dev: { resultsDatabaseAddress: '10.111.0.3', resultsDatabaseServerCa: SERVER_CA.pem },
        },
      },
      {
        field: 'environments[dev].gcpVpnAddresses',
        value: undefined,
        allowed: 'set with resultsDatabaseAddress: the results database is reached through the VPN',
      },
    ],
    [
      'a results database address without its server CA',
      {
        environments: {
          ...DEPLOYMENT.environments,
          dev: { gcpVpnAddresses: VPN, resultsDatabaseAddress: '10.111.0.3' },
        },
      },
      {
        field: 'environments[dev].resultsDatabaseServerCa',
        value: undefined,
        allowed:
          'set together with the other of resultsDatabaseAddress and resultsDatabaseServerCa (GCP stack outputs)',
      },
    ],
    [
      'a server CA without the address',
      {
        environments: {
          ...DEPLOYMENT.environments,
          dev: { gcpVpnAddresses: VPN, resultsDatabaseServerCa: SERVER_CA.pem },
        },
      },
      {
        field: 'environments[dev].resultsDatabaseAddress',
        value: undefined,
        allowed:
          'set together with the other of resultsDatabaseAddress and resultsDatabaseServerCa (GCP stack outputs)',
      },
    ],
  ])('rejects %s naming the field, the value and what is allowed', (_label, change, issue) => {
    expect(validateDeployment({ ...DEPLOYMENT, ...change })).toEqual([issue]);
  });

  it.each([
    ['no PEM certificate', 'MIIBkTCB+wIJAL', /^PEM X\.509 CA certificates/],
    [
      'text around the certificate',
      `subject=CN = results-db-ca\n${SERVER_CA.pem}`,
      /^PEM X\.509 CA certificates \(-----BEGIN CERTIFICATE-----\), the GCP stack output ResultsDatabaseServerCa$/,
    ],
    [
      'a body that does not parse',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      /certificate 1 does not parse/,
    ],
    ['the server certificate instead of its CA', SERVER_CERT, /certificate 1 \(CN=analytics-db\.test\) is not a CA$/],
  ])('rejects a results database server CA that is %s, naming the setting', (_label, pem, allowed) => {
    const dev = { gcpVpnAddresses: VPN, resultsDatabaseAddress: '10.111.0.3', resultsDatabaseServerCa: pem };
    expect(validateDeployment({ ...DEPLOYMENT, environments: { ...DEPLOYMENT.environments, dev } })).toEqual([
      {
        field: 'environments[dev].resultsDatabaseServerCa',
        value: pem.length > 60 ? `${pem.slice(0, 60)}…` : pem,
        allowed: expect.stringMatching(allowed),
      },
    ]);
  });

  it('refuses to define settings with every broken rule listed', () => {
    const define = () =>
      defineDeployment({
        ...DEPLOYMENT,
        gitRepoUrl: '',
        environments: { ...DEPLOYMENT.environments, dev: { awsAccount: 'x' } },
      });
    expect(define).toThrow(DeploymentError);
    expect(define).toThrow(
      `invalid deployment settings:\n  - 'gitRepoUrl' must be an https://, ssh:// or git@ repository URL, got ""\n` +
        `  - 'environments[dev].awsAccount' must be a 12-digit AWS account id, got "x"`,
    );
  });

  it('lets dev leave its cluster roles unset and requires them in staging and prod', () => {
    const issues = validateDeployment({ ...DEPLOYMENT, environments: { dev: {}, staging: {}, prod: {} } });
    expect(issues.map((i) => i.field)).toEqual([
      'environments[staging].operatorRoleArn',
      'environments[staging].pipelineRoleArn',
      'environments[prod].operatorRoleArn',
      'environments[prod].pipelineRoleArn',
    ]);
  });

  it.each([
    ['arn:aws:iam::123456789012:role/ops', '123456789012'],
    ['arn:aws:iam::123456789012:role/teams/platform/ops', '123456789012'],
    ['arn:aws-us-gov:iam::123456789012:role/ops', '123456789012'],
    ['arn:aws:iam::123456789012:role/', undefined],
    ['arn:aws:iam::1234:role/ops', undefined],
    ['arn:aws:sts::123456789012:assumed-role/ops/session', undefined],
    ['ops', undefined],
  ])('reads the account of role ARN %s as %s', (arn, account) => {
    expect(accountOfRoleArn(arn)).toBe(account);
    expect(checkIamRoleArn('r', arn) === undefined).toBe(account !== undefined);
  });
});

describe('retrySeconds', () => {
  test('sums the capped, doubling waits', () => {
    expect(retrySeconds({ limit: 3, backoff: { duration: '10s', factor: 2, maxDuration: '15s' } })).toBe(10 + 15 + 15);
    expect(retrySeconds(GITOPS_SYNC_RETRY)).toBe(30 + 60 + 120 + 240 + 480 + 5 * 600);
  });

  test('refuses a duration it cannot read, naming it', () => {
    expect(() => retrySeconds({ limit: 1, backoff: { duration: '5 minutes', factor: 2, maxDuration: '1m' } })).toThrow(
      `'backoff' durations must be like 30s, 10m or 1h, got "5 minutes"`,
    );
  });
});

describe('pipelineTarget', () => {
  const prod = shop.environment('prod');

  test('is the environment pipeline role and the catalog region', () => {
    const settings = defineDeployment({
      ...DEPLOYMENT,
      environments: {
        ...DEPLOYMENT.environments,
        prod: { awsAccount: '210987654321', operatorRoleArn: PROD_PIPELINE, pipelineRoleArn: PROD_PIPELINE },
      },
    });
    expect(pipelineTarget(prod, settings)).toEqual({ role: PROD_PIPELINE, region: 'eu-west-1' });
  });

  test('refuses the placeholder role, and no role, naming the setting', () => {
    expect(() => pipelineTarget(prod)).toThrow(
      `'environments[prod].pipelineRoleArn' must be the IAM role the pipeline assumes in the environment account (not a placeholder), got "arn:aws:iam::000000000000:role/shopfront-prod-pipeline"`,
    );
    expect(() => pipelineTarget(shop.environment('dev'))).toThrow(`'environments[dev].pipelineRoleArn' must be`);
  });
});
