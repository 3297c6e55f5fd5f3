import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The browser sources: `src/main.tsx` and everything it imports, with `src/styles.css`. */
export const WEB_SOURCES = path.join(__dirname, 'src');
/** Where the built files are served from under the site root. */
export const ASSETS_PREFIX = '/assets/';

export interface BuiltStorefront {
  /** The folder holding `index.html` and `assets/`. */
  readonly dir: string;
  /** The hashed files under `assets/` the first page loads (its script and its style sheet). */
  readonly firstPage: readonly string[];
}

/** The one document of the site: no inline script or style, so the Content-Security-Policy can forbid both. */
export function indexHtml(script: string, styles: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Shopfront</title>',
    `<link rel="stylesheet" href="${ASSETS_PREFIX}${styles}">`,
    `<script type="module" src="${ASSETS_PREFIX}${script}"></script>`,
    '</head>',
    '<body>',
    '<noscript>The shop needs JavaScript.</noscript>',
    '<div id="app"></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Bundles the pages with esbuild (Preact's JSX, minified, content-hashed names) into `outDir`, replacing what was
 * there, and writes `index.html` naming the hashed files. esbuild is a build tool: the image runs this once at build
 * time, and a source checkout (`npm start`, the tests) at start.
 */
export async function buildStorefront(outDir: string): Promise<BuiltStorefront> {
  const esbuild = await import('esbuild');
  const assets = path.join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(WEB_SOURCES, 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    entryNames: '[name]-[hash]',
    outdir: assets,
    legalComments: 'none',
    logLevel: 'silent',
  });
  // esbuild's child process would otherwise stay for the service's whole life (~18 MiB) for no further build.
  await esbuild.stop();
  const files = await readdir(assets);
  const script = files.find((f) => /^app-[A-Z0-9]+\.js$/.test(f));
  const styles = files.find((f) => /^app-[A-Z0-9]+\.css$/.test(f));
  if (!script || !styles)
    throw new Error(`the storefront build wrote no app script and style sheet: ${files.join(', ')}`);
  await writeFile(path.join(outDir, 'index.html'), indexHtml(script, styles));
  return { dir: outDir, firstPage: [script, styles] };
}

// `node --import tsx services/storefront/web/build.ts <outDir>`: the image's build step.
if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: build.ts <output folder>\n');
    process.exit(2);
  }
  buildStorefront(path.resolve(outDir)).then(
    (built) => process.stdout.write(`storefront built in ${built.dir}: ${built.firstPage.join(', ')}\n`),
    (error: unknown) => {
      process.stderr.write(`storefront build failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
