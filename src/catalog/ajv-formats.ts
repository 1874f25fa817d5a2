/** ajv-formats' plugin as an ES module: the package is CommonJS, and its default export arrives
 * wrapped under ESM. Import `addFormats` from here rather than unwrapping it again. */
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

export const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;
