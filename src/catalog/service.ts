/**
 * The catalogue as the hub runs it: built-in definitions from `catalog/`, overlaid by the
 * operator's, stored. Definitions go through here so the compatibility rule of in-place changes
 * is applied in one place.
 */
import type { Store } from '../store/store.js';
import { loadBuiltinCatalog } from './builtin.js';
import { Catalog } from './catalog.js';
import { findActionBreaks, type SchemaBreak } from './compatibility.js';
import type { ActionDefinition } from './definition.js';

export type DefineResult =
  | { outcome: 'created' | 'replaced' }
  | { outcome: 'incompatible'; breaks: SchemaBreak[] }
  | { outcome: 'kind-mismatch'; kind: string };

export class CatalogService {
  private readonly builtins: ActionDefinition[];
  private catalog: Catalog;

  constructor(
    private readonly store: Store,
    builtins: ActionDefinition[] = loadBuiltinCatalog(),
  ) {
    this.builtins = builtins;
    this.catalog = Catalog.from(builtins, []);
  }

  get current(): Catalog {
    return this.catalog;
  }

  async reload(): Promise<void> {
    this.catalog = Catalog.from(this.builtins, await this.store.listActions());
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
    const createdAt = existing?.createdAt || now;
    await this.store.putAction({ ...definition, builtin: false, createdAt, updatedAt: now });
    this.catalog.set(definition, { builtin: false, createdAt, updatedAt: now });
    return { outcome: existing === undefined ? 'created' : 'replaced' };
  }
}
