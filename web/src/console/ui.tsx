/** Small pieces shared by the console's pages: polling, errors beside fields, notices, times. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Answer, ErrorDetail } from './api';

/** Runs `load` now, whenever `deps` change, and every `everyMs` while the page is visible (the
 * lists an operator waits on: deliveries, installations). */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0): { data: T | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => {
    void loadRef.current().then(setData);
  }, []);
  useEffect(() => {
    reload();
    if (everyMs <= 0) return;
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), everyMs);
    return () => clearInterval(timer);
  }, deps);
  return { data, reload };
}

/** The details of an error whose pointer starts with `prefix` (a field's errors). */
export function detailsAt(details: ErrorDetail[], prefix: string): ErrorDetail[] {
  return details.filter((d) => d.pointer === prefix || d.pointer.startsWith(`${prefix}/`));
}

let ids = 0;
/** A labelled control with its errors beside it (aria-describedby, aria-invalid). */
export function Field(props: { label: string; errors?: ErrorDetail[]; hint?: string; children: (attrs: Record<string, unknown>) => ComponentChildren }) {
  const [id] = useState(() => `field-${++ids}`);
  const errors = props.errors ?? [];
  const describedBy = [errors.length > 0 ? `${id}-errors` : '', props.hint !== undefined ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div>
      <label for={id}>{props.label}</label>
      {props.children({ id, 'aria-invalid': errors.length > 0 ? 'true' : undefined, 'aria-describedby': describedBy || undefined })}
      {props.hint !== undefined && (
        <div id={`${id}-hint`} class="muted">
          {props.hint}
        </div>
      )}
      {errors.length > 0 && (
        <div id={`${id}-errors`} class="field-error" role="alert">
          {errors.map((e) => (
            <div key={e.pointer + e.message}>
              <span class="mono">{e.pointer}</span> {e.message}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** The outcome of an operator's action: the hub's sentence, its details, the requestId. */
export function Outcome({ answer, success }: { answer: Answer | undefined; success?: string }) {
  if (answer === undefined) return null;
  if (answer.ok)
    return success === undefined ? null : (
      <p class="notice ok" role="status">
        {success}
      </p>
    );
  return (
    <div class="notice bad" role="alert">
      <strong>{answer.error}</strong>
      {answer.details.length > 0 && (
        <ul>
          {answer.details.map((d) => (
            <li key={d.pointer + d.message}>
              <span class="mono">{d.pointer || '/'}</span> {d.message}
            </li>
          ))}
        </ul>
      )}
      {answer.requestId !== null && <div class="muted">requestId {answer.requestId}</div>}
    </div>
  );
}

export const time = (ms: number | null | undefined) => (ms == null ? '—' : new Date(ms).toLocaleString());

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="secondary"
      onClick={() =>
        navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => undefined,
        )
      }
    >
      {copied ? 'Copied' : label}
    </button>
  );
}
