/**
 * Puts an action's JSON Schema (2020-12) inside a larger document (OpenAPI 3.1, AsyncAPI 3) at a
 * given JSON pointer, without changing what it means. Each action's schema is written to stand
 * alone (it is compiled on an Ajv of its own), so inside a shared document:
 * - a `$ref` is resolved the way JSON Schema resolves it (against the `$id`s around it, to a
 *   JSON pointer or a `$anchor`) and rewritten as a pointer from the document's root, so that
 *   `#/$defs/x` no longer means the root of the whole document;
 * - `$id`, `$schema`, `$anchor` and `$dynamicAnchor` are dropped: two actions may use the same id
 *   or anchor, which one document cannot hold twice. `$dynamicRef` becomes a plain `$ref` to the
 *   anchor it names (its meaning when no outer schema overrides the anchor, as here).
 * A reference to anything outside the schema (the meta-schema, say) is kept, made absolute.
 * Pure: the given schema is not changed.
 */
import type { JsonSchema } from '../catalog/definition.js';

/** Base URI of a schema without `$id`: relative ids and references resolve against it. */
const NO_ID_BASE = 'https://schema.invalid/action';

/** Keywords whose value is a schema, an array of schemas, or a map of schemas (JSON Schema 2020-12
 * and the older `definitions`/`dependencies`/array `items` Ajv still reads). */
const SCHEMA_KEYWORDS = new Set([
  'additionalProperties',
  'contains',
  'else',
  'if',
  'items',
  'not',
  'propertyNames',
  'then',
  'unevaluatedItems',
  'unevaluatedProperties',
  'additionalItems',
  'contentSchema',
]);
const SCHEMA_ARRAY_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items']);
const SCHEMA_MAP_KEYWORDS = new Set(['$defs', 'definitions', 'properties', 'patternProperties', 'dependentSchemas', 'dependencies']);
const DROPPED = new Set(['$id', '$schema', '$anchor', '$dynamicAnchor']);

type SchemaObject = Record<string, unknown>;

interface Located {
  /** Pointer segments from the schema's root, unescaped. */
  path: string[];
  /** Base URI in effect inside this subschema (after its own `$id`). */
  base: string;
}

/** Every subschema, with its path and base URI; and the pointer of every resource and anchor. */
function locate(schema: JsonSchema): { subschemas: Map<SchemaObject, Located>; targets: Map<string, string[]> } {
  const subschemas = new Map<SchemaObject, Located>();
  const targets = new Map<string, string[]>();
  const visit = (node: unknown, path: string[], outerBase: string): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const object = node as SchemaObject;
    let base = outerBase;
    if (typeof object.$id === 'string') {
      base = resolve(object.$id, outerBase);
      targets.set(withoutFragment(base), path);
    }
    for (const anchor of [object.$anchor, object.$dynamicAnchor]) {
      if (typeof anchor === 'string') targets.set(`${withoutFragment(base)}#${anchor}`, path);
    }
    subschemas.set(object, { path, base });
    for (const [keyword, value] of Object.entries(object)) {
      if (SCHEMA_KEYWORDS.has(keyword) && !Array.isArray(value)) visit(value, [...path, keyword], base);
      if (SCHEMA_ARRAY_KEYWORDS.has(keyword) && Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, keyword, String(i)], base));
      if (SCHEMA_MAP_KEYWORDS.has(keyword) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [name, item] of Object.entries(value)) visit(item, [...path, keyword, name], base);
      }
    }
  };
  targets.set(NO_ID_BASE, []);
  visit(schema, [], NO_ID_BASE);
  return { subschemas, targets };
}

function resolve(reference: string, base: string): string {
  try {
    return new URL(reference, base).href;
  } catch {
    return reference;
  }
}

function withoutFragment(uri: string): string {
  const hash = uri.indexOf('#');
  return hash === -1 ? uri : uri.slice(0, hash);
}

/** A JSON pointer as a URI fragment: segments escaped (RFC 6901), then characters a fragment
 * cannot hold percent-encoded (RFC 3986). */
export function pointerFragment(segments: readonly string[]): string {
  return segments
    .map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`)
    .join('')
    .replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu, (c) => encodeURIComponent(c));
}

/** Segments of a pointer given in a fragment, or undefined when it is not a pointer. */
function pointerSegments(fragment: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    return undefined;
  }
  if (decoded === '') return [];
  if (!decoded.startsWith('/')) return undefined;
  return decoded
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The schema, ready to sit at `at` (the pointer segments of its place in the document): its
 * references rewritten from the document's root, its identifiers dropped.
 */
export function embedSchema(schema: JsonSchema, at: readonly string[]): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  const { subschemas, targets } = locate(schema);
  const rewrite = (reference: string, base: string): string => {
    const absolute = resolve(reference, base);
    const hash = absolute.indexOf('#');
    const resource = targets.get(withoutFragment(absolute));
    const fragment = hash === -1 ? '' : absolute.slice(hash + 1);
    const segments = pointerSegments(fragment);
    let path: string[] | undefined;
    if (resource !== undefined && segments !== undefined) path = [...resource, ...segments];
    else path = targets.get(absolute);
    return path === undefined ? absolute : `#${pointerFragment([...at, ...path])}`;
  };
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(copy);
    if (typeof node !== 'object' || node === null) return node;
    const located = subschemas.get(node as SchemaObject);
    const result: SchemaObject = {};
    for (const [keyword, value] of Object.entries(node)) {
      if (located !== undefined && DROPPED.has(keyword)) continue;
      if (located !== undefined && (keyword === '$ref' || keyword === '$dynamicRef') && typeof value === 'string') {
        result.$ref = rewrite(value, located.base);
        continue;
      }
      result[keyword] = copy(value);
    }
    return result;
  };
  return copy(schema) as JsonSchema;
}
