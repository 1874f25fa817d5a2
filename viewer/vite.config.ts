// The viewer's front end: Preact through Vite, built into viewer/dist, served by viewer/server.
// No inline script or style in the output, so the server's CSP can forbid them.
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, modulePreload: { polyfill: false } },
});
