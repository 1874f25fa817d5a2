/** The catalogue: every action and version, and the form that defines a custom action or a new
 * version. A replacement that would break apps answers 409 with the breaking locations: they are
 * listed and the operator may force it. */
import { useState } from 'preact/hooks';
import { admin, seg, type Answer } from './api';
import { Field, Outcome, detailsAt, time, usePoll } from './ui';

interface ActionView {
  id: string;
  kind: 'request' | 'event';
  versions: Array<{ version: number; title: string; builtin: boolean; updatedAt: number | null }>;
}

const TEMPLATE = {
  kind: 'request',
  title: 'What it does',
  description: 'A longer description.',
  dataSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  responseSchema: { type: 'object', properties: { name: { type: 'string' } } },
};

export function ActionsPage() {
  const { data, reload } = usePoll(() => admin<ActionView[]>('GET', '/actions'), []);
  const [id, setId] = useState('@acme:Things:get');
  const [version, setVersion] = useState('1');
  const [definition, setDefinition] = useState(JSON.stringify(TEMPLATE, null, 2));
  const [answer, setAnswer] = useState<Answer>();
  const [parseError, setParseError] = useState<string>();

  const define = async (force: boolean) => {
    let body: unknown;
    try {
      body = JSON.parse(definition);
      setParseError(undefined);
    } catch (err) {
      setParseError(`The definition is not valid JSON: ${(err as Error).message}`);
      return;
    }
    const result = await admin('PUT', `/actions/${seg(id.trim())}/versions/${seg(version.trim())}${force ? '?force=true' : ''}`, body);
    setAnswer(result);
    if (result.ok) reload();
  };
  const details = answer?.details ?? [];
  const breaking = answer?.status === 409 && details.length > 0;

  return (
    <>
      <h1>Actions</h1>
      <details class="panel">
        <summary>Define a custom action or a new version</summary>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void define(false);
          }}
        >
          <div class="row">
            <Field label="Action id" errors={detailsAt(details, '/path/action')}>
              {(attrs) => <input {...attrs} class="mono" size={40} value={id} onInput={(e) => setId(e.currentTarget.value)} />}
            </Field>
            <Field label="Version" errors={detailsAt(details, '/path/version')}>
              {(attrs) => <input {...attrs} inputMode="numeric" size={4} value={version} onInput={(e) => setVersion(e.currentTarget.value)} />}
            </Field>
          </div>
          <Field
            label="Definition (JSON)"
            errors={answer?.status === 400 ? details.filter((d) => !d.pointer.startsWith('/path/')) : []}
            hint="kind, title, description, dataSchema, responseSchema (request), timeoutMs, coalesce (event)."
          >
            {(attrs) => <textarea {...attrs} rows={14} value={definition} onInput={(e) => setDefinition(e.currentTarget.value)} />}
          </Field>
          {parseError !== undefined && (
            <p class="error" role="alert">
              {parseError}
            </p>
          )}
          <div>
            <button type="submit">Save the version</button>
          </div>
          {breaking ? (
            <div class="notice bad" role="alert">
              <strong>{answer.error}</strong>
              <p>These locations would break apps built against the current definition:</p>
              <ul>
                {details.map((d) => (
                  <li key={d.pointer + d.message}>
                    <span class="mono">{d.pointer}</span>: {d.message}
                  </li>
                ))}
              </ul>
              <button type="button" class="danger" onClick={() => define(true)}>
                Replace it anyway (force)
              </button>
            </div>
          ) : (
            <Outcome answer={answer} success={`Saved ${id} version ${version}.`} />
          )}
        </form>
      </details>
      <Outcome answer={data} />
      {data?.ok && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="visually-hidden">The catalogue</caption>
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Kind</th>
                <th scope="col">Versions</th>
                <th scope="col">Title</th>
                <th scope="col">Defined</th>
              </tr>
            </thead>
            <tbody>
              {data.body.map((a) => {
                const latest = a.versions[a.versions.length - 1]!;
                return (
                  <tr key={a.id}>
                    <td class="mono wrap">
                      <a href={`/reference/#/actions/${encodeURIComponent(a.id)}/${latest.version}`}>{a.id}</a>
                    </td>
                    <td>
                      <span class={`badge ${a.kind}`}>{a.kind}</span>
                    </td>
                    <td>{a.versions.map((v) => v.version).join(', ')}</td>
                    <td class="wrap">{latest.title}</td>
                    <td>{latest.builtin ? 'built-in' : time(latest.updatedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
