import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { addFormats } from '../src/catalog/ajv-formats.js';
import { findActionBreaks, findSchemaBreaks, type SchemaBreak } from '../src/catalog/compatibility.js';
import type { ActionDefinition, JsonSchema } from '../src/catalog/definition.js';

type Obj = Record<string, unknown>;

const breaks = (before: JsonSchema, after: JsonSchema): SchemaBreak[] => findSchemaBreaks(before, after, '/data');
const paths = (list: SchemaBreak[]): string[] => list.map((b) => b.path);

const user: Obj = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string', minLength: 1, maxLength: 80 },
    role: { type: 'string', enum: ['student', 'teacher'] },
  },
  required: ['id'],
};

function clone<T>(value: T): T {
  return structuredClone(value);
}

describe('findSchemaBreaks: examples', () => {
  it('identical schemas have no breaks', () => {
    expect(breaks(user, clone(user))).toEqual([]);
    expect(breaks(true, true)).toEqual([]);
    expect(breaks(false, false)).toEqual([]);
    expect(breaks({}, true)).toEqual([]);
  });

  it('ignores annotations', () => {
    const after = clone(user);
    Object.assign(after, {
      title: 'User',
      description: 'A user',
      examples: [{ id: 'x' }],
      $comment: 'c',
      deprecated: true,
    });
    Object.assign((after.properties as Obj).name as Obj, { default: 'n', readOnly: true, writeOnly: false, description: 'Name' });
    expect(breaks(user, after)).toEqual([]);
  });

  it('adding an optional property is fine, a required one is not', () => {
    const optional = clone(user);
    (optional.properties as Obj).email = { type: 'string', format: 'email' };
    expect(breaks(user, optional)).toEqual([]);

    const required = clone(optional);
    required.required = ['id', 'email'];
    expect(breaks(user, required)).toEqual([{ path: '/data/email', change: 'added as a required field' }]);
  });

  it('type: a change breaks; a string equals a one-element array; order does not matter', () => {
    const after = clone(user);
    ((after.properties as Obj).id as Obj).type = 'integer';
    expect(breaks(user, after)).toEqual([{ path: '/data/id', change: 'type changed from string to integer' }]);
    expect(breaks({ type: 'string' }, { type: ['string'] })).toEqual([]);
    expect(breaks({ type: ['string', 'null'] }, { type: ['null', 'string'] })).toEqual([]);
    expect(breaks({ type: 'string' }, { type: ['string', 'null'] })).toEqual([{ path: '/data', change: 'type changed from string to null or string' }]);
    expect(breaks({}, { type: 'number' })).toEqual([{ path: '/data', change: 'type changed from any to number' }]);
  });

  it('enum: order-insensitive, any added or removed value breaks', () => {
    const reordered = clone(user);
    ((reordered.properties as Obj).role as Obj).enum = ['teacher', 'student'];
    expect(breaks(user, reordered)).toEqual([]);

    const widened = clone(user);
    ((widened.properties as Obj).role as Obj).enum = ['student', 'teacher', 'parent'];
    expect(breaks(user, widened)).toEqual([{ path: '/data/role', change: 'enum changed (added "parent")' }]);

    const dropped = clone(user);
    delete ((dropped.properties as Obj).role as Obj).enum;
    expect(breaks(user, dropped)).toEqual([{ path: '/data/role', change: 'enum removed' }]);
    expect(breaks({ enum: [{ a: 1, b: 2 }] }, { enum: [{ b: 2, a: 1 }] })).toEqual([]);
  });

  it('const, format and pattern', () => {
    expect(breaks({ const: 'a' }, { const: 'b' })).toEqual([{ path: '/data', change: 'const changed from "a" to "b"' }]);
    expect(breaks({ type: 'string', format: 'date' }, { type: 'string', format: 'date-time' })).toEqual([
      { path: '/data', change: 'format changed from date to date-time' },
    ]);
    expect(breaks({ type: 'string' }, { type: 'string', format: 'email' })).toEqual([{ path: '/data', change: 'format changed from none to email' }]);
    expect(paths(breaks({ pattern: '^a$' }, { pattern: '^b$' }))).toEqual(['/data']);
    expect(breaks({ pattern: '^a$' }, {})[0]?.change).toMatch(/^pattern changed/);
  });

  it('every bound breaks in either direction', () => {
    const bounds: Array<[string, unknown, unknown]> = [
      ['minimum', 0, 1],
      ['maximum', 10, 20],
      ['exclusiveMinimum', 0, undefined],
      ['exclusiveMaximum', undefined, 5],
      ['minLength', 1, 0],
      ['maxLength', 80, 100],
      ['minItems', 1, 2],
      ['maxItems', 3, 2],
      ['multipleOf', 2, 4],
      ['uniqueItems', false, true],
    ];
    for (const [keyword, from, to] of bounds) {
      const before = from === undefined ? {} : { [keyword]: from };
      const after = to === undefined ? {} : { [keyword]: to };
      const found = breaks(before, after);
      expect(found, keyword).toHaveLength(1);
      expect(found[0]?.change, keyword).toMatch(new RegExp(`^${keyword} changed`));
      expect(breaks(after, before), keyword).toHaveLength(1);
    }
    expect(breaks({ uniqueItems: false }, {})).toEqual([]);
  });

  it('required set changes break in both directions', () => {
    const more = clone(user);
    more.required = ['id', 'name'];
    expect(breaks(user, more)).toEqual([{ path: '/data/name', change: 'became required' }]);
    expect(breaks(more, user)).toEqual([{ path: '/data/name', change: 'no longer required' }]);
    expect(breaks({ required: ['a', 'b'] }, { required: ['b', 'a'] })).toEqual([]);
  });

  it('removing a declared property breaks (once, even when it was required)', () => {
    const after = clone(user);
    delete (after.properties as Obj).id;
    after.required = [];
    expect(breaks(user, after)).toEqual([{ path: '/data/id', change: 'removed' }]);
  });

  it('boolean schemas', () => {
    expect(breaks(true, false)).toEqual([{ path: '/data', change: 'now accepts nothing' }]);
    expect(breaks(false, true)).toEqual([{ path: '/data', change: 'accepted nothing, now accepts values' }]);
    expect(breaks({ properties: { a: false } }, { properties: { a: true } })).toEqual([{ path: '/data/a', change: 'accepted nothing, now accepts values' }]);
    expect(breaks(true, { type: 'object' })).toEqual([{ path: '/data', change: 'type changed from any to object' }]);
  });

  it('additionalProperties: closing or opening is not a break; a schema is compared under *', () => {
    const closed: Obj = { ...clone(user), additionalProperties: false };
    expect(breaks(user, closed)).toEqual([]);
    expect(breaks(closed, user)).toEqual([]);
    expect(breaks(closed, { ...clone(user), additionalProperties: { type: 'string' } })).toEqual([]);
    // Adding an optional field to a closed object is fine: SPEC counts declared fields only.
    const grown = clone(closed);
    (grown.properties as Obj).extra = { type: 'string' };
    expect(breaks(closed, grown)).toEqual([]);

    const map = { type: 'object', additionalProperties: { type: 'integer' } };
    expect(breaks(map, { type: 'object', additionalProperties: { type: 'number' } })).toEqual([
      { path: '/data/*', change: 'type changed from integer to number' },
    ]);
    expect(breaks(map, { type: 'object' })).toEqual([{ path: '/data/*', change: 'type changed from integer to any' }]);
  });

  it('nested arrays of objects give exact paths', () => {
    const before = {
      type: 'object',
      properties: {
        result: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              grade: { type: 'number' },
              lessons: { type: 'array', items: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date' } } } } },
            },
            required: ['grade'],
          },
        },
      },
    };
    const after = clone(before) as Obj;
    const item = ((after.properties as Obj).result as Obj).items as Obj;
    ((item.properties as Obj).grade as Obj).type = 'string';
    const inner = (((item.properties as Obj).lessons as Obj).items as Obj).items as Obj;
    ((inner.properties as Obj).at as Obj).format = 'date-time';
    inner.required = ['at'];
    expect(findSchemaBreaks(before, after, '/response')).toEqual([
      { path: '/response/result/*/grade', change: 'type changed from number to string' },
      { path: '/response/result/*/lessons/*/*/at', change: 'format changed from date to date-time' },
      { path: '/response/result/*/lessons/*/*/at', change: 'became required' },
    ]);
  });

  it('prefixItems are compared by position', () => {
    const before = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] };
    const after = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] };
    expect(breaks(before, after)).toEqual([{ path: '/data/1', change: 'type changed from integer to number' }]);
    expect(breaks(before, { ...before, prefixItems: [...before.prefixItems, { type: 'boolean' }] })).toEqual([
      { path: '/data/2', change: 'type changed from any to boolean' },
    ]);
    // A closed tuple gaining a position is like an object gaining an optional field.
    const closed = { ...before, items: false };
    expect(breaks(closed, { ...closed, prefixItems: [...before.prefixItems, { type: 'boolean' }] })).toEqual([]);
    expect(breaks(closed, before)).toEqual([]);
    expect(breaks({ type: 'array', items: [{ type: 'string' }] }, { type: 'array', prefixItems: [{ type: 'string' }] })).toEqual([]);
  });

  it('property names are escaped in pointers', () => {
    const before = { properties: { 'a/b': { type: 'string' }, 'c~d': { type: 'string' } } };
    const after = { properties: { 'a/b': { type: 'integer' }, 'c~d': { type: 'integer' } } };
    expect(paths(breaks(before, after))).toEqual(['/data/a~1b', '/data/c~0d']);
  });

  it('resolves local $refs against each schema root', () => {
    const inline = clone(user);
    const viaDefs = {
      type: 'object',
      properties: { id: { $ref: '#/$defs/id' }, name: { $ref: '#/definitions/name' }, role: (user.properties as Obj).role },
      required: ['id'],
      $defs: { id: { type: 'string', format: 'uuid' } },
      definitions: { name: { type: 'string', minLength: 1, maxLength: 80 } },
    };
    expect(breaks(inline, viaDefs)).toEqual([]);
    expect(breaks(viaDefs, inline)).toEqual([]);

    const changed = clone(viaDefs);
    changed.$defs.id.format = 'uri';
    expect(breaks(inline, changed)).toEqual([{ path: '/data/id', change: 'format changed from uuid to uri' }]);

    // A whole-document $ref, a chain of refs and an escaped pointer.
    const chained = { $ref: '#/$defs/u', $defs: { u: { $ref: '#/$defs/a~1b' }, 'a/b': clone(user) } };
    expect(breaks(user, chained)).toEqual([]);
    // Keywords beside a $ref apply as well.
    expect(breaks({ type: 'string', maxLength: 3 }, { $ref: '#/$defs/s', maxLength: 3, $defs: { s: { type: 'string' } } })).toEqual([]);
    // An unresolvable ref is compared as a keyword.
    expect(breaks({ $ref: 'https://x/a.json' }, { $ref: 'https://x/b.json' })).toEqual([{ path: '/data', change: 'keyword $ref changed' }]);
  });

  it('terminates on recursive schemas and still finds breaks inside', () => {
    const tree = (leafType: string): Obj => ({
      $ref: '#/$defs/node',
      $defs: {
        node: {
          type: 'object',
          properties: { value: { type: leafType }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
        },
      },
    });
    expect(breaks(tree('string'), tree('string'))).toEqual([]);
    expect(breaks(tree('string'), tree('integer'))).toEqual([{ path: '/data/value', change: 'type changed from string to integer' }]);
    expect(breaks({ $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } } }, true)).toEqual([]);
  });

  it('anyOf/oneOf/allOf are compared by position; a count change is reported at the path', () => {
    const before = { properties: { v: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } };
    expect(breaks(before, { properties: { v: { anyOf: [{ type: 'string' }, { type: 'number' }] } } })).toEqual([
      { path: '/data/v', change: 'anyOf[1]: type changed from integer to number' },
    ]);
    expect(breaks(before, { properties: { v: { anyOf: [{ type: 'string' }] } } })).toEqual([{ path: '/data/v', change: 'anyOf changed from 2 to 1 options' }]);
    expect(breaks({ oneOf: [{ properties: { a: { type: 'string' } } }] }, { oneOf: [{ properties: {} }] })).toEqual([
      { path: '/data/a', change: 'oneOf[0]: removed' },
    ]);
    expect(paths(breaks({ allOf: [{ required: ['a'] }] }, {}))).toEqual(['/data']);
    expect(breaks({ not: { type: 'null' } }, { not: { type: 'string' } })).toEqual([{ path: '/data', change: 'not: type changed from null to string' }]);
    expect(breaks({}, { not: { type: 'string' } })).toEqual([{ path: '/data', change: 'not added' }]);
  });

  it('unknown keywords are compared deep-equal', () => {
    expect(breaks({ 'x-flag': { a: [1] } }, { 'x-flag': { a: [1] } })).toEqual([]);
    expect(breaks({ propertyNames: { maxLength: 3 } }, { propertyNames: { maxLength: 4 } })).toEqual([
      { path: '/data', change: 'keyword propertyNames changed' },
    ]);
  });
});

describe('findActionBreaks', () => {
  const base: ActionDefinition = {
    id: '@layers:education:GradeBooks:getRelated',
    version: 1,
    kind: 'request',
    title: 'Grade books',
    dataSchema: { type: 'object', properties: { studentId: { type: 'string' } }, required: ['studentId'] },
    responseSchema: {
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'object', properties: { grade: { type: 'number' } } } } },
    },
    timeoutMs: 5000,
  };

  it('ignores title, description, timeout and coalesce', () => {
    expect(findActionBreaks(base, { ...clone(base), title: 'T', description: 'D', timeoutMs: 1, coalesce: true })).toEqual([]);
  });

  it('reports kind changes at the root and schema changes under /data and /response', () => {
    const after = clone(base);
    after.kind = 'event';
    ((after.dataSchema as Obj).properties as Obj).studentId = { type: 'integer' };
    const items = (((after.responseSchema as Obj).properties as Obj).result as Obj).items as Obj;
    (items.properties as Obj).grade = { type: 'string' };
    expect(findActionBreaks(base, after)).toEqual([
      { path: '', change: 'kind changed from request to event' },
      { path: '/data/studentId', change: 'type changed from string to integer' },
      { path: '/response/result/*/grade', change: 'type changed from number to string' },
    ]);
  });

  it('dropping the response schema is a break', () => {
    const after = clone(base);
    delete after.responseSchema;
    expect(paths(findActionBreaks(base, after))).toContain('/response');
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based tests over generated schemas.

const NAMES = ['id', 'name', 'grade', 'when', 'tags', 'a b', 'x/y'];
const PATTERN = '^[a-z]{1,4}$';

const leafArb: fc.Arbitrary<Obj> = fc.oneof(
  fc.record({ type: fc.constant('string'), minLength: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('string'), enum: fc.subarray(['a', 'b', 'c'], { minLength: 1 }) }),
  fc.constant({ type: 'string', format: 'date' }),
  fc.constant({ type: 'string', pattern: PATTERN }),
  fc
    .record({ min: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }), span: fc.integer({ min: 0, max: 10 }), bounded: fc.boolean() })
    .map(({ min, span, bounded }) => {
      const s: Obj = { type: 'integer' };
      if (min !== undefined) s.minimum = min;
      if (bounded) s.maximum = (min ?? 0) + span;
      return s;
    }),
  fc.constant({ type: 'number' }),
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: ['string', 'null'] }),
);

const { object: objectArb } = fc.letrec<{ schema: Obj; object: Obj; array: Obj }>((tie) => ({
  schema: fc.oneof({ maxDepth: 3, depthIdentifier: 'schema' }, leafArb, tie('object'), tie('array')),
  object: fc.dictionary(fc.constantFrom(...NAMES), tie('schema'), { minKeys: 1, maxKeys: 4 }).chain((properties) =>
    fc.record({ required: fc.subarray(Object.keys(properties)), closed: fc.boolean() }).map(({ required, closed }) => {
      const s: Obj = { type: 'object', properties, required };
      if (closed) s.additionalProperties = false;
      return s;
    }),
  ),
  array: fc
    .record({ items: tie('schema'), minItems: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }) })
    .map(({ items, minItems }) => (minItems === undefined ? { type: 'array', items } : { type: 'array', items, minItems })),
}));

const escape = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Follows a local `#/$defs/x` ref (the only kind the edits below create). */
function resolve(root: Obj, node: Obj): Obj {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  return (root.$defs as Obj)[ref.slice('#/$defs/'.length)] as Obj;
}

interface PropertyAt {
  parent: Obj;
  name: string;
  path: string;
}

/** Every object node and every declared property of a schema, with instance paths. */
function walk(root: Obj): { objects: Array<{ node: Obj; path: string }>; props: PropertyAt[]; all: Obj[] } {
  const objects: Array<{ node: Obj; path: string }> = [];
  const props: PropertyAt[] = [];
  const all: Obj[] = [];
  const visit = (raw: Obj, path: string): void => {
    const node = resolve(root, raw);
    all.push(node);
    if (node.properties) {
      objects.push({ node, path });
      for (const [name, child] of Object.entries(node.properties as Obj)) {
        props.push({ parent: node, name, path: `${path}/${escape(name)}` });
        visit(child as Obj, `${path}/${escape(name)}`);
      }
    }
    if (node.items) visit(node.items as Obj, `${path}/*`);
  };
  visit(root, '/data');
  return { objects, props, all };
}

type Edit = { kind: string; index: number; text: string };

const COMPATIBLE = ['addOptional', 'describe', 'toggleClosed', 'reorder', 'moveToDefs'] as const;
const BREAKING = ['remove', 'toggleRequired', 'changeType', 'changeMinLength', 'changeEnum'] as const;

function pick<T>(list: T[], index: number): T | undefined {
  return list.length === 0 ? undefined : list[index % list.length];
}

/** Applies one edit in place; compatible edits never change what declared fields accept. */
function applyEdit(root: Obj, { kind, index, text }: Edit): void {
  const { objects, props, all } = walk(root);
  const prop = pick(props, index);
  const propSchema = prop && resolve(root, (prop.parent.properties as Obj)[prop.name] as Obj);
  switch (kind) {
    case 'addOptional': {
      const target = pick(objects, index);
      if (target) (target.node.properties as Obj)[`new_${text}_${index}`] = { type: 'string', description: text };
      break;
    }
    case 'describe': {
      const node = pick(all, index);
      if (node) Object.assign(node, { title: text, description: `${text}!`, $comment: text, examples: [text] });
      break;
    }
    case 'toggleClosed': {
      const target = pick(objects, index);
      if (!target) break;
      if (target.node.additionalProperties === false) delete target.node.additionalProperties;
      else target.node.additionalProperties = false;
      break;
    }
    case 'reorder': {
      const node = pick(all, index);
      if (Array.isArray(node?.enum)) node.enum = [...(node.enum as unknown[])].reverse();
      if (typeof node?.type === 'string') node.type = [node.type];
      if (Array.isArray(node?.required)) node.required = [...(node.required as unknown[])].reverse();
      break;
    }
    case 'moveToDefs': {
      if (!prop || !propSchema) break;
      const defs = (root.$defs ??= {}) as Obj;
      const name = `d${Object.keys(defs).length}`;
      defs[name] = propSchema;
      (prop.parent.properties as Obj)[prop.name] = { $ref: `#/$defs/${name}` };
      break;
    }
    case 'remove':
      if (prop) delete (prop.parent.properties as Obj)[prop.name];
      break;
    case 'toggleRequired': {
      if (!prop) break;
      const required = (prop.parent.required ?? []) as string[];
      prop.parent.required = required.includes(prop.name) ? required.filter((n) => n !== prop.name) : [...required, prop.name];
      break;
    }
    case 'changeType':
      // The enum goes with the old type: kept, it could leave a field no value satisfies.
      if (propSchema) {
        propSchema.type = otherType(propSchema.type);
        delete propSchema.enum;
      }
      break;
    case 'changeMinLength': {
      // Aimed at a string field, where it matters to instances.
      const strings = props.map((p) => resolve(root, (p.parent.properties as Obj)[p.name] as Obj)).filter((n) => n.type === 'string');
      const target = pick(strings, index);
      if (target) target.minLength = ((target.minLength as number | undefined) ?? 0) + 1;
      break;
    }
    case 'changeEnum':
      // The field now takes just 'a', whatever it took before (and stays satisfiable).
      if (propSchema) {
        for (const key of Object.keys(propSchema)) delete propSchema[key];
        propSchema.enum = ['a'];
      }
      break;
  }
}

function otherType(type: unknown): unknown {
  const list = Array.isArray(type) ? type : [type];
  return list.includes('integer') ? 'string' : 'integer';
}

const editArb = (kinds: readonly string[]): fc.Arbitrary<Edit> =>
  fc.record({ kind: fc.constantFrom(...kinds), index: fc.nat(50), text: fc.string({ unit: 'grapheme-ascii', maxLength: 6 }) });

function edited(schema: Obj, edits: Edit[]): Obj {
  const result = clone(schema);
  for (const edit of edits) applyEdit(result, edit);
  return result;
}

const dateArb = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** Random instances valid under a generated schema, using only its declared fields. */
function instanceArb(root: Obj, raw: Obj = root): fc.Arbitrary<unknown> {
  const s = resolve(root, raw);
  const type = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  if (type.includes('null')) return fc.option(fc.string(), { nil: null });
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  switch (type[0]) {
    case 'object': {
      const props = s.properties as Record<string, Obj>;
      const required = (s.required ?? []) as string[];
      const model: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(Object.entries(props).map(([name, child]) => [name, instanceArb(root, child)]));
      // A required name left undeclared (after a `remove` edit) takes any value.
      for (const name of required) model[name] ??= fc.constant(null);
      return fc.record(model, { requiredKeys: required });
    }
    case 'array': {
      const minLength = (s.minItems as number | undefined) ?? 0;
      return fc.array(instanceArb(root, s.items as Obj), { minLength, maxLength: minLength + 3 });
    }
    case 'string':
      if (s.format === 'date') return dateArb;
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern as string));
      return fc.string({ minLength: (s.minLength as number | undefined) ?? 0, maxLength: 8 });
    case 'integer': {
      const min = (s.minimum as number | undefined) ?? -1000;
      return fc.integer({ min, max: (s.maximum as number | undefined) ?? min + 2000 });
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.anything();
  }
}

/** Drops, recursively, the object fields that `root` does not declare. */
function restrict(value: unknown, root: Obj, raw: Obj = root): unknown {
  const s = resolve(root, raw);
  if (Array.isArray(value)) return s.items ? value.map((v) => restrict(v, root, s.items as Obj)) : value;
  if (typeof value !== 'object' || value === null || !s.properties) return value;
  const props = s.properties as Record<string, Obj>;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => Object.prototype.hasOwnProperty.call(props, k))
      .map(([k, v]) => [k, restrict(v, root, props[k] as Obj)]),
  );
}

function validator(schema: Obj): (value: unknown) => boolean {
  const ajv = new Ajv2020({ strict: false, validateFormats: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (value) => validate(value);
}

describe('findSchemaBreaks: properties', () => {
  it('a schema compared with itself, or after compatible edits, has no breaks', () => {
    fc.assert(
      fc.property(objectArb, fc.array(editArb(COMPATIBLE), { maxLength: 6 }), (schema, edits) => {
        expect(breaks(schema, clone(schema))).toEqual([]);
        const after = edited(schema, edits);
        expect(breaks(schema, after)).toEqual([]);
        // All but adding a field are symmetric; removing the added field back would be a break.
        if (edits.every((e) => e.kind !== 'addOptional')) expect(breaks(after, schema)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('removing a property, making one required or changing its type breaks at its path', () => {
    fc.assert(
      fc.property(
        objectArb,
        fc.constantFrom('remove', 'toggleRequired', 'changeType'),
        fc.nat(50),
        fc.array(editArb(COMPATIBLE), { maxLength: 3 }),
        (schema, kind, index, noise) => {
          const base = edited(schema, noise);
          const prop = pick(walk(base).props, index);
          if (!prop) return;
          const wasRequired = ((prop.parent.required ?? []) as string[]).includes(prop.name);
          const after = edited(base, [{ kind, index, text: '' }]);
          const found = breaks(base, after).filter((b) => b.path === prop.path);
          const expected = { remove: 'removed', changeType: /^type changed/, toggleRequired: wasRequired ? 'no longer required' : 'became required' }[kind];
          expect(found.map((b) => b.change)).toContainEqual(typeof expected === 'string' ? expected : expect.stringMatching(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is sound: with no breaks, instances restricted to declared fields pass both ways (Ajv)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        objectArb
          .chain((a) =>
            fc.tuple(
              fc.constant(a),
              fc.array(fc.oneof({ weight: 3, arbitrary: editArb(COMPATIBLE) }, { weight: 2, arbitrary: editArb(BREAKING) }), { maxLength: 5 }),
            ),
          )
          .chain(([a, edits]) => {
            const b = edited(a, edits);
            const instances = (schema: Obj) => fc.array(instanceArb(schema), { minLength: 1, maxLength: 6 });
            return fc.tuple(fc.constant(a), fc.constant(b), fc.constant(edits), instances(a), instances(b));
          }),
        ([a, b, edits, fromA, fromB]) => {
          const found = breaks(a, b);
          if (edits.every((e) => (COMPATIBLE as readonly string[]).includes(e.kind))) expect(found).toEqual([]);
          if (found.length > 0) return;
          checked++;
          const validA = validator(a);
          const validB = validator(b);
          for (const value of fromA) {
            expect(validA(value)).toBe(true);
            expect(validB(restrict(value, b))).toBe(true);
          }
          for (const value of fromB) {
            expect(validB(value)).toBe(true);
            expect(validA(restrict(value, a))).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(checked).toBeGreaterThan(30);
    // 400 Ajv compilations: a few seconds alone, past the default 20 s on a loaded 2-core machine.
  }, 90_000);
});
