// Shared pieces of the views: loading data, fields with their API errors, tables, confirm
// dialogs, times. Views only render what the API answers; the API decides every rule.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, belongsTo, errorText, fieldError, get, type Query } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (null: nothing yet) and again whenever path or query change, or on reload(). */
export function useGet<T>(path: string | null, query?: Query): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  const key = path === null ? null : JSON.stringify([path, query]);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    get<T>(path, query).then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Runs a state-changing call; keeps its error (for the fields) and whether it runs. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await action(...args);
      } catch (caught) {
        setError(caught);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, setError };
}

/** An error that belongs to no field of the form (fields: those the form shows). */
export function FormError({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.field && fields.some((f) => belongsTo(error.field!, f))) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** A page's load error: says what failed and that it is not the page's fault. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  const missing = error instanceof ApiError && error.status === 404 && error.code === 'not_found' && /no route/.test(error.message);
  return (
    <div class="error panel" role="alert">
      <strong>Cannot load {what}.</strong> {errorText(error)}
      {missing ? ' (this groundcrewd does not offer it yet: update groundcrewd)' : ''}
    </div>
  );
}

interface FieldProps {
  label: string;
  /** The API's name for the field: its error is shown here. */
  field: string;
  error: unknown;
  value: string;
  onValue: (value: string) => void;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  inputMode?: JSX.HTMLAttributes['inputMode'];
  pattern?: string;
  maxLength?: number;
  multiline?: boolean;
  hint?: string;
  autoFocus?: boolean;
  disabled?: boolean;
}

/** A labelled input whose API error (by field name) is shown under it and announced. */
export function Field(props: FieldProps) {
  const id = useId();
  const message = fieldError(props.error, props.field);
  const describedBy = [message ? `${id}-error` : '', props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  const common = {
    id,
    name: props.field,
    value: props.value,
    required: props.required,
    disabled: props.disabled,
    autoFocus: props.autoFocus,
    maxLength: props.maxLength,
    'aria-invalid': message ? true : undefined,
    'aria-describedby': describedBy || undefined,
    onInput: (e: Event) => props.onValue((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class={`field${message ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={4} spellcheck={false} />
      ) : (
        <input
          {...common}
          type={props.type ?? 'text'}
          autoComplete={props.autoComplete}
          inputMode={props.inputMode}
          pattern={props.pattern}
        />
      )}
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {message && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {message}
        </p>
      )}
    </div>
  );
}

export function Select(props: {
  label: string;
  field: string;
  value: string;
  onValue: (value: string) => void;
  options: { value: string; label: string }[];
  error?: unknown;
}) {
  const id = useId();
  const message = fieldError(props.error, props.field);
  return (
    <div class={`field${message ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.field}
        value={props.value}
        aria-invalid={message ? true : undefined}
        onChange={(e) => props.onValue((e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {message && (
        <p class="field-error" role="alert">
          {message}
        </p>
      )}
    </div>
  );
}

/** UTC as the CLI prints it: "2026-12-06 15:04:05Z"; "-" for none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span>-</span>;
  return <time dateTime={value}>{formatTime(value)}</time>;
}

/** Seconds as "1 h 2 min", "3 min 4 s", "5 s"; "-" for none. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A state as a coloured label (the words are the API's). */
export function StateBadge({ state }: { state: string | null | undefined }) {
  const value = state ?? 'notStarted';
  const tone = /fail|timedOut|noncompliant/i.test(value)
    ? 'bad'
    : /success|succeeded|complete|compliant|detected|imported|enrolled/i.test(value)
      ? 'ok'
      : /inProgress|running/i.test(value)
        ? 'busy'
        : 'neutral';
  return <span class={`badge ${tone}`}>{value}</span>;
}

export interface Column<T> {
  label: string;
  render: (row: T) => ComponentChildren;
  /** The API's orderBy value; the column header becomes a sort button. */
  sortKey?: string;
}

/** A table; sortable headers say their order with aria-sort and are buttons (keyboard). */
export function Table<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  sort?: { key: string; desc: boolean; onSort: (key: string, desc: boolean) => void };
  empty?: string;
}) {
  return (
    <table>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((column) => {
            const sorted = props.sort && column.sortKey === props.sort.key;
            const ariaSort = sorted ? (props.sort!.desc ? 'descending' : 'ascending') : undefined;
            return (
              <th key={column.label} scope="col" aria-sort={ariaSort}>
                {column.sortKey && props.sort ? (
                  <button
                    type="button"
                    class="sort"
                    onClick={() => props.sort!.onSort(column.sortKey!, sorted ? !props.sort!.desc : false)}
                  >
                    {column.label}
                    <span aria-hidden="true">{sorted ? (props.sort!.desc ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                ) : (
                  column.label
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colSpan={props.columns.length} class="muted">
              {props.empty ?? 'Nothing here.'}
            </td>
          </tr>
        ) : (
          props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((column) => (
                <td key={column.label}>{column.render(row)}</td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

/**
 * A button that asks first, in a modal dialog (Escape or Cancel closes it; focus stays inside).
 * `onConfirm` rejecting keeps the dialog open with the API's message.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  danger?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      dialog.current?.close();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        onClick={() => {
          setError(undefined);
          dialog.current?.showModal();
        }}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{props.title}</h2>
        <div>{props.children}</div>
        <FormError error={error} />
        <div class="actions">
          <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={busy} onClick={confirm}>
            {props.confirmLabel}
          </button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A description list of label/value pairs. */
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value === '' || value === null || value === undefined ? '-' : value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Keyset paging: the `after` cursors of the pages before are kept in the URL (?after=A&after=B). */
export function Pager(props: { cursors: string[]; nextAfter?: string; onPage: (cursors: string[]) => void }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.cursors.length === 0} onClick={() => props.onPage(props.cursors.slice(0, -1))}>
        Previous
      </button>
      <span class="muted">Page {props.cursors.length + 1}</span>
      <button
        type="button"
        disabled={!props.nextAfter}
        onClick={() => props.nextAfter && props.onPage([...props.cursors, props.nextAfter])}
      >
        Next
      </button>
    </nav>
  );
}

/** A message that appears for a moment after an action, announced politely. */
export function useNotice(): [ComponentChildren, (text: string) => void] {
  const [text, setText] = useState('');
  useEffect(() => {
    if (!text) return;
    const timer = setTimeout(() => setText(''), 6000);
    return () => clearTimeout(timer);
  }, [text]);
  return [
    <p class="notice" role="status" aria-live="polite">
      {text}
    </p>,
    setText,
  ];
}

/** Shown for data the page waits for. */
export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}
