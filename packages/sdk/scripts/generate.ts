/**
 * `npm run generate -w packages/sdk`: writes src/generated/builtin-actions.ts from the hub's
 * built-in catalogue (catalog/layers/*.json of the repository). A root test fails when the
 * checked-in file differs from what this gives.
 */
import { writeFile } from 'node:fs/promises';
import { builtinActionTypes, BUILTIN_TYPES_PATH } from './builtin.js';

await writeFile(BUILTIN_TYPES_PATH, await builtinActionTypes());
console.log(`wrote ${BUILTIN_TYPES_PATH}`);
