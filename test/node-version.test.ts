import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// .nvmrc is the one statement of the Node.js major version; the files that cannot import it must agree with it.
const ROOT = path.join(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const major = read('.nvmrc').trim().replace(/^v/, '');

const matchOf = (file: string, pattern: RegExp): string => {
  const found = read(file).match(pattern);
  if (!found?.[1]) throw new Error(`${file} has no match for ${pattern}`);
  return found[1];
};

describe('the Node.js version', () => {
  it('.nvmrc names a major version only', () => {
    expect(major).toMatch(/^\d+$/);
  });

  it('package.json and its lock file require that major version or later', () => {
    const expected = `>=${major}`;
    expect((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node).toBe(expected);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node: string } }> };
    expect(lock.packages['']?.engines?.node).toBe(expected);
  });

  it('the container images build and run on it', () => {
    expect(matchOf('deploy/docker/Dockerfile', /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m)).toBe(major);
    expect(matchOf('deploy/docker/Dockerfile', /--target=node(\d+)/)).toBe(major);
    expect(matchOf('scripts/build-images.sh', /^BASE_IMAGE=node:(\d+)-bookworm-slim$/m)).toBe(major);
  });

  it('CI installs a release of it', () => {
    expect(matchOf('.ci/run', /^NODE_VERSION=(\d+)\.\d+\.\d+$/m)).toBe(major);
  });
});
