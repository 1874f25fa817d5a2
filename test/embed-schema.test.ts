/**
 * embedSchema on the corners of JSON Schema identifiers: what must be rewritten is, what is data
 * (a property named `$id`, a `$ref` inside `const`) is not, and the result means what the original
 * did once placed in a document, as checked by Ajv reading it from the document's root.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { embedSchema } from '../src/catalog-docs/embed-schema.js';

const AT = ['components', 'schemas', 'a.b.v1.data'];

/** Validates against the embedded schema, read from a document's root. */
function placed(schema: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ components: { schemas: { 'a.b.v1.data': embedSchema(schema, AT) } } }, 'doc');
  const validate = ajv.compile({ $ref: 'doc#/components/schemas/a.b.v1.data' });
  return (value: unknown) => validate(value);
}

describe('embedSchema', () => {
  it('rewrites pointers whose keys need escaping, and leaves data alone', () => {
    const schema = {
      $id: 'https://acme.example/x.json',
      properties: {
        $id: { $ref: '#/$defs/a~1b%25c~0d' },
        fixed: { const: { $ref: '#/not/a/reference', $id: 'data' } },
      },
      $defs: { 'a/b%c~d': { type: 'integer' } },
    };
    const embedded = embedSchema(schema, AT) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(embedded.$id).toBeUndefined();
    expect(embedded.properties.$id).toEqual({ $ref: '#/components/schemas/a.b.v1.data/$defs/a~1b%25c~0d' });
    expect(embedded.properties.fixed).toEqual({ const: { $ref: '#/not/a/reference', $id: 'data' } });
    const validate = placed(schema);
    expect(validate({ $id: 3, fixed: { $ref: '#/not/a/reference', $id: 'data' } })).toBe(true);
    expect(validate({ $id: 'three' })).toBe(false);
  });

  it('turns a $dynamicRef into a $ref to its anchor, and keeps references outside the schema', () => {
    const schema = {
      $id: 'https://acme.example/tree.json',
      $dynamicAnchor: 'node',
      type: 'object',
      properties: { children: { type: 'array', items: { $dynamicRef: '#node' } }, meta: { $ref: 'https://json-schema.org/draft/2020-12/schema' } },
    };
    const embedded = embedSchema(schema, AT) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(embedded.properties.children.items).toEqual({ $ref: '#/components/schemas/a.b.v1.data' });
    expect(embedded.properties.meta).toEqual({ $ref: 'https://json-schema.org/draft/2020-12/schema' });
    expect(embedded.$dynamicAnchor).toBeUndefined();
    const validate = placed({ ...schema, properties: { children: schema.properties.children } });
    expect(validate({ children: [{ children: [] }] })).toBe(true);
    expect(validate({ children: [{ children: [3] }] })).toBe(false);
  });

  it('resolves against a URN id, and leaves boolean schemas and the original untouched', () => {
    expect(embedSchema(true, AT)).toBe(true);
    const schema = { $id: 'urn:x', $defs: { a: { type: 'string' } }, $ref: '#/$defs/a' };
    const copy = structuredClone(schema);
    expect(embedSchema(schema, AT)).toEqual({ $defs: { a: { type: 'string' } }, $ref: '#/components/schemas/a.b.v1.data/$defs/a' });
    expect(schema).toEqual(copy);
  });
});
