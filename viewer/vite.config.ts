// The viewer's front end: Preact through Vite, built into viewer/dist, served by viewer/server.
// No inline script or style in the output, so the server's CSP can forbid them.
import preact from '@preact/preset-vite';
import { join } from 'node:path';
import { defineConfig } from 'vite';
import { precompress } from '../scripts/precompress.mjs';

export default defineConfig({
  root: import.meta.dirname,
  // .br and .gz beside each file: the viewer's server sends them (@fastify/static, preCompressed).
  plugins: [preact(), { name: 'precompress', apply: 'build', closeBundle: () => precompress(join(import.meta.dirname, 'dist')) }],
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, modulePreload: { polyfill: false } },
});
