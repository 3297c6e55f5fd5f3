/**
 * The services as plain JavaScript for the local platform's workers: every TypeScript file under `lib/` and
 * `services/` (tests and test support left out) transpiled by esbuild, file for file, into a mirror of the
 * repository's folders, and every other file there (migrations, .proto files, the storefront's prebuilt site, JSON)
 * linked into the mirror at its place, so a module's `__dirname` finds what sits beside its source. A worker then
 * runs JavaScript without a TypeScript loader of its own: no transform at start, and no loader, transform cache
 * or source maps in each isolate's heap.
 *
 * The mirror is made afresh at each start in the system's temporary folder, one per supervisor process
 * (`shopfront-services-<pid>-<n>`), and removed when the platform stops; one a killed supervisor left behind is removed
 * by the next start. esbuild transpiles the few hundred files in well under a second; type errors are
 * `npm run typecheck`'s business, as with tsx.
 *
 * `bin/start.sh` makes the mirror before the platform's process starts (`node --import tsx services/compile.ts <pid>`,
 * with the pid the platform will have) and runs the mirror's `bin/local.js`, so the supervisor's thread runs without
 * a TypeScript loader as well (~17 MiB of PSS for tsx and its transform cache); that supervisor finds itself in the
 * mirror and does not make another.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const PREFIX = 'shopfront-services-';
const ROOT = path.join(__dirname, '..');
const SOURCES = ['lib', 'services', 'bin'];
/** Not needed to run a service: tests, their support and the storefront's web sources (built to `public/`). */
const LEFT_OUT = /(\.test\.ts|\.contract\.ts|\.integration\.test\.ts)$|\/test-support\/|\/__snapshots__\//;

function walk(dir: string, found: { ts: string[]; other: string[] }): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.name === 'node_modules') continue;
    if (entry.isDirectory()) walk(full, found);
    else if (LEFT_OUT.test(full)) continue;
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.ts.push(full);
    else found.other.push(full);
  }
}

/** Transpiles into `<outRoot>` (emptied first); resolves with the mirror's root. */
export async function compileServices(outRoot: string): Promise<string> {
  const { build, stop } = await import('esbuild');
  const found = { ts: [] as string[], other: [] as string[] };
  for (const source of SOURCES) walk(path.join(ROOT, source), found);
  rmSync(outRoot, { recursive: true, force: true });
  await build({
    entryPoints: found.ts,
    outdir: outRoot,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    sourcemap: 'linked',
    logLevel: 'silent',
  });
  // esbuild builds in a child process it keeps for the next call; after a build of every file it holds ~55 MiB
  // (PSS) for the platform's whole life. There is no next call: it is stopped (a later call starts another).
  await stop();
  for (const file of found.other) {
    const target = path.join(outRoot, path.relative(ROOT, file));
    mkdirSync(path.dirname(target), { recursive: true });
    if (!existsSync(target)) symlinkSync(file, target);
  }
  // Everything else at the top (node_modules, package.json, the catalog's files) is the repository's own, so
  // packages and files outside lib/ and services/ resolve as they do from the sources.
  for (const entry of readdirSync(ROOT)) {
    if (SOURCES.includes(entry) || entry === '.git' || entry === '.data') continue;
    symlinkSync(path.join(ROOT, entry), path.join(outRoot, entry));
  }
  return outRoot;
}

/** Mirrors made by this process: two platforms in one process (tests) get one each. */
let mirrors = 0;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The mirror of process `pid` (see above), made afresh; mirrors of supervisors that are gone are removed first. */
async function compileFor(pid: number): Promise<string> {
  for (const entry of readdirSync(tmpdir())) {
    const owner = Number(entry.slice(PREFIX.length).split('-')[0]);
    if (entry.startsWith(PREFIX) && Number.isInteger(owner) && owner !== pid && !alive(owner)) {
      rmSync(path.join(tmpdir(), entry), { recursive: true, force: true });
    }
  }
  mirrors += 1;
  return compileServices(path.join(tmpdir(), `${PREFIX}${pid}-${mirrors}`));
}

/** The mirror this code runs from, when it is one (its files are JavaScript). */
const RUNNING_MIRROR = __filename.endsWith('.js') && path.basename(ROOT).startsWith(PREFIX) ? ROOT : undefined;

/**
 * This process's mirror of the services (see above), with the function that removes it: the one it runs from, when
 * `bin/start.sh` made it, or a new one.
 */
export async function compileForThisProcess(): Promise<{ root: string; remove: () => void }> {
  const root = RUNNING_MIRROR ?? (await compileFor(process.pid));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Removes the mirror this process runs from, if it runs from one: for a start that ends before the supervisor owns it. */
export function removeRunningMirror(): void {
  if (RUNNING_MIRROR) rmSync(RUNNING_MIRROR, { recursive: true, force: true });
}

// `node --import tsx services/compile.ts <pid>`: makes the mirror for the process `pid` and prints its root.
if (require.main === module) {
  const pid = Number(process.argv[2]);
  if (!Number.isInteger(pid) || pid <= 0) {
    process.stderr.write(`usage: services/compile.ts <pid of the platform's process>, got ${process.argv[2]}\n`);
    process.exit(2);
  }
  compileFor(pid).then(
    (root) => process.stdout.write(`${root}\n`),
    (error: unknown) => {
      process.stderr.write(`the services could not be transpiled: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
