/**
 * JSON Schema (draft 2020-12) validation. Each schema is compiled once and cached by the
 * definition object it belongs to, so the hot path only runs compiled code.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { ErrorDetail } from '../errors.js';
import type { ActionDefinition, JsonSchema } from './definition.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

export type Validator = (value: unknown) => ErrorDetail[] | null;

function createAjv(): Ajv2020 {
  // allErrors: a developer gets every problem at once, each with its JSON pointer.
  // strict: false: unknown keywords (`examples`, vendor annotations) are annotations, not errors.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

const ajv = createAjv();

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

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function wrap(validate: ValidateFunction): Validator {
  return (value) => (validate(value) ? null : (validate.errors ?? []).map(describe));
}

/** Compiles a schema; throws an Error whose message says what is wrong when it is not valid. */
export function compileSchema(schema: JsonSchema): Validator {
  return wrap(ajv.compile(schema));
}

/** Returns the problems of a schema as JSON Schema 2020-12, or null when it is valid. */
export function schemaProblems(schema: unknown): string | null {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    return 'a schema must be an object or a boolean';
  }
  try {
    ajv.compile(schema as JsonSchema);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface CompiledAction {
  definition: ActionDefinition;
  validateData: Validator;
  /** Present for request actions. */
  validateResponse: Validator | undefined;
}

/** Compiled actions by their definition's JSON: a catalogue rebuilt from the store (after every
 * admin write, and on notice from another process) gets new objects for the same definitions, and
 * must not compile them all again. Bounded; the oldest entries go first. */
const cache = new Map<string, CompiledAction>();
const CACHE_MAX = 2000;

/** The compiled validators of a definition, compiled the first time its content is seen. */
export function compileAction(definition: ActionDefinition): CompiledAction {
  const key = JSON.stringify(definition);
  let compiled = cache.get(key);
  if (compiled === undefined) {
    compiled = {
      definition,
      validateData: compileSchema(definition.dataSchema),
      validateResponse:
        definition.responseSchema === undefined ? undefined : compileSchema(definition.responseSchema),
    };
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
  }
  return compiled;
}
