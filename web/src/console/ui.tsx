/** Small pieces shared by the console's pages: polling, errors beside fields, notices, times,
 * paging. */
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

/**
 * A button that asks first: a modal `<dialog>` (focus moves into it, Escape cancels) saying what
 * the action does, with the action and Cancel. Used for what cannot be undone: revoking a key,
 * deleting an app or a community.
 */
export function ConfirmButton(props: { label: string; ariaLabel?: string; title: string; question: string; confirmLabel: string; onConfirm: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = () => dialog.current?.close();
  return (
    <>
      <button type="button" class="danger" aria-label={props.ariaLabel} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} class="confirm" aria-label={props.title}>
        <h2>{props.title}</h2>
        <p>{props.question}</p>
        <div class="row">
          <button type="button" class="danger-solid" onClick={() => (close(), props.onConfirm())}>
            {props.confirmLabel}
          </button>
          <button type="button" class="secondary" onClick={close}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A sentence shown once by the next page (after a delete, the page that was deleted is gone). */
let flashed: string | undefined;
export const flash = (text: string) => void (flashed = text);
export function Flash() {
  const [text] = useState(() => {
    const shown = flashed;
    flashed = undefined;
    return shown;
  });
  return text === undefined ? null : (
    <p class="notice ok" role="status">
      {text}
    </p>
  );
}

/**
 * The API's bound (an ISO 8601 date-time in UTC) from a `datetime-local` value, read in the
 * browser's time zone. Both bounds are inclusive, and "until 13:20" means the whole of that minute
 * (or second, when seconds are given), as an operator reads it.
 */
export function timeBound(value: string | undefined, end: 'since' | 'until'): string | undefined {
  if (value === undefined || value === '') return undefined;
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return undefined;
  const widen = end === 'since' ? 0 : /T\d\d:\d\d$/.test(value) ? 59_999 : /T\d\d:\d\d:\d\d$/.test(value) ? 999 : 0;
  return new Date(at + widen).toISOString();
}

/**
 * Newer and Older under a list the API pages by cursor, newest first. `cursors` is the trail of
 * pages walked: its last cursor is the page shown, none the first page. Older follows the shown
 * page's `nextCursor` (none on the last page); Newer goes back one page (none on the first).
 */
export function Pager({ cursors, nextCursor, onChange }: { cursors: string[]; nextCursor: string | null | undefined; onChange: (cursors: string[]) => void }) {
  return (
    <div class="toolbar">
      <button type="button" class="secondary" disabled={cursors.length === 0} onClick={() => onChange(cursors.slice(0, -1))}>
        Newer
      </button>
      <button type="button" class="secondary" disabled={!nextCursor} onClick={() => nextCursor && onChange([...cursors, nextCursor])}>
        Older
      </button>
    </div>
  );
}
