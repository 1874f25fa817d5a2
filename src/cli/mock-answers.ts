/**
 * What the mock provider answers, with no I/O: for a request action and its data, a response
 * that matches the response schema, the same for the same seed, action, version and data. Taken
 * from the action's valid response examples when it has some, otherwise generated from the
 * response schema (schema-sample.ts) and checked by the hub's validators.
 */
import { createHash } from 'node:crypto';
import { compileAction, type CompiledAction } from '../catalog/validators.js';
import type { ErrorDetail } from '../errors.js';
import type { ActionVersion } from './actions.js';
import { sampleFromSchema, seededRandom } from './schema-sample.js';

export type MockAnswer = { status: 200; body: unknown } | { status: 400 | 404 | 500; body: { error: string; details?: ErrorDetail[] } };

interface MockedVersion {
  action: ActionVersion;
  compiled: CompiledAction;
}

export class MockAnswers {
  private readonly versions = new Map<string, MockedVersion>();

  constructor(
    actions: readonly ActionVersion[],
    private readonly seed: number,
  ) {
    for (const action of actions)
      this.versions.set(key(action.definition.id, action.definition.version), { action, compiled: compileAction(action.definition) });
  }

  answer(actionId: string, version: number, data: unknown): MockAnswer {
    const mocked = this.versions.get(key(actionId, version));
    if (mocked === undefined) return { status: 404, body: { error: `this mock does not answer "${actionId}" version ${version}` } };
    const problems = mocked.compiled.validateData(data);
    if (problems !== null)
      return { status: 400, body: { error: `the data does not match the request schema of "${actionId}" version ${version}`, details: [...problems] } };
    // One number from the seed, the action and the data: the same question, the same answer.
    const digest = createHash('sha256')
      .update(`${this.seed}\n${actionId}\n${version}\n${JSON.stringify(data)}`)
      .digest();
    const examples = mocked.action.examples?.response?.valid ?? [];
    if (examples.length > 0) return { status: 200, body: examples[digest.readUInt32LE(0) % examples.length] };
    const generated = sampleFromSchema(mocked.action.definition.responseSchema ?? true, seededRandom(digest.readInt32LE(4)));
    if (mocked.compiled.validateResponse?.(generated) === null) return { status: 200, body: generated };
    return { status: 500, body: { error: `the mock cannot generate a valid answer of "${actionId}" from its schema; add response examples` } };
  }
}

const key = (id: string, version: number) => `${id}@${version}`;
