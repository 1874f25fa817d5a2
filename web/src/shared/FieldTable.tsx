/** A schema's field table (see schema-fields.ts); every value is rendered as text. */
import { fieldRows, type Schema } from './schema-fields';

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
              <td class="mono wrap">
                <span class="indent" data-depth={row.depth}>
                  {'\u00a0\u00a0'.repeat(Math.max(0, row.depth - 1))}
                  {row.path === '' ? '(the whole body)' : row.path}
                </span>
              </td>
              <td class="mono wrap">{row.type}</td>
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
