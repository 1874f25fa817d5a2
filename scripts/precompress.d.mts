/** Types of precompress.mjs, for the TypeScript that imports it (viewer/vite.config.ts). */
export function files(dir: string): string[];
export function precompress(dir: string): void;
