/**
 * The action definitions the CLI works with: from the built-in catalogue (catalog/*.json, with
 * their examples), or from a running hub's admin API (`--hub URL --admin-token T`; a hub's
 * definitions carry no examples, so only generated values are used for them).
 */
import { loadBuiltinCatalog } from '../catalog/builtin.js';
import type { ActionDefinition, ActionExamples } from '../catalog/definition.js';
import { UsageError } from './output.js';
import { excerpt, requestHub } from './reach.js';

export interface ActionVersion {
  definition: ActionDefinition;
  examples: ActionExamples | undefined;
}

export interface ActionSource {
  hub?: string;
  adminToken?: string;
}

/** The action's version asked for, or its highest; throws a UsageError when there is none. */
export async function findAction(id: string, version: number | undefined, source: ActionSource): Promise<ActionVersion> {
  const versions = await actionVersions(id, source);
  const chosen =
    version === undefined
      ? versions.reduce((a, b) => (b.definition.version > a.definition.version ? b : a))
      : versions.find((v) => v.definition.version === version);
  if (chosen === undefined) throw new UsageError(`"${id}" has no version ${version} (versions: ${versions.map((v) => v.definition.version).join(', ')})`);
  return chosen;
}

/** Every version of the action; throws a UsageError when there is none. */
export async function actionVersions(id: string, source: ActionSource): Promise<ActionVersion[]> {
  const versions = source.hub === undefined ? builtinVersions(id) : await hubVersions(id, source.hub, source.adminToken);
  if (versions.length === 0)
    throw new UsageError(
      `unknown action "${id}"${source.hub === undefined ? " in the built-in catalogue (use --hub for a hub's actions)" : ` on ${source.hub}`}`,
    );
  return versions;
}

function builtinVersions(id: string): ActionVersion[] {
  return loadBuiltinCatalog()
    .filter((file) => file.id === id)
    .map(({ examples, ...definition }) => ({ definition, examples }));
}

async function hubVersions(id: string, hub: string, adminToken: string | undefined): Promise<ActionVersion[]> {
  if (adminToken === undefined) throw new UsageError('--hub needs --admin-token to read action definitions');
  const path = `/v1/admin/actions/${encodeURIComponent(id)}`;
  const res = await requestHub(hub, path, { headers: { authorization: `Bearer ${adminToken}` } });
  let body: { versions?: (ActionDefinition & { builtin?: boolean; updatedAt?: string })[] } & Partial<HubRefusal>;
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    body = {};
  }
  if (res.status !== 200) {
    // A hub answers in its error format (a 404: no such action); anything else there is no hub.
    if (!isHubRefusal(body)) throw new Error(`${hub} is not an API Hub: GET ${path} answered ${res.status}: ${excerpt(res.text)}`);
    if (res.status === 404) return [];
    throw new Error(`the hub at ${hub} refused GET ${path}: ${res.status} ${body.name ?? ''}: ${body.error} (request id ${body.requestId})`);
  }
  if (!Array.isArray(body.versions)) throw new Error(`${hub} is not an API Hub: GET ${path} answered 200 with ${excerpt(res.text)}`);
  return body.versions.map(({ builtin: _builtin, updatedAt: _updatedAt, ...definition }) => ({ definition, examples: undefined }));
}

interface HubRefusal {
  status: number;
  name?: string;
  error: string;
  requestId: string;
}

function isHubRefusal(body: Partial<HubRefusal>): body is HubRefusal {
  return typeof body.status === 'number' && typeof body.error === 'string' && typeof body.requestId === 'string';
}
