import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isActionId } from '../src/catalog/action-id.js';
import { catalogDir, loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { Catalog } from '../src/catalog/catalog.js';
import type { CatalogFile, JsonSchema } from '../src/catalog/definition.js';
import { compileAction, schemaProblems } from '../src/catalog/validators.js';

const EXPECTED_IDS = [
  '@layers:Posts:getUpdatedAfter',
  '@layers:Events:getUpdatedAfter',
  '@layers:Documents:getRelated',
  '@layers:Calendar:getRelated',
  '@layers:education:AcademicRecords:getRelated',
  '@layers:education:AcademicRecords:markRecordsAsViewed',
  '@layers:education:Attendance:getRelated',
  '@layers:education:GradeBooks:getRelated',
  '@layers:education:Timetables:getRelated',
  '@layers:getHomeInfo',
  '@layers:health:MedicalRecord:getRelated',
  '@layers:payments:Payables:getRelated',
  '@layers:payments:Tabs:getRelated',
  '@layers:payments:Items:getRelated',
  '@layers:data:Users:getUpdatedAfter',
  '@layers:data:Members:getUpdatedAfter',
  '@layers:data:Groups:getUpdatedAfter',
  '@layers:data:Components:getUpdatedAfter',
  '@layers:data:Users:getByAliases',
  '@layers:data:Members:getByAliases',
  '@layers:data:Groups:getByAliases',
  '@layers:data:Components:getByAliases',
  '@layers:data:Check',
  '@layers:education:Entrance:getRelated',
  '@layers:education:Entrance:getUpdatedAfter',
  '@layers:education:Entrance:created',
];

const EVENT_IDS = new Set(['@layers:education:Entrance:created']);

/** What consumers in the field send: only these three user fields. */
const REAL_CLIENT_USER = { id: '61b087e1a608106241d30a8a', name: 'Carla Mendes', alias: 'carla.mendes' };

const catalog = loadBuiltinCatalog();
const layersDir = join(catalogDir(), 'layers');

function find(id: string): CatalogFile {
  const file = catalog.find((f) => f.id === id);
  if (file === undefined) throw new Error(`${id} is not in the catalogue`);
  return file;
}

function expectedFileName(file: CatalogFile): string {
  return `${file.id.replace(/^@layers:/, '').replace(/:/g, '.')}.v${file.version}.json`;
}

function hasUserProperty(schema: JsonSchema): boolean {
  if (typeof schema === 'boolean') return false;
  const props = schema.properties as Record<string, unknown> | undefined;
  return props !== undefined && 'user' in props;
}

const show = (value: unknown): string => JSON.stringify(value)?.slice(0, 80) ?? String(value);

interface ExampleCase {
  id: string;
  label: string;
  value: unknown;
}

function exampleCases(part: 'data' | 'response', valid: boolean): ExampleCase[] {
  return catalog.flatMap((file) => {
    const set = file.examples[part];
    if (set === undefined) return [];
    const list = valid ? set.valid : set.invalid;
    return list.map((value, i) => ({ id: file.id, label: `#${i} ${show(value)}`, value }));
  });
}

describe('built-in Layers catalogue', () => {
  it('holds exactly the expected action ids, each once', () => {
    const ids = catalog.map((f) => f.id).sort();
    expect(ids).toEqual([...EXPECTED_IDS].sort());
  });

  it('has one JSON file per action version under catalog/layers', () => {
    const names = readdirSync(layersDir)
      .filter((n) => n.endsWith('.json'))
      .sort();
    expect(names).toEqual(catalog.map(expectedFileName).sort());
  });

  it.each(catalog.map((f) => [f.id, f] as const))('%s: id, version, kind and texts are well formed', (_id, file) => {
    expect(isActionId(file.id), `${file.id} must pass isActionId`).toBe(true);
    expect(Number.isInteger(file.version) && file.version >= 1).toBe(true);
    expect(file.version).toBe(1);
    expect(file.kind).toBe(EVENT_IDS.has(file.id) ? 'event' : 'request');
    expect(file.title.length).toBeGreaterThan(0);
    expect((file.description ?? '').length).toBeGreaterThan(0);
  });

  it.each(catalog.map((f) => [f.id, f] as const))('%s: schemas are 2020-12 and compile', (_id, file) => {
    expect(typeof file.dataSchema === 'object' && file.dataSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schemaProblems(file.dataSchema)).toBeNull();
    if (file.responseSchema !== undefined) {
      expect(typeof file.responseSchema === 'object' && file.responseSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schemaProblems(file.responseSchema)).toBeNull();
    }
    expect(() => compileAction(file)).not.toThrow();
  });

  it('compiles a definition once: a rebuilt catalogue reuses the validators of equal copies, as a reload from the store makes', () => {
    const file = catalog[0]!;
    const stored = (title: string) => [{ ...structuredClone(file), title, createdAt: 1, updatedAt: 1 }];
    const first = Catalog.from([], stored(file.title));
    const again = Catalog.from([], stored(file.title), { previous: first });
    expect(again.get(file.id, file.version)!.validateData).toBe(first.get(file.id, file.version)!.validateData);
    const changed = Catalog.from([], stored('changed'), { previous: again });
    expect(changed.get(file.id, file.version)!.validateData).not.toBe(again.get(file.id, file.version)!.validateData);
  });

  it.each(catalog.map((f) => [f.id, f] as const))('%s: response schema and examples match the kind', (_id, file) => {
    expect(file.examples.data.valid.length).toBeGreaterThan(0);
    expect(file.examples.data.invalid.length).toBeGreaterThan(0);
    if (file.kind === 'request') {
      expect(file.responseSchema).toBeDefined();
      expect(file.coalesce).toBeUndefined();
      expect(file.examples.response?.valid.length ?? 0).toBeGreaterThan(0);
      expect(file.examples.response?.invalid.length ?? 0).toBeGreaterThan(0);
    } else {
      expect(file.responseSchema).toBeUndefined();
      expect(file.examples.response).toBeUndefined();
      expect(file.timeoutMs).toBeUndefined();
    }
  });

  it('Entrance:created is an event whose deliveries may merge', () => {
    const created = find('@layers:education:Entrance:created');
    expect(created.kind).toBe('event');
    expect(created.coalesce).toBe(true);
  });
});

describe('catalogue examples', () => {
  it.each(exampleCases('data', true))('$id accepts data $label', ({ id, value }) => {
    expect(compileAction(find(id)).validateData(value)).toBeNull();
  });

  it.each(exampleCases('data', false))('$id rejects data $label', ({ id, value }) => {
    expect(compileAction(find(id)).validateData(value)).not.toBeNull();
  });

  it.each(exampleCases('response', true))('$id accepts response $label', ({ id, value }) => {
    const validate = compileAction(find(id)).validateResponse;
    expect(validate).toBeDefined();
    expect(validate?.(value)).toBeNull();
  });

  it.each(exampleCases('response', false))('$id rejects response $label', ({ id, value }) => {
    const validate = compileAction(find(id)).validateResponse;
    expect(validate).toBeDefined();
    expect(validate?.(value)).not.toBeNull();
  });
});

describe('compatibility with real Layers clients', () => {
  const withUser = catalog.filter((f) => hasUserProperty(f.dataSchema));

  it('covers the actions that take a user', () => {
    expect(withUser.map((f) => f.id)).toEqual(
      expect.arrayContaining([
        '@layers:Calendar:getRelated',
        '@layers:getHomeInfo',
        '@layers:education:AcademicRecords:markRecordsAsViewed',
        '@layers:payments:Items:getRelated',
        '@layers:education:Entrance:getRelated',
      ]),
    );
  });

  it.each(withUser.map((f) => [f.id, f] as const))('%s accepts a user with only id, name and alias', (_id, file) => {
    const { validateData } = compileAction(file);
    // Other required fields (channel, groupId, …) come from the first valid example; only the user is swapped.
    const base = file.examples.data.valid.find((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    expect(base).toBeDefined();
    expect(validateData({ ...(base as Record<string, unknown>), user: REAL_CLIENT_USER })).toBeNull();

    const required = typeof file.dataSchema === 'object' ? (file.dataSchema.required as string[] | undefined) : [];
    if ((required ?? []).every((name) => name === 'user')) {
      expect(validateData({ user: REAL_CLIENT_USER })).toBeNull();
    }
  });

  it('markRecordsAsViewed accepts both recordsIds and recordIds, and needs one of them', () => {
    const { validateData } = compileAction(find('@layers:education:AcademicRecords:markRecordsAsViewed'));
    const base = { user: REAL_CLIENT_USER, groupId: 'RA-2231' };
    expect(validateData({ ...base, recordsIds: ['rec-1'] })).toBeNull();
    expect(validateData({ ...base, recordIds: ['rec-1'] })).toBeNull();
    expect(validateData(base)).not.toBeNull();
  });

  it.each(['@layers:education:AcademicRecords:markRecordsAsViewed', '@layers:data:Check'])('%s accepts an empty provider body (null)', (id) => {
    const validate = compileAction(find(id)).validateResponse;
    expect(validate?.(null)).toBeNull();
  });

  // The store actions answer `catalogTabs` / `items` + `lists` instead.
  const STORE_IDS = new Set(['@layers:payments:Tabs:getRelated', '@layers:payments:Items:getRelated']);

  it('@layers:data:* answer under `data`, the others under `result` where they list records', () => {
    for (const file of catalog) {
      if (file.kind !== 'request' || typeof file.responseSchema !== 'object') continue;
      const props = (file.responseSchema.properties ?? {}) as Record<string, unknown>;
      if (file.id.startsWith('@layers:data:') && file.id !== '@layers:data:Check') {
        expect(Object.keys(props), file.id).toContain('data');
      } else if (/:get(Related|UpdatedAfter)$/.test(file.id) && !STORE_IDS.has(file.id)) {
        expect(Object.keys(props), file.id).toContain('result');
      }
    }
  });
});
