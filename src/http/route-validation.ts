/**
 * The validator compiler of the route schemas (Fastify's `setValidatorCompiler`): JSON Schema
 * 2020-12, as OpenAPI 3.1 and the catalogue speak it. Path and query parameters are text, so
 * their validator coerces (`?limit=5` is the integer 5; a value given once where a list is
 * expected is a list of one); bodies are JSON, validated as sent: `{"label": 5}` is not a string.
 * `verbose` hands the failing schema to the error handler, which words the error with its
 * `x-hub-error`; nothing is removed or defaulted inside a body.
 */
import { Ajv2020, type Options } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { HUB_ERROR_KEYWORD } from './route-schemas.js';

const common: Options = { allErrors: false, verbose: true, allowUnionTypes: true, keywords: [HUB_ERROR_KEYWORD] };

export function registerRouteValidation(app: FastifyInstance): void {
  const parameters = new Ajv2020({ ...common, coerceTypes: 'array', useDefaults: true });
  const bodies = new Ajv2020({ ...common, coerceTypes: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : parameters).compile(schema));
}
