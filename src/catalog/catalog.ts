/**
 * The catalogue in memory: every action version, built in or defined by the operator, with its
 * validators compiled once. The call path reads only from here. A catalogue rebuilt from the store
 * (after every admin write, and on notice from another process) takes the compiled validators of
 * unchanged definitions from the one it replaces, and holds no others: what is replaced is freed.
 */
import type { ActionStatus, ActionStatusRecord } from '../store/store.js';
import type { ActionDefinition, ActionKind } from './definition.js';
import { compileAction, type CompiledAction } from './validators.js';

export interface CatalogEntry extends CompiledAction {
  builtin: boolean;
  /** When the operator defined it; null for a built-in action. */
  createdAt: number | null;
  updatedAt: number | null;
  /** `active` unless the operator set another. */
  status: ActionStatus;
  /** When the operator set the status; null when never set. */
  statusChangedAt: number | null;
}

const ACTIVE = { status: 'active', statusChangedAt: null } as const;

/** A stored definition left out of a rebuilt catalogue because its schemas do not compile. */
export type SkippedDefinition = (definition: ActionDefinition, error: Error) => void;

export class Catalog {
  /** action id → version → entry */
  private readonly actions = new Map<string, Map<number, CatalogEntry>>();
  /** action id → its versions, ascending (kept with `actions`: every call and publish asks). */
  private readonly versionLists = new Map<string, readonly number[]>();

  /** Builds a catalogue from the built-in files and the stored (operator) definitions; a stored
   * definition of the same id and version replaces the built-in one. Validators are taken from
   * `previous` for the definitions it holds unchanged. A stored definition that does not compile
   * is left out and reported to `skipped`; a built-in one that does not compile throws. */
  static from(
    builtins: readonly ActionDefinition[],
    stored: ReadonlyArray<ActionDefinition & { createdAt: number; updatedAt: number }>,
    options: { previous?: Catalog; skipped?: SkippedDefinition; statuses?: readonly ActionStatusRecord[] } = {},
  ): Catalog {
    const reusable = new Map<string, CompiledAction>();
    for (const versions of options.previous?.actions.values() ?? []) {
      for (const entry of versions.values()) reusable.set(contentKey(entry.definition), entry);
    }
    const compile = (definition: ActionDefinition): CompiledAction =>
      reusable.get(contentKey(definition)) ?? compileAction(definition);
    const catalog = new Catalog();
    for (const definition of builtins) {
      const stripped = strip(definition);
      catalog.set(compile(stripped), { builtin: true, createdAt: null, updatedAt: null });
    }
    for (const { createdAt, updatedAt, ...definition } of stored) {
      const stripped = strip(definition);
      let compiled: CompiledAction;
      try {
        compiled = compile(stripped);
      } catch (err) {
        options.skipped?.(stripped, err as Error);
        continue;
      }
      catalog.set(compiled, { builtin: false, createdAt, updatedAt });
    }
    for (const { action, version, status, changedAt } of options.statuses ?? []) {
      const entry = catalog.get(action, version);
      if (entry === undefined) continue; // a version no longer in the catalogue files
      entry.status = status;
      entry.statusChangedAt = changedAt;
    }
    return catalog;
  }

  /** Adds or replaces one action version, compiled by `compileAction`. */
  set(compiled: CompiledAction, meta: Pick<CatalogEntry, 'builtin' | 'createdAt' | 'updatedAt'> & Partial<Pick<CatalogEntry, 'status' | 'statusChangedAt'>>): void {
    const { id, version } = compiled.definition;
    let versions = this.actions.get(id);
    if (versions === undefined) {
      versions = new Map();
      this.actions.set(id, versions);
    }
    versions.set(version, { ...compiled, ...ACTIVE, ...meta });
    this.versionLists.set(id, [...versions.keys()].sort((a, b) => a - b));
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

  /** Versions that can be called or published to (not retired), ascending. */
  liveVersions(id: string): readonly number[] {
    return this.versions(id).filter((version) => this.get(id, version)!.status !== 'retired');
  }

  /** The version to use instead of `version`: the newest active one, else the newest deprecated
   * one (still callable); undefined when every version is retired. */
  replacementOf(id: string, version: number): number | undefined {
    const live = this.versions(id).filter((v) => v !== version && this.get(id, v)!.status !== 'retired');
    const active = live.filter((v) => this.get(id, v)!.status === 'active');
    return (active.length > 0 ? active : live).at(-1);
  }

  /** The newest active version newer than `version`, the successor a deprecated one points to. */
  successorOf(id: string, version: number): number | undefined {
    return this.versions(id)
      .filter((v) => v > version && this.get(id, v)!.status === 'active')
      .at(-1);
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

/** Equal for definitions of equal content, whatever the order of their fields. */
function contentKey(definition: ActionDefinition): string {
  return JSON.stringify(strip(definition));
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
