import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerReader, rdsTlsFromEnvironment } from './clients';

describe('rdsTlsFromEnvironment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-bootstrap-'));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('requires a CA source and explains why there is no fallback to the bare default store', () => {
    expect(() => rdsTlsFromEnvironment({})).toThrow(
      /neither RDS_CA_BUNDLE_PATH nor NODE_EXTRA_CA_CERTS is set: Node's default trust store does not contain the RDS certificate authorities/,
    );
  });

  it('with NODE_EXTRA_CA_CERTS (Lambda /var/runtime/ca-cert.pem), uses the extended default store', () => {
    const file = join(dir, 'ca-cert.pem');
    writeFileSync(file, pem);
    expect(rdsTlsFromEnvironment({ NODE_EXTRA_CA_CERTS: file })).toEqual({ rejectUnauthorized: true });
    expect(() => rdsTlsFromEnvironment({ NODE_EXTRA_CA_CERTS: join(dir, 'absent.pem') })).toThrow(
      /NODE_EXTRA_CA_CERTS=.*absent\.pem: cannot read the CA bundle/,
    );
  });

  it('RDS_CA_BUNDLE_PATH wins over NODE_EXTRA_CA_CERTS', () => {
    const file = join(dir, 'bundle.pem');
    writeFileSync(file, pem);
    expect(rdsTlsFromEnvironment({ RDS_CA_BUNDLE_PATH: file, NODE_EXTRA_CA_CERTS: '/nope' })).toEqual({
      rejectUnauthorized: true,
      ca: pem,
    });
  });

  it('fails on an unreadable or non-PEM file', () => {
    expect(() => rdsTlsFromEnvironment({ RDS_CA_BUNDLE_PATH: join(dir, 'missing.pem') })).toThrow(
      /cannot read the CA bundle/,
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => rdsTlsFromEnvironment({ RDS_CA_BUNDLE_PATH: junk })).toThrow(/contains no PEM certificate/);
  });

  it('verifies the server against the bundle only', () => {
    const file = join(dir, 'global-bundle.pem');
    writeFileSync(file, pem);
    expect(rdsTlsFromEnvironment({ RDS_CA_BUNDLE_PATH: file })).toEqual({ rejectUnauthorized: true, ca: pem });
  });
});

describe('createSecretsManagerReader', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf';

  it('calls GetSecretValue with the ARN and returns SecretString', async () => {
    const send = jest.fn().mockResolvedValue({ SecretString: '{"username":"u","password":"p"}' });
    const reader = createSecretsManagerReader({ send } as unknown as SecretsManagerClient);
    await expect(reader.getSecretString(arn)).resolves.toBe('{"username":"u","password":"p"}');
    const command = send.mock.calls[0]?.[0];
    expect(command).toBeInstanceOf(GetSecretValueCommand);
    expect(command.input).toEqual({ SecretId: arn });
  });

  it('refuses binary secrets', async () => {
    const send = jest.fn().mockResolvedValue({ SecretBinary: new Uint8Array([1]) });
    const reader = createSecretsManagerReader({ send } as unknown as SecretsManagerClient);
    await expect(reader.getSecretString(arn)).rejects.toThrow(/has no SecretString/);
  });
});
