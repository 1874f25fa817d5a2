/** A schema's field table (see schema-fields.ts); every value is rendered as text. */
import { fieldRows, type Schema } from './schema-fields';

/** The last segment of a path: `result[].terms[].label` → `label`, `items[]` → `items[]`. */
const leaf = (path: string) => /[^.]+$/.exec(path)?.[0] ?? path;

export function FieldTable({ schema, caption }: { schema: Schema; caption: string }) {
  const rows = fieldRows(schema);
  return (
    <div class="table-wrap" tabIndex={0}>
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Type</th>
            <th scope="col">Required</th>
            <th scope="col">Description</th>
            <th scope="col">Constraints</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.path}>
              <td class="mono field-name">
                {/* Indented by depth; the parent path muted, the field's own name in bold. */}
                <span style={{ paddingLeft: `${Math.min(row.depth, 8) * 0.75}rem` }} class="indent">
                  {row.path === '' ? (
                    '(the whole body)'
                  ) : (
                    <>
                      <span class="muted">{row.path.slice(0, row.path.length - leaf(row.path).length)}</span>
                      <strong>{leaf(row.path)}</strong>
                    </>
                  )}
                </span>
              </td>
              <td class="mono field-type">{row.type}</td>
              <td>{row.path === '' ? '' : row.required ? 'yes' : 'no'}</td>
              <td class="wrap">{row.description}</td>
              <td class="mono wrap">{row.constraints.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
