import path from 'node:path';
import { renderAll, writeRendered } from '../charts-ts/render';

/**
 * cdk8s app: renders every environment of the catalog into `deploy/k8s/<env>/` (or `--out <dir>`), the folder
 * Argo CD syncs. Configuration is charts-ts/config.ts, never this machine's environment, so the bytes are the same
 * everywhere and the drift test can compare them.
 */
function outDir(argv: readonly string[]): string {
  const i = argv.indexOf('--out');
  if (i === -1) return path.resolve(__dirname, '..', 'deploy', 'k8s');
  const value = argv[i + 1];
  if (!value) throw new Error("'--out' needs a folder, e.g. --out /tmp/k8s");
  return path.resolve(value);
}

const out = outDir(process.argv.slice(2));
const files = renderAll();
writeRendered(files, out);
console.log(`rendered ${files.size} files into ${path.relative(process.cwd(), out) || '.'}`);
