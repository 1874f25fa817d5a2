/**
 * JSON Schema (draft 2020-12) validation, safe with schemas an operator writes. Every schema is
 * compiled by an Ajv instance of its own: a schema's `$id` and the ids inside it live in that
 * instance only, so any valid schema compiles any number of times, beside any other, and dropping
 * a validator frees everything Ajv kept for it (docs/schemas.md).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { ErrorDetail } from '../errors.js';
import type { ActionDefinition, JsonSchema } from './definition.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

export type Validator = (value: unknown) => ErrorDetail[] | null;

function newAjv(): Ajv2020 {
  // allErrors: a developer gets every problem at once, each with its JSON pointer.
  // strict: false: unknown keywords (`examples`, vendor annotations) are annotations, not errors.
  // validateSchema: false: schemas are checked once, against the meta-schema, by `metaAjv`.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, validateSchema: false });
  addFormats(ajv);
  return ajv;
}

/** Checks schemas against the 2020-12 meta-schema; compiles nothing else, so it holds nothing. */
const metaAjv = newAjv();

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
  return wrap(newAjv().compile(schema));
}

/** Returns the problems of a schema as JSON Schema 2020-12, or null when it is valid. */
export function schemaProblems(schema: unknown): string | null {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    return 'a schema must be an object or a boolean';
  }
  try {
    if (!metaAjv.validateSchema(schema as JsonSchema)) return metaAjv.errorsText(metaAjv.errors);
    compileSchema(schema as JsonSchema);
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

/** Compiles the validators of a definition; throws when a schema does not compile. */
export function compileAction(definition: ActionDefinition): CompiledAction {
  return {
    definition,
    validateData: compileSchema(definition.dataSchema),
    validateResponse: definition.responseSchema === undefined ? undefined : compileSchema(definition.responseSchema),
  };
}
