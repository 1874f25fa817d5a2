/**
 * Compatibility of two versions of the same action's schemas (SPEC §3): a change must break no
 * one built against the earlier schemas, in either direction — old senders' messages must still
 * pass, and new messages must still pass old receivers' checks. Only declared fields count as the
 * contract, so the comparison is structural and symmetric: any change to a constraint on a declared
 * location (type, enum, const, format, pattern, bounds, required-ness, removal) is a break whether
 * it tightens or loosens, while annotations and newly declared optional fields are not.
 *
 * Each break names the instance location it affects as a JSON pointer under a part prefix
 * (`/data`, `/response`), with `*` standing for any array item or any undeclared property name.
 */
import type { ActionDefinition, JsonSchema } from './definition.js';
import { escapePointer } from './json-pointer.js';

export interface SchemaBreak {
  /** JSON pointer of the affected instance location, prefixed by the part (`/data/user/id`). */
  path: string;
  /** One short human sentence, e.g. "type changed from string to integer". */
  change: string;
}

type SchemaObject = Record<string, unknown>;

/** Keywords that never affect validation (or only locate other schemas): changes are free. */
const IGNORED = new Set([
  'title',
  'description',
  'examples',
  '$comment',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$schema',
  '$id',
  '$anchor',
  '$dynamicAnchor',
  '$vocabulary',
  '$defs',
  'definitions',
]);

/** Numeric, length and size bounds: any change, tighter or looser, is a break. */
const BOUNDS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minContains',
  'maxContains',
] as const;

const COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;

/** Keywords compared by dedicated rules below; everything else not IGNORED is compared deep-equal. */
const HANDLED = new Set<string>([
  'type',
  'enum',
  'const',
  'format',
  'pattern',
  'uniqueItems',
  'required',
  'properties',
  'additionalProperties',
  'patternProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'not',
  ...BOUNDS,
  ...COMBINATORS,
]);

/** Breaks between two schemas of the same part; `prefix` (e.g. `/data`) starts every path. */
export function findSchemaBreaks(before: JsonSchema, after: JsonSchema, prefix: string): SchemaBreak[] {
  const comparer = new Comparer(before, after);
  comparer.compare(before, after, prefix, '');
  return dedupe(comparer.breaks);
}

/**
 * Breaks between two versions of one action definition. A kind change breaks everyone (path ``);
 * `dataSchema` is compared under `/data` and `responseSchema` under `/response` (an absent response
 * schema is `true`, i.e. anything). Title, description, timeout and coalescing are not contract.
 */
export function findActionBreaks(before: ActionDefinition, after: ActionDefinition): SchemaBreak[] {
  const breaks: SchemaBreak[] = [];
  if (before.kind !== after.kind) {
    breaks.push({ path: '', change: `kind changed from ${before.kind} to ${after.kind}` });
  }
  breaks.push(...findSchemaBreaks(before.dataSchema, after.dataSchema, '/data'));
  if (before.responseSchema !== undefined || after.responseSchema !== undefined) {
    breaks.push(...findSchemaBreaks(before.responseSchema ?? true, after.responseSchema ?? true, '/response'));
  }
  return dedupe(breaks);
}

class Comparer {
  readonly breaks: SchemaBreak[] = [];
  /** Pairs (before node, after node) being compared on the current descent: the cycle guard. */
  private readonly active = new Set<string>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(
    private readonly beforeRoot: JsonSchema,
    private readonly afterRoot: JsonSchema,
  ) {}

  /**
   * Compares two schema nodes found at the same instance location. `via` prefixes each change
   * with the combinator branch it was found in (e.g. "anyOf[1]: ").
   *
   * Termination: every call receives nodes of the two original documents (or booleans), of which
   * there are finitely many pairs, so a recursive `$ref` descent must revisit an active pair and
   * stops there; what lies below is being compared at the ancestor already.
   */
  compare(before: unknown, after: unknown, path: string, via: string): void {
    const b = deref(before, this.beforeRoot);
    const a = deref(after, this.afterRoot);
    // Keyed by the nodes as written (which guarantees termination) and as resolved (which stops
    // a recursive definition one level earlier, where it first meets itself).
    const keys = [`${this.id(before)}:${this.id(after)}`, `${this.id(b)}:${this.id(a)}`];
    if (keys.some((key) => this.active.has(key))) return;
    for (const key of keys) this.active.add(key);
    try {
      if (b === false || a === false) {
        if (b !== a) {
          this.report(path, via, b === false ? 'accepted nothing, now accepts values' : 'now accepts nothing');
        }
        return;
      }
      this.compareObjects(b === true ? {} : b, a === true ? {} : a, path, via);
    } finally {
      for (const key of keys) this.active.delete(key);
    }
  }

  private compareObjects(b: SchemaObject, a: SchemaObject, path: string, via: string): void {
    const typeB = normalizeType(b.type);
    const typeA = normalizeType(a.type);
    if (!sameList(typeB, typeA)) {
      this.report(path, via, `type changed from ${describeType(typeB)} to ${describeType(typeA)}`);
    }

    this.compareEnum(b.enum, a.enum, path, via);
    if (!deepEqual(b.const, a.const)) {
      this.report(path, via, `const changed from ${show(b.const)} to ${show(a.const)}`);
    }
    for (const keyword of ['format', 'pattern'] as const) {
      if (!deepEqual(b[keyword], a[keyword])) {
        const shown = keyword === 'format' ? String : show;
        const from = b[keyword] === undefined ? 'none' : shown(b[keyword]);
        const to = a[keyword] === undefined ? 'none' : shown(a[keyword]);
        this.report(path, via, `${keyword} changed from ${from} to ${to}`);
      }
    }
    for (const keyword of BOUNDS) {
      if (!deepEqual(b[keyword], a[keyword])) {
        this.report(path, via, `${keyword} changed from ${show(b[keyword])} to ${show(a[keyword])}`);
      }
    }
    if ((b.uniqueItems ?? false) !== (a.uniqueItems ?? false)) {
      this.report(path, via, `uniqueItems changed from ${show(b.uniqueItems ?? false)} to ${show(a.uniqueItems ?? false)}`);
    }

    this.compareProperties(b, a, path, via);
    this.compareItems(b, a, path, via);

    for (const keyword of COMBINATORS) {
      const listB = b[keyword];
      const listA = a[keyword];
      if (listB === undefined && listA === undefined) continue;
      if (!Array.isArray(listB) || !Array.isArray(listA)) {
        if (!deepEqual(listB, listA)) {
          this.report(path, via, `${keyword} ${listB === undefined ? 'added' : listA === undefined ? 'removed' : 'changed'}`);
        }
        continue;
      }
      if (listB.length !== listA.length) {
        this.report(path, via, `${keyword} changed from ${listB.length} to ${listA.length} options`);
        continue;
      }
      listB.forEach((option, i) => this.compare(option, listA[i], path, `${via}${keyword}[${i}]: `));
    }
    if (b.not !== undefined || a.not !== undefined) {
      if (b.not === undefined || a.not === undefined) {
        this.report(path, via, `not ${b.not === undefined ? 'added' : 'removed'}`);
      } else {
        this.compare(b.not, a.not, path, `${via}not: `);
      }
    }

    // Unknown keywords (and unresolvable `$ref`s): the safe default is that any change breaks.
    const unknown = new Set([...Object.keys(b), ...Object.keys(a)]);
    for (const keyword of unknown) {
      if (IGNORED.has(keyword) || HANDLED.has(keyword)) continue;
      if (!deepEqual(b[keyword], a[keyword])) this.report(path, via, `keyword ${keyword} changed`);
    }
  }

  private compareEnum(b: unknown, a: unknown, path: string, via: string): void {
    if (b === undefined && a === undefined) return;
    if (b === undefined || a === undefined || !Array.isArray(b) || !Array.isArray(a)) {
      if (!deepEqual(b, a)) this.report(path, via, `enum ${b === undefined ? 'added' : a === undefined ? 'removed' : 'changed'}`);
      return;
    }
    const keysB = new Map(b.map((v) => [canonical(v), v] as const));
    const keysA = new Map(a.map((v) => [canonical(v), v] as const));
    const added = [...keysA.keys()].filter((k) => !keysB.has(k));
    const removed = [...keysB.keys()].filter((k) => !keysA.has(k));
    if (added.length === 0 && removed.length === 0) return;
    const parts: string[] = [];
    if (added.length > 0) parts.push(`added ${added.join(', ')}`);
    if (removed.length > 0) parts.push(`removed ${removed.join(', ')}`);
    this.report(path, via, `enum changed (${parts.join('; ')})`);
  }

  private compareProperties(b: SchemaObject, a: SchemaObject, path: string, via: string): void {
    const propsB = asObject(b.properties);
    const propsA = asObject(a.properties);
    const requiredB = new Set(asStrings(b.required));
    const requiredA = new Set(asStrings(a.required));
    const addedAsRequired = new Set<string>();

    for (const name of Object.keys(propsB)) {
      const at = `${path}/${escapePointer(name)}`;
      if (!hasOwn(propsA, name)) {
        this.report(at, via, 'removed');
      } else {
        this.compare(propsB[name], propsA[name], at, via);
      }
    }
    for (const name of Object.keys(propsA)) {
      // A new optional field is fine (SPEC §3); a new required one breaks old senders.
      if (!hasOwn(propsB, name) && requiredA.has(name)) {
        addedAsRequired.add(name);
        this.report(`${path}/${escapePointer(name)}`, via, 'added as a required field');
      }
    }
    for (const name of requiredA) {
      if (!requiredB.has(name) && !addedAsRequired.has(name)) {
        this.report(`${path}/${escapePointer(name)}`, via, 'became required');
      }
    }
    for (const name of requiredB) {
      // A removed field was reported as removed; saying it is no longer required adds nothing.
      if (!requiredA.has(name) && !(hasOwn(propsB, name) && !hasOwn(propsA, name))) {
        this.report(`${path}/${escapePointer(name)}`, via, 'no longer required');
      }
    }

    // Undeclared property names. SPEC §3 counts only declared fields as the contract, so opening
    // or closing the object (`additionalProperties: false` to absent, `true` or a schema, or back)
    // is not a break by itself: a message restricted to declared fields passes either way. That
    // is also why adding an optional field to a closed object is fine. When neither side is
    // closed, the schema for undeclared names (e.g. a map's values) is compared under `*`.
    const extraB = b.additionalProperties;
    const extraA = a.additionalProperties;
    if (extraB !== false && extraA !== false) {
      this.compare(extraB ?? true, extraA ?? true, `${path}/*`, via);
    }

    if (b.patternProperties !== undefined || a.patternProperties !== undefined) {
      const patternsB = asObject(b.patternProperties);
      const patternsA = asObject(a.patternProperties);
      for (const pattern of new Set([...Object.keys(patternsB), ...Object.keys(patternsA)])) {
        if (!hasOwn(patternsA, pattern)) {
          this.report(path, via, `patternProperties ${show(pattern)} removed`);
        } else if (!hasOwn(patternsB, pattern)) {
          this.report(path, via, `patternProperties ${show(pattern)} added`);
        } else {
          this.compare(patternsB[pattern], patternsA[pattern], `${path}/*`, `${via}patternProperties ${show(pattern)}: `);
        }
      }
    }
  }

  /** `prefixItems` + `items` (2020-12), or array-form `items` + `additionalItems` (older drafts). */
  private compareItems(b: SchemaObject, a: SchemaObject, path: string, via: string): void {
    const tupleB = tupleOf(b);
    const tupleA = tupleOf(a);
    const count = Math.max(tupleB.prefix.length, tupleA.prefix.length);
    for (let i = 0; i < count; i++) {
      // A position one side leaves to its `items` schema is compared with that schema; a newly
      // declared position of a closed tuple is like a new optional field (minItems is compared).
      if (i >= tupleB.prefix.length && tupleB.rest === false) continue;
      if (i >= tupleA.prefix.length && tupleA.rest === false) continue;
      this.compare(tupleB.prefix[i] ?? tupleB.rest ?? true, tupleA.prefix[i] ?? tupleA.rest ?? true, `${path}/${i}`, via);
    }
    // Closing a tuple's tail (`items: false`) concerns undeclared positions only, as above.
    const closedTuple = count > 0 && (tupleB.rest === false || tupleA.rest === false);
    if (!closedTuple) this.compare(tupleB.rest ?? true, tupleA.rest ?? true, `${path}/*`, via);
  }

  private report(path: string, via: string, change: string): void {
    this.breaks.push({ path, change: `${via}${change}` });
  }

  private id(node: unknown): string {
    if (typeof node !== 'object' || node === null) return String(node);
    let id = this.ids.get(node);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(node, id);
    }
    return `#${id}`;
  }
}

function tupleOf(schema: SchemaObject): { prefix: unknown[]; rest: unknown } {
  if (Array.isArray(schema.prefixItems)) return { prefix: schema.prefixItems, rest: schema.items };
  if (Array.isArray(schema.items)) return { prefix: schema.items, rest: schema.additionalItems };
  return { prefix: [], rest: schema.items };
}

/**
 * Follows local `$ref`s (`#`, `#/json/pointer`, `#anchor`) against the document's own root. Keywords
 * beside a `$ref` apply too, so they are merged into the target; when they clash with the target's
 * own, the two become an `allOf`. A `$ref` that cannot be resolved stays, compared as a keyword.
 */
function deref(node: unknown, root: JsonSchema): JsonSchema {
  if (typeof node === 'boolean') return node;
  if (!isObject(node)) return true;
  let current: unknown = node;
  const seen = new Set<string>();
  const siblings: SchemaObject[] = [];
  while (isObject(current) && typeof current.$ref === 'string') {
    const ref = current.$ref;
    const target = seen.has(ref) ? true : resolveRef(root, ref); // a loop of bare refs: anything
    if (target === undefined) break;
    seen.add(ref);
    const rest = { ...current };
    delete rest.$ref;
    if (Object.keys(rest).some((k) => !IGNORED.has(k))) siblings.push(rest);
    current = target;
  }
  let result: JsonSchema = typeof current === 'boolean' ? current : isObject(current) ? current : true;
  for (const sibling of siblings.reverse()) result = merge(result, sibling);
  return result;
}

function merge(target: JsonSchema, extra: SchemaObject): JsonSchema {
  if (target === false) return false;
  if (target === true) return extra;
  const merged: SchemaObject = { ...target };
  for (const [keyword, value] of Object.entries(extra)) {
    if (IGNORED.has(keyword) || deepEqual(merged[keyword], value)) continue;
    if (!hasOwn(merged, keyword)) {
      merged[keyword] = value;
    } else if (keyword === 'required') {
      merged.required = [...new Set([...asStrings(merged.required), ...asStrings(value)])];
    } else if (
      keyword === 'properties' &&
      Object.keys(asObject(value)).every((name) => !hasOwn(asObject(merged.properties), name))
    ) {
      merged.properties = { ...asObject(merged.properties), ...asObject(value) };
    } else {
      return { allOf: [target, extra] };
    }
  }
  return merged;
}

function resolveRef(root: JsonSchema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const fragment = safeDecode(ref.slice(1));
  if (fragment === undefined) return undefined;
  if (fragment === '') return root;
  if (!fragment.startsWith('/')) return findAnchor(root, fragment);
  let node: unknown = root;
  for (const raw of fragment.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(segment)) node = node[Number(segment)];
    else if (isObject(node) && hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

function findAnchor(root: unknown, anchor: string): unknown {
  const seen = new Set<unknown>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    if (!Array.isArray(node) && ((node as SchemaObject).$anchor === anchor || (node as SchemaObject).$dynamicAnchor === anchor)) {
      return node;
    }
    stack.push(...(Object.values(node) as unknown[]));
  }
  return undefined;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function normalizeType(type: unknown): string[] | undefined {
  if (type === undefined) return undefined;
  const list = Array.isArray(type) ? type : [type];
  return [...new Set(list.map(String))].sort();
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function describeType(type: string[] | undefined): string {
  return type === undefined ? 'any' : type.join(' or ');
}

function show(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}

/** JSON text with object keys sorted: equal for deep-equal values. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return canonical(a) === canonical(b);
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): SchemaObject {
  return isObject(value) ? value : {};
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function hasOwn(object: SchemaObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function dedupe(breaks: SchemaBreak[]): SchemaBreak[] {
  const seen = new Set<string>();
  return breaks.filter((b) => {
    const key = `${b.path}\u0000${b.change}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
