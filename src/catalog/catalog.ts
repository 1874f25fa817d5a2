/**
 * The catalogue in memory: every action version, built in or defined by the operator, with its
 * validators compiled once. The call path reads only from here.
 */
import type { ActionDefinition, ActionKind } from './definition.js';
import { compileAction, type CompiledAction } from './validators.js';

export interface CatalogEntry extends CompiledAction {
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

export class Catalog {
  /** action id → version → entry */
  private readonly actions = new Map<string, Map<number, CatalogEntry>>();
  /** action id → its versions, ascending (kept with `actions`: every call and publish asks). */
  private readonly versionLists = new Map<string, readonly number[]>();

  /** Builds a catalogue from the built-in files and the stored (operator) definitions; a stored
   * definition of the same id and version replaces the built-in one. */
  static from(
    builtins: readonly ActionDefinition[],
    stored: ReadonlyArray<ActionDefinition & { createdAt: number; updatedAt: number }>,
  ): Catalog {
    const catalog = new Catalog();
    for (const definition of builtins) catalog.set(strip(definition), { builtin: true, createdAt: 0, updatedAt: 0 });
    for (const { createdAt, updatedAt, ...definition } of stored) {
      catalog.set(strip(definition), { builtin: false, createdAt, updatedAt });
    }
    return catalog;
  }

  set(definition: ActionDefinition, meta: { builtin: boolean; createdAt: number; updatedAt: number }): void {
    let versions = this.actions.get(definition.id);
    if (versions === undefined) {
      versions = new Map();
      this.actions.set(definition.id, versions);
    }
    versions.set(definition.version, { ...compileAction(definition), ...meta });
    this.versionLists.set(definition.id, [...versions.keys()].sort((a, b) => a - b));
  }

  get(id: string, version: number): CatalogEntry | undefined {
    return this.actions.get(id)?.get(version);
  }

  has(id: string): boolean {
    return this.actions.has(id);
  }

  /** Versions of an action, ascending; empty when unknown. */
  versions(id: string): readonly number[] {
    return this.versionLists.get(id) ?? [];
  }

  kindOf(id: string): ActionKind | undefined {
    const versions = this.actions.get(id);
    if (versions === undefined) return undefined;
    for (const entry of versions.values()) return entry.definition.kind;
    return undefined;
  }

  hasVersion(id: string, version: number): boolean {
    return this.actions.get(id)?.has(version) ?? false;
  }

  /** Every action id, sorted. */
  ids(): string[] {
    return [...this.actions.keys()].sort();
  }
}

/** Keeps only the fields of a definition (catalogue files also carry examples, stored rows flags). */
function strip(source: ActionDefinition): ActionDefinition {
  const { id, version, kind, title, description, dataSchema, responseSchema, timeoutMs, coalesce } = source;
  return {
    id,
    version,
    kind,
    title,
    ...(description !== undefined && { description }),
    dataSchema,
    ...(responseSchema !== undefined && { responseSchema }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(coalesce !== undefined && { coalesce }),
  };
}
