/**
 * The catalogue as the hub runs it: built-in definitions from `catalog/`, overlaid by the
 * operator's, stored. Definitions go through here so the compatibility rule of in-place changes
 * is applied in one place.
 */
import type { Logger } from 'pino';
import type { ActionStatus, CatalogStore } from '../store/store.js';
import { loadBuiltinCatalog } from './builtin.js';
import { Catalog } from './catalog.js';
import { findActionBreaks, type SchemaBreak } from './compatibility.js';
import type { ActionDefinition } from './definition.js';
import { compileAction } from './validators.js';

export type DefineResult =
  | { outcome: 'created' | 'replaced' }
  | { outcome: 'incompatible'; breaks: SchemaBreak[] }
  | { outcome: 'kind-mismatch'; kind: string };

export class CatalogService {
  private readonly builtins: ActionDefinition[];
  private catalog: Catalog;

  constructor(
    private readonly store: CatalogStore,
    builtins: ActionDefinition[] = loadBuiltinCatalog(),
    private readonly log?: Logger,
  ) {
    this.builtins = builtins;
    this.catalog = Catalog.from(builtins, []);
  }

  get current(): Catalog {
    return this.catalog;
  }

  /** Rebuilds the catalogue from the store. A stored definition that does not compile (written
   * by another version of the hub, say) is logged and left out: it must not stop every admin write. */
  async reload(): Promise<void> {
    const [stored, statuses] = await Promise.all([this.store.listActions(), this.store.listActionStatuses()]);
    this.catalog = Catalog.from(this.builtins, stored, {
      previous: this.catalog,
      statuses,
      skipped: (definition, err) =>
        this.log?.error({ action: definition.id, version: definition.version, err }, 'stored action definition does not compile; left out of the catalogue'),
    });
  }

  /** Defines or replaces one action version. An incompatible replacement is refused unless forced. */
  async define(definition: ActionDefinition, options: { force: boolean; now?: number }): Promise<DefineResult> {
    const now = options.now ?? Date.now();
    const existing = this.catalog.get(definition.id, definition.version);
    const kind = this.catalog.kindOf(definition.id);
    if (existing === undefined && kind !== undefined && kind !== definition.kind) {
      return { outcome: 'kind-mismatch', kind };
    }
    if (existing !== undefined && !options.force) {
      const breaks = findActionBreaks(existing.definition, definition);
      if (breaks.length > 0) return { outcome: 'incompatible', breaks };
    }
    const createdAt = existing?.createdAt ?? now;
    // Compiled before it is stored: a definition that does not compile stores nothing.
    const compiled = compileAction(definition);
    await this.store.putAction({ ...definition, builtin: false, createdAt, updatedAt: now });
    // A redefined version keeps its status: deprecating is not undone by fixing a description.
    this.catalog.set(compiled, { builtin: false, createdAt, updatedAt: now, ...(existing && { status: existing.status, statusChangedAt: existing.statusChangedAt }) });
    return { outcome: existing === undefined ? 'created' : 'replaced' };
  }

  /** Sets the status of a version the catalogue holds; setting the one it has changes nothing (a
   * deprecation keeps its first date). Null when the catalogue has no such version. The caller
   * rebuilds the catalogue (here and in the other processes) after it. */
  async setStatus(id: string, version: number, status: ActionStatus, now = Date.now()): Promise<'changed' | 'unchanged' | null> {
    const entry = this.catalog.get(id, version);
    if (entry === undefined) return null;
    if (entry.status === status) return 'unchanged';
    await this.store.putActionStatus({ action: id, version, status, changedAt: now });
    return 'changed';
  }
}
