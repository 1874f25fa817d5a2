/** Loads the built-in catalogue: the JSON files under `catalog/`, one action version each. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogFile } from './definition.js';

/** The project's `catalog/` folder, found from this file whether run from `src/` or `dist/src/`. */
export function catalogDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'catalog'))) return join(dir, 'catalog');
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the catalog/ folder of the hub');
    dir = parent;
  }
}

function listJsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listJsonFiles(path);
      return entry.name.endsWith('.json') ? [path] : [];
    })
    .sort();
}

/** Every built-in action version, with its examples. Throws on a duplicate (id, version). */
export function loadBuiltinCatalog(dir: string = catalogDir()): CatalogFile[] {
  const seen = new Set<string>();
  return listJsonFiles(dir).map((path) => {
    const file = JSON.parse(readFileSync(path, 'utf8')) as CatalogFile;
    const key = `${file.id}@${file.version}`;
    if (seen.has(key)) throw new Error(`catalog: ${key} is defined twice (${path})`);
    seen.add(key);
    return file;
  });
}
