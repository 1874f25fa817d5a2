/**
 * Values generated from a JSON Schema, deterministic for a seed: the conformance check's generated
 * inputs and the mock provider's answers for actions without examples. Covers what action schemas
 * use (types, properties and required, items, enum and const, bounds, common formats, local $ref,
 * anyOf/oneOf/allOf); what it cannot honour (a `pattern`, say) may give an invalid value, so
 * callers validate what they get with the hub's validators and drop what fails.
 */
import type { JsonSchema } from '../catalog/definition.js';

/** `typical`: every property, middling sizes; `minimal`: required properties, lower bounds;
 * `maximal`: every property, upper bounds (boundary values). */
export type SampleMode = 'typical' | 'minimal' | 'maximal';

export type Random = () => number;

/** mulberry32: a small, fast, seeded generator; good enough for sample data. */
export function seededRandom(seed: number): Random {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = Record<string, unknown>;

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
/** Arrays and strings are capped so that a schema without bounds gives small values. */
const MAX_ITEMS = 3;
const MAX_STRING = 64;
const MAX_DEPTH = 12;

export function sampleFromSchema(schema: JsonSchema, random: Random, mode: SampleMode = 'typical'): unknown {
  return sample(schema, schema, random, mode, 0);
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Schema)[key] : undefined;
  }
  return node as JsonSchema | undefined;
}

function sample(schema: JsonSchema, root: JsonSchema, random: Random, mode: SampleMode, depth: number): unknown {
  if (typeof schema === 'boolean' || depth > MAX_DEPTH) return null;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    return target === undefined ? null : sample(target, root, random, mode, depth + 1);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[Math.floor(random() * schema.enum.length)];
  if (Array.isArray(schema.examples) && schema.examples.length > 0 && mode === 'typical') return schema.examples[0];
  const choices = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) return sample(choices[0]!, root, random, mode, depth + 1);
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const merged = Object.assign({}, ...(schema.allOf as JsonSchema[]).filter((s) => typeof s === 'object'), { ...schema, allOf: undefined }) as Schema;
    delete merged.allOf;
    return sample(merged, root, random, mode, depth + 1);
  }
  switch (typeOf(schema)) {
    case 'null':
      return null;
    case 'boolean':
      return mode === 'minimal' ? false : mode === 'maximal' ? true : random() < 0.5;
    case 'integer':
      return Math.round(number(schema, random, mode, true));
    case 'number':
      return number(schema, random, mode, false);
    case 'string':
      return string(schema, random, mode);
    case 'array':
      return array(schema, root, random, mode, depth);
    default:
      return object(schema, root, random, mode, depth);
  }
}

function typeOf(schema: Schema): string {
  const type: unknown = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  if (typeof type === 'string') return type;
  if ('properties' in schema || 'required' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema) return 'array';
  return 'string';
}

function number(schema: Schema, random: Random, mode: SampleMode, integer: boolean): number {
  const step = integer ? 1 : 0.5;
  const low = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + step : 0;
  const high = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - step : low + 1000;
  const value = mode === 'minimal' ? low : mode === 'maximal' ? high : low + Math.floor(random() * Math.max(1, high - low));
  const multiple = typeof schema.multipleOf === 'number' ? schema.multipleOf : undefined;
  return multiple === undefined ? value : Math.ceil(value / multiple) * multiple;
}

const FORMATS: Record<string, (random: Random) => string> = {
  'date-time': (random) => new Date(Date.UTC(2024, Math.floor(random() * 12), 1 + Math.floor(random() * 28), 8, 30)).toISOString(),
  date: (random) => new Date(Date.UTC(2024, Math.floor(random() * 12), 1 + Math.floor(random() * 28))).toISOString().slice(0, 10),
  time: () => '08:30:00Z',
  email: (random) => `${WORDS[Math.floor(random() * WORDS.length)]}@example.com`,
  uri: (random) => `https://example.com/${WORDS[Math.floor(random() * WORDS.length)]}`,
  url: (random) => `https://example.com/${WORDS[Math.floor(random() * WORDS.length)]}`,
  uuid: (random) => '00000000-0000-4000-8000-000000000000'.replace(/0/g, () => Math.floor(random() * 16).toString(16)),
};

function string(schema: Schema, random: Random, mode: SampleMode): string {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format !== undefined) return format(random);
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Math.max(min, MAX_STRING);
  const length = mode === 'minimal' ? min : mode === 'maximal' ? Math.min(max, Math.max(min, MAX_STRING)) : Math.min(max, Math.max(min, 8));
  let text = WORDS[Math.floor(random() * WORDS.length)]!;
  while (text.length < length) text += '-' + WORDS[Math.floor(random() * WORDS.length)]!;
  return text.slice(0, length);
}

function array(schema: Schema, root: JsonSchema, random: Random, mode: SampleMode, depth: number): unknown[] {
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as JsonSchema[]) : [];
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, MAX_ITEMS);
  const count = Math.max(
    prefix.length,
    mode === 'minimal' ? min : mode === 'maximal' ? Math.min(max, Math.max(min, MAX_ITEMS)) : Math.min(max, Math.max(min, 1)),
  );
  const items = (schema.items ?? true) as JsonSchema;
  return Array.from({ length: count }, (_, i) => sample(prefix[i] ?? items, root, random, mode, depth + 1));
}

function object(schema: Schema, root: JsonSchema, random: Random, mode: SampleMode, depth: number): Record<string, unknown> {
  const properties = (typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const result: Record<string, unknown> = {};
  for (const name of new Set([...required, ...Object.keys(properties)])) {
    if (mode === 'minimal' && !required.has(name)) continue;
    result[name] = sample(properties[name] ?? true, root, random, mode, depth + 1);
  }
  return result;
}
