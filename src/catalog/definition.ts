/** An action definition is data: a named, versioned contract fixed by JSON Schemas. */

export type ActionKind = 'request' | 'event';

/** A JSON Schema (draft 2020-12) document; `true`/`false` are schemas too. */
export type JsonSchema = Record<string, unknown> | boolean;

export interface ActionDefinition {
  id: string;
  version: number;
  kind: ActionKind;
  title: string;
  description?: string;
  /** Schema of the payload (`data`) a consumer or publisher sends. */
  dataSchema: JsonSchema;
  /** Schema of the provider's answer body; request actions only. */
  responseSchema?: JsonSchema;
  /** Default timeout of a call, in ms; request actions only. */
  timeoutMs?: number;
  /** Whether pending deliveries of this event to one subscriber may merge; event actions only. */
  coalesce?: boolean;
}

/** Examples shipped beside a built-in definition and run through the validators by the tests. */
export interface ActionExamples {
  data: { valid: unknown[]; invalid: unknown[] };
  response?: { valid: unknown[]; invalid: unknown[] };
}

/** The shape of a file under `catalog/`: one action version each. */
export interface CatalogFile extends ActionDefinition {
  examples: ActionExamples;
}

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
