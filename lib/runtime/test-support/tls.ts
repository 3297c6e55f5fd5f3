import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** A certificate and its key as files, and the certificate's PEM. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pem: string;
}

const openssl = (args: readonly string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

/** openssl req arguments for a new, unencrypted P-256 key. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * A throwaway certificate authority for a test, made by the openssl command line in `dir`: a self-signed P-256 CA
 * (basicConstraints CA:TRUE) named `name`, valid two days.
 */
export function throwawayCa(dir: string, name: string): CertificateFiles {
  mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  openssl([
    'req',
    '-x509',
    ...NEW_P256_KEY,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A server certificate for `commonName` (also its only DNS name), signed by `ca`, in `dir`. */
export function serverCertificate(dir: string, ca: CertificateFiles, commonName: string): CertificateFiles {
  const certFile = path.join(dir, `${commonName}.pem`);
  const keyFile = path.join(dir, `${commonName}.key`);
  const csr = path.join(dir, `${commonName}.csr`);
  const extensions = path.join(dir, `${commonName}.ext`);
  writeFileSync(
    extensions,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${commonName}\n`,
  );
  openssl(['req', ...NEW_P256_KEY, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${commonName}`]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    extensions,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}
