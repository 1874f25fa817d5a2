/**
 * A JSON Schema (2020-12) as rows of a field table: one row per declared location, nested objects
 * and array items unfolded beneath their parent (`user.id`, `items[].name`). Local `$ref`s
 * (`#/$defs/…`) are followed, once per branch, so a recursive schema ends. Pure: the tables of the
 * reference and the console are drawn from these rows.
 */
export type Schema = Record<string, unknown> | boolean;

export interface FieldRow {
  /** Dotted path, `[]` for array items; '' for the root. */
  path: string;
  depth: number;
  type: string;
  required: boolean;
  description: string;
  constraints: string[];
}

const CONSTRAINTS: Array<[string, string]> = [
  ['format', 'format'],
  ['pattern', 'pattern'],
  ['minimum', '≥'],
  ['exclusiveMinimum', '>'],
  ['maximum', '≤'],
  ['exclusiveMaximum', '<'],
  ['multipleOf', 'multiple of'],
  ['minLength', 'min length'],
  ['maxLength', 'max length'],
  ['minItems', 'min items'],
  ['maxItems', 'max items'],
  ['minProperties', 'min properties'],
  ['maxProperties', 'max properties'],
  ['default', 'default'],
];

function resolve(root: Schema, schema: Schema, seen: Set<string>): { schema: Schema; seen: Set<string> } {
  if (typeof schema !== 'object' || typeof schema.$ref !== 'string' || !schema.$ref.startsWith('#/')) return { schema, seen };
  const ref = schema.$ref;
  if (seen.has(ref)) return { schema: { description: `(recursive: ${ref})` }, seen };
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  const { $ref: _ref, ...rest } = schema;
  const merged = typeof target === 'object' && target !== null ? { ...(target as Record<string, unknown>), ...rest } : rest;
  return resolve(root, merged, new Set([...seen, ref]));
}

export function typeOf(schema: Schema): string {
  if (schema === true) return 'any';
  if (schema === false) return 'nothing';
  if ('const' in schema) return `const ${JSON.stringify(schema.const)}`;
  if (Array.isArray(schema.enum)) return `enum: ${schema.enum.map((v) => JSON.stringify(v)).join(' | ')}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : typeof schema.type === 'string' ? schema.type : undefined;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) return `${key === 'oneOf' ? 'one of' : 'any of'}: ${list.map((s) => typeOf(s as Schema)).join(' | ')}`;
  }
  if (type === 'array' && typeof schema.items === 'object') return `array of ${typeOf(schema.items as Schema)}`;
  return type ?? (schema.properties ? 'object' : 'any');
}

function constraintsOf(schema: Schema): string[] {
  if (typeof schema !== 'object') return [];
  const out: string[] = [];
  for (const [key, label] of CONSTRAINTS)
    if (key in schema) out.push(`${label} ${typeof schema[key] === 'string' ? String(schema[key]) : JSON.stringify(schema[key])}`);
  if (schema.additionalProperties === false) out.push('no other properties');
  if (schema.uniqueItems === true) out.push('unique items');
  return out;
}

export function fieldRows(root: Schema): FieldRow[] {
  const rows: FieldRow[] = [];
  const walk = (raw: Schema, path: string, depth: number, required: boolean, seen: Set<string>) => {
    const { schema, seen: next } = resolve(root, raw, seen);
    const description = typeof schema === 'object' && typeof schema.description === 'string' ? schema.description : '';
    rows.push({ path, depth, type: typeOf(schema), required, description, constraints: constraintsOf(schema) });
    if (typeof schema !== 'object' || depth > 12) return;
    const requiredNames = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, child] of Object.entries(properties)) walk(child, path === '' ? name : `${path}.${name}`, depth + 1, requiredNames.has(name), next);
    if (typeof schema.items === 'object' && schema.items !== null) {
      const items = resolve(root, schema.items as Schema, next).schema;
      if (typeof items === 'object' && (items.properties || items.items)) walk(items, `${path}[]`, depth + 1, false, next);
    }
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      const list = schema[key];
      if (!Array.isArray(list)) continue;
      list.forEach((option, i) => {
        const resolved = resolve(root, option as Schema, next).schema;
        if (typeof resolved === 'object' && resolved.properties) walk(resolved, `${path}(${key} ${i + 1})`, depth + 1, false, next);
      });
    }
  };
  walk(root, '', 0, true, new Set());
  return rows;
}
