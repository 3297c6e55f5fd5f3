import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderAll, writeRendered } from '../render';

const COMMITTED = path.join(__dirname, '..', '..', 'deploy', 'k8s');

function filesUnder(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(root, full).split(path.sep).join('/'), readFileSync(full));
    }
  };
  walk(root);
  return files;
}

describe('rendered manifests', () => {
  test('deploy/k8s is exactly what `npm run synth:k8s` renders now (run it and commit the result)', () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'shopfront-k8s-'));
    try {
      writeRendered(renderAll(), fresh);
      const expected = filesUnder(fresh);
      const committed = filesUnder(COMMITTED);
      expect([...committed.keys()]).toEqual([...expected.keys()]);
      const differing = [...expected].filter(([file, bytes]) => !committed.get(file)?.equals(bytes)).map(([f]) => f);
      expect(differing).toEqual([]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('rendering is deterministic', () => {
    expect([...renderAll()]).toEqual([...renderAll()]);
  });
});
