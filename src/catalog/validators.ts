/**
 * JSON Schema (draft 2020-12) validation, safe with schemas an operator writes and documents anyone
 * sends. The design (docs/schemas.md):
 * - every schema is compiled by an Ajv instance of its own: a schema's `$id` and the ids inside it
 *   live in that instance only, so any valid schema compiles any number of times, beside any other,
 *   and dropping a validator frees everything Ajv kept for it;
 * - `pattern` and `patternProperties` run on RE2 (re2js), whose matching time is linear in the
 *   input; a pattern RE2 cannot run (lookaround, backreferences) is refused when compiling;
 * - the hot path runs a first-error validator; the detailed list of problems is looked for only
 *   in a document of a bounded size, and only the first MAX_ERROR_DETAILS problems are described.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { setFlagsFromString } from 'node:v8';
import { RE2JS } from 're2js';
import { MAX_ERROR_DETAILS, type ErrorDetail, type ErrorDetails } from '../errors.js';
import { addFormats } from './ajv-formats.js';
import type { ActionDefinition, JsonSchema } from './definition.js';
import { escapePointer } from './json-pointer.js';

// Ajv compiles each schema with `new Function`, and V8 keeps the source and code of every large
// one in its compilation cache, unused and for ever (1,000 functions of 400 lines: 60 MB that no
// GC frees): with it, a replaced definition's validators would never be freed. Only `eval` and
// `new Function` of a source seen before lose from this; the hub compiles each schema once.
setFlagsFromString('--no-compilation-cache');

/** The problems of a document, or null when it is valid. */
export type Validator = (value: unknown) => ErrorDetails | null;

/** A document of more values than this (objects, arrays and scalars) gets its first problem only:
 * listing every problem is work in proportion to the problems, which a large document has by the
 * hundred thousand. Below it, a full pass costs about what validating a valid document does. */
const DETAILED_VALUES_MAX = 5_000;

/** Largest RE2 program of a pattern. RE2's time is linear in the input, times the size of the
 * program when its DFA gives up: 1 MiB against (\w+\s?){1,150}x$ (1,053 instructions) takes
 * 43 ms, against {1,1000} (7,003) 73 s. Counted repetitions are what makes programs this large. */
const PATTERN_PROGRAM_MAX = 1_000;

/** Ajv's `code.regExp`: patterns compiled by RE2, translated from ECMAScript syntax. */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (err) {
      const reason = (err as Error).message.replace(/^error parsing regexp: /, '');
      throw new Error(`pattern "${pattern}" cannot run on RE2, the hub's linear-time engine: ${reason}`);
    }
    const size = compiled.programSize();
    if (size > PATTERN_PROGRAM_MAX) {
      throw new Error(`pattern "${pattern}" is too complex: ${size} RE2 instructions, over ${PATTERN_PROGRAM_MAX} (use smaller repetition counts)`);
    }
    // Ajv shares one compiled pattern between the places that use it, keyed by toString().
    return { test: (text: string) => compiled.test(text), toString: () => `/${pattern}/${flags}` };
  },
  // Used only by Ajv's standalone code generation, which the hub does not use.
  { code: 're2js' },
);

/** ajv-formats' `url` backtracks in quadratic time (20,000 characters: 0.2 s; 80,000: 3 s). The
 * same expression on RE2, without its three lookaheads (which exclude private IPv4 ranges, and
 * which RE2 cannot run). Throws at start-up if ajv-formats changes the expression. */
const linearUrl = (() => {
  const source = fullFormats.url instanceof RegExp ? fullFormats.url.source : '';
  const lookaheads = /\(\?!\(\?:10\|127\).*?\(\?!172\\\..*?\{2\}\)/.exec(source);
  if (lookaheads === null) throw new Error('ajv-formats: unexpected `url` expression');
  const compiled = RE2JS.compile(RE2JS.translateRegExp(source.replace(lookaheads[0], '')), RE2JS.CASE_INSENSITIVE);
  return (text: string) => compiled.test(text);
})();

function newAjv(allErrors: boolean): Ajv2020 {
  // strict: false: unknown keywords (`examples`, vendor annotations) are annotations, not errors.
  // validateSchema: false: schemas are checked once, against the meta-schema, by `metaAjv`.
  const ajv = new Ajv2020({ allErrors, strict: false, validateFormats: true, validateSchema: false, code: { regExp: linearRegExp } });
  addFormats(ajv);
  ajv.addFormat('url', linearUrl);
  return ajv;
}

/** Checks schemas against the 2020-12 meta-schema; compiles nothing else, so it holds nothing.
 * First error only: an answer has room for one sentence about a schema. */
const metaAjv = newAjv(false);

/** Human sentence for one Ajv error, naming the offending field. */
function describe(error: ErrorObject): ErrorDetail {
  const params = error.params as Record<string, unknown>;
  let pointer = error.instancePath;
  let message = error.message ?? 'is invalid';
  switch (error.keyword) {
    case 'required':
      pointer = `${pointer}/${escapePointer(String(params.missingProperty))}`;
      message = 'is required';
      break;
    case 'additionalProperties':
      pointer = `${pointer}/${escapePointer(String(params.additionalProperty))}`;
      message = 'is not allowed here';
      break;
    case 'enum':
      message = `must be one of ${JSON.stringify(params.allowedValues)}`;
      break;
  }
  return { pointer, message, keyword: error.keyword };
}

/** Whether `root` holds at most `max` values, found without looking at more than that. */
function holdsAtMost(root: unknown, max: number): boolean {
  const pending: unknown[] = [root];
  let seen = 0;
  while (pending.length > 0) {
    const value = pending.pop();
    seen += 1;
    if (typeof value !== 'object' || value === null) continue;
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    if (seen + pending.length + children.length > max) return false;
    pending.push(...children);
  }
  return true;
}

/** The first MAX_ERROR_DETAILS problems, described, with the count of the others. */
function problemsOf(errors: readonly ErrorObject[], counted: boolean): ErrorDetails {
  const details: ErrorDetails = errors.slice(0, MAX_ERROR_DETAILS).map(describe);
  details.unlisted = counted ? errors.length - details.length : 'uncounted';
  return details;
}

/** Compiles a schema; throws an Error whose message says what is wrong when it is not valid. */
export function compileSchema(schema: JsonSchema): Validator {
  const firstError = newAjv(false).compile(schema);
  // Compiled the first time a small enough document fails: most schemas never need it.
  let allErrors: ValidateFunction | undefined;
  return (value) => {
    if (firstError(value)) return null;
    if (!holdsAtMost(value, DETAILED_VALUES_MAX)) return problemsOf(firstError.errors ?? [], false);
    allErrors ??= newAjv(true).compile(schema);
    allErrors(value);
    return problemsOf(allErrors.errors ?? firstError.errors ?? [], true);
  };
}

/** What is wrong in a schema: where (a JSON pointer into the schema, '' for the whole) and why. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

/** Returns the problems of a schema as JSON Schema 2020-12, or null when it is valid. */
export function schemaProblems(schema: unknown): SchemaProblem[] | null {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    return [{ pointer: '', message: 'a schema must be an object or a boolean' }];
  }
  try {
    if (!metaAjv.validateSchema(schema)) return metaSchemaProblems(metaAjv.errors ?? []);
    compileSchema(schema as JsonSchema);
    return null;
  } catch (err) {
    return [{ pointer: '', message: (err as Error).message }];
  }
}

/** The meta-schema's errors, one per place: the first says it (an `anyOf` of the meta-schema, such
 * as `type`'s name-or-list, adds an error per branch that says nothing more), an `enum` with its
 * allowed values. */
function metaSchemaProblems(errors: ErrorObject[]): SchemaProblem[] {
  const byPointer = new Map<string, string>();
  for (const error of errors) {
    if (byPointer.has(error.instancePath)) continue;
    const allowed = error.keyword === 'enum' ? (error.params as { allowedValues?: unknown[] }).allowedValues : undefined;
    byPointer.set(error.instancePath, allowed ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` : (error.message ?? 'is not valid'));
  }
  return [...byPointer].map(([pointer, message]) => ({ pointer, message }));
}

export interface CompiledAction {
  definition: ActionDefinition;
  validateData: Validator;
  /** Present for request actions. */
  validateResponse: Validator | undefined;
}

/** Compiles the validators of a definition; throws when a schema does not compile. */
export function compileAction(definition: ActionDefinition): CompiledAction {
  return {
    definition,
    validateData: compileSchema(definition.dataSchema),
    validateResponse: definition.responseSchema === undefined ? undefined : compileSchema(definition.responseSchema),
  };
}
