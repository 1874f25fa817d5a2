/**
 * Writes a .gz and a .br beside every text asset of a build folder, so the servers (the hub's web
 * routes, the viewer's @fastify/static with preCompressed) send them compressed without
 * compressing on each request. Used by web/scripts/build.mjs and viewer/vite.config.ts.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Files under a folder, recursively. */
export function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export function precompress(dir) {
  for (const path of files(dir)) {
    if (!/\.(js|css|html|svg|json)$/.test(path)) continue;
    const bytes = readFileSync(path);
    writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
    writeFileSync(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  }
}
