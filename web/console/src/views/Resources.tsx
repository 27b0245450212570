// The catalog's profiles and payloads: deployment profiles, ESP profiles, apps, policies,
// certificate and network profiles, compliance policies. A list, and a page per resource with
// its fields, its assignments by name, and the common fields to edit (PATCH /v1/{kind}/{id});
// a policy's settings with the catalog's titles; an app's content to upload.
import { useState } from 'preact/hooks';
import { can, fieldError, getAll, ifMatch, request } from '../api';
import type { Assignment, CatalogSetting, Group, Page, Resource } from '../types';
import { Facts, Field, FormError, LoadError, Loading, Table, Time, useAction, useGet, useNotice } from '../ui';

export interface ResourceKind {
  /** The collection's name in the API and in the console's URL. */
  path: string;
  plural: string;
  singular: string;
  /** The kind's payloadKind in /v1/assignments; absent: the resource holds its assignment targets. */
  payloadKind?: string;
}

export const RESOURCE_KINDS: ResourceKind[] = [
  { path: 'deploymentProfiles', plural: 'Deployment profiles', singular: 'deployment profile' },
  { path: 'espProfiles', plural: 'ESP profiles', singular: 'ESP profile' },
  { path: 'apps', plural: 'Apps', singular: 'app', payloadKind: 'app' },
  { path: 'policies', plural: 'Policies', singular: 'policy', payloadKind: 'policy' },
  { path: 'certificateProfiles', plural: 'Certificate profiles', singular: 'certificate profile', payloadKind: 'certificate' },
  { path: 'networkProfiles', plural: 'Network profiles', singular: 'network profile', payloadKind: 'network' },
  { path: 'compliancePolicies', plural: 'Compliance policies', singular: 'compliance policy', payloadKind: 'compliance' },
];

export function ResourceListView({ kind }: { kind: ResourceKind }) {
  const list = useGet<Page<Resource>>(`/v1/${kind.path}`, { limit: 1000 });
  return (
    <>
      <h1>{kind.plural}</h1>
      <LoadError error={list.error} what={kind.plural.toLowerCase()} />
      {!list.data && !list.error && <Loading what={kind.plural.toLowerCase()} />}
      {list.data && (
        <Table
          caption={kind.plural}
          rows={list.data.value}
          rowKey={(r) => r.id}
          columns={[
            {
              label: 'Name',
              render: (r) => <a href={`/${kind.path}/${encodeURIComponent(r.id)}`}>{r.displayName ?? r.id}</a>,
            },
            { label: 'Description', render: (r) => r.description || '-' },
            { label: 'Changed', render: (r) => <Time value={r.lastModifiedDateTime} /> },
          ]}
        />
      )}
    </>
  );
}

/** What an assignment target is called: the group's name, "All devices", ... */
export function targetName(target: { '@odata.type': string; groupId?: string }, groups: Map<string, string>): string {
  const group = target.groupId ? (groups.get(target.groupId) ?? target.groupId) : '';
  switch (target['@odata.type']) {
    case '#microsoft.graph.groupAssignmentTarget':
      return group;
    case '#microsoft.graph.exclusionGroupAssignmentTarget':
      return `Excluded: ${group}`;
    case '#microsoft.graph.allDevicesAssignmentTarget':
      return 'All devices';
    case '#microsoft.graph.allLicensedUsersAssignmentTarget':
      return 'All users';
    default:
      return target['@odata.type'];
  }
}

/** The tenant's group names by id (for assignments by name). */
export function useGroupNames(): Map<string, string> {
  const groups = useGet<Page<Group>>('/v1/groups', { limit: 1000 });
  return new Map((groups.data?.value ?? []).map((g) => [g.id, g.displayName ?? g.id]));
}

const SHOWN_ELSEWHERE = new Set(['id', 'displayName', 'description', 'version', 'assignments', 'settings', 'content', 'createdDateTime', 'lastModifiedDateTime']);

function showValue(value: unknown) {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return <code class="json">{JSON.stringify(value)}</code>;
  return String(value);
}

export function ResourceView({ kind, id }: { kind: ResourceKind; id: string }) {
  const path = `/v1/${kind.path}/${encodeURIComponent(id)}`;
  const resource = useGet<Resource>(path);
  const r = resource.data;
  const save = async (changes: Record<string, unknown>) => {
    await request('PATCH', path, { json: changes, headers: r ? ifMatch(r) : {} });
    resource.reload();
  };
  return (
    <>
      <p class="crumbs">
        <a href={`/${kind.path}`}>{kind.plural}</a> ›
      </p>
      <h1>{r?.displayName ?? kind.singular}</h1>
      <LoadError error={resource.error} what={`the ${kind.singular}`} />
      {r && (
        <>
          <Facts
            items={[
              ...Object.entries(r)
                .filter(([key]) => !SHOWN_ELSEWHERE.has(key))
                .map(([key, value]): [string, ReturnType<typeof showValue>] => [key, showValue(value)]),
              ['Changed', <Time value={r.lastModifiedDateTime} />],
              ['Version', String(r.version ?? '-')],
              ['Id', <code>{r.id}</code>],
            ]}
          />
          {can('change') && <CommonFieldsForm key={`${r.id}:${r.version}`} resource={r} save={save} />}
          {kind.path === 'policies' && <PolicySettings key={`${r.id}:${r.version}`} policy={r} save={save} />}
          {kind.path === 'apps' && can('change') && <AppContentUpload key={r.id} app={r} save={save} />}
          <Assignments kind={kind} resource={r} />
        </>
      )}
    </>
  );
}

function CommonFieldsForm({ resource, save }: { resource: Resource; save: (changes: Record<string, unknown>) => Promise<void> }) {
  const [displayName, setDisplayName] = useState(resource.displayName ?? '');
  const [description, setDescription] = useState(resource.description ?? '');
  const hasDescription = 'description' in resource;
  const [notice, say] = useNotice();
  const action = useAction(async () => {
    await save(hasDescription ? { displayName, description } : { displayName });
    say('Saved.');
  });
  return (
    <form
      class="panel"
      aria-labelledby="edit-title"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <h2 id="edit-title">Edit</h2>
      <Field label="Name" field="displayName" value={displayName} onValue={setDisplayName} error={action.error} required />
      {hasDescription && (
        <Field label="Description" field="description" value={description} onValue={setDescription} error={action.error} multiline />
      )}
      <FormError error={action.error} fields={['displayName', 'description']} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Save
        </button>
        {notice}
      </div>
    </form>
  );
}

function Assignments({ kind, resource }: { kind: ResourceKind; resource: Resource }) {
  const groups = useGroupNames();
  const all = useGet<Page<Assignment>>(kind.payloadKind ? '/v1/assignments' : null, { limit: 1000 });
  const rows: { key: string; target: string; intent: string }[] = kind.payloadKind
    ? (all.data?.value ?? [])
        .filter((a) => a.payloadId === resource.id)
        .map((a) => ({ key: a.id, target: targetName(a.target, groups), intent: a.intent ?? 'required' }))
    : ((resource.assignments as Assignment['target'][] | undefined) ?? []).map((t, i) => ({
        key: String(i),
        target: targetName(t, groups),
        intent: '-',
      }));
  return (
    <section aria-labelledby="assignments-title">
      <h2 id="assignments-title">Assignments</h2>
      <LoadError error={all.error} what="the assignments" />
      <Table
        caption="Assignments"
        rows={rows}
        rowKey={(a) => a.key}
        empty="Not assigned."
        columns={[
          { label: 'Target', render: (a) => a.target },
          { label: 'Intent', render: (a) => a.intent },
        ]}
      />
    </section>
  );
}

/** A policy's settings with the catalog's titles and descriptions; admins edit the values. */
function PolicySettings({ policy, save }: { policy: Resource; save: (changes: Record<string, unknown>) => Promise<void> }) {
  const catalog = useGet<{ value: CatalogSetting[] }>('/v1/settingsCatalog');
  const [values, setValues] = useState<Record<string, unknown>>((policy.settings as Record<string, unknown>) ?? {});
  const [adding, setAdding] = useState('');
  const [notice, say] = useNotice();
  const action = useAction(async () => {
    await save({ settings: values });
    say('Settings saved.');
  });
  const byId = new Map((catalog.data?.value ?? []).map((s) => [s.id, s]));
  const editable = can('change');
  const setValue = (id: string, value: unknown) => setValues({ ...values, [id]: value });
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <LoadError error={catalog.error} what="the settings catalog" />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run();
        }}
      >
        <Table
          caption="Settings"
          rows={Object.keys(values)}
          rowKey={(id) => id}
          empty="No setting."
          columns={[
            {
              label: 'Setting',
              render: (id) => (
                <>
                  <strong>{byId.get(id)?.title ?? id}</strong>
                  <br />
                  <code>{id}</code>
                </>
              ),
            },
            {
              label: 'Value',
              render: (id) =>
                editable ? (
                  <SettingInput setting={byId.get(id)} id={id} value={values[id]} onValue={(v) => setValue(id, v)} error={action.error} />
                ) : (
                  showValue(values[id])
                ),
            },
            { label: 'What it does', render: (id) => <span class="muted">{byId.get(id)?.description ?? ''}</span> },
            ...(editable
              ? [
                  {
                    label: 'Remove',
                    render: (id: string) => (
                      <button
                        type="button"
                        aria-label={`Remove ${id}`}
                        onClick={() => {
                          const next = { ...values };
                          delete next[id];
                          setValues(next);
                        }}
                      >
                        Remove
                      </button>
                    ),
                  },
                ]
              : []),
          ]}
        />
        {editable && (
          <>
            <div class="inline-form">
              <div class="field">
                <label for="add-setting">Add a setting</label>
                <select id="add-setting" value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
                  <option value="">Choose…</option>
                  {(catalog.data?.value ?? [])
                    .filter((s) => !(s.id in values))
                    .map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.title} ({s.id})
                      </option>
                    ))}
                </select>
              </div>
              <button
                type="button"
                disabled={!adding}
                onClick={() => {
                  setValue(adding, byId.get(adding)?.default ?? '');
                  setAdding('');
                }}
              >
                Add
              </button>
            </div>
            <FormError error={action.error} fields={Object.keys(values).map((id) => `settings.${id}`)} />
            <div class="actions">
              <button type="submit" class="primary" disabled={action.busy}>
                Save settings
              </button>
              {notice}
            </div>
          </>
        )}
      </form>
    </section>
  );
}

/** A value's input by the catalog's type; lists are edited as JSON. */
function SettingInput(props: { setting?: CatalogSetting; id: string; value: unknown; onValue: (v: unknown) => void; error: unknown }) {
  const field = `settings.${props.id}`;
  const label = props.setting?.title ?? props.id;
  switch (props.setting?.type) {
    case 'bool':
      return (
        <label class="inline">
          <input type="checkbox" checked={props.value === true} onChange={(e) => props.onValue(e.currentTarget.checked)} /> {label}
          <SettingError error={props.error} field={field} />
        </label>
      );
    case 'choice':
      return (
        <>
          <select aria-label={label} value={String(props.value ?? '')} onChange={(e) => props.onValue(e.currentTarget.value)}>
            {(props.setting.choices ?? []).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <SettingError error={props.error} field={field} />
        </>
      );
    case 'integer':
      return (
        <>
          <input
            type="number"
            aria-label={label}
            min={props.setting.minimum}
            max={props.setting.maximum}
            value={String(props.value ?? '')}
            onInput={(e) => props.onValue(e.currentTarget.value === '' ? '' : Number(e.currentTarget.value))}
          />
          <SettingError error={props.error} field={field} />
        </>
      );
    case 'text':
      return (
        <>
          <input aria-label={label} value={String(props.value ?? '')} onInput={(e) => props.onValue(e.currentTarget.value)} />
          <SettingError error={props.error} field={field} />
        </>
      );
    default:
      return <JsonInput label={label} value={props.value} onValue={props.onValue} error={props.error} field={field} />;
  }
}

function JsonInput(props: { label: string; value: unknown; onValue: (v: unknown) => void; error: unknown; field: string }) {
  const [text, setText] = useState(JSON.stringify(props.value ?? []));
  const [bad, setBad] = useState(false);
  return (
    <>
      <input
        aria-label={`${props.label} (JSON)`}
        value={text}
        aria-invalid={bad || undefined}
        onInput={(e) => {
          setText(e.currentTarget.value);
          try {
            props.onValue(JSON.parse(e.currentTarget.value));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <p class="field-error">Not JSON yet: a list is written ["a", "b"].</p>}
      <SettingError error={props.error} field={props.field} />
    </>
  );
}

function SettingError({ error, field }: { error: unknown; field: string }) {
  const message = fieldError(error, field);
  return message ? (
    <p class="field-error" role="alert">
      {message}
    </p>
  ) : null;
}

/** An app's content: the file is hashed here, uploaded (PUT /v1/content/{sha256}) and set on the app. */
function AppContentUpload({ app, save }: { app: Resource; save: (changes: Record<string, unknown>) => Promise<void> }) {
  const [file, setFile] = useState<File | null>(null);
  const [notice, say] = useNotice();
  const action = useAction(async () => {
    if (!file) throw new Error('Choose the app\'s file first.');
    if (!crypto.subtle) throw new Error('The browser hashes files only over HTTPS (or on localhost): serve groundcrewd with TLS, or use groundcrew apply.');
    const sha256 = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer())), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    await request('PUT', `/v1/content/${sha256}`, { body: file, contentType: 'application/octet-stream' });
    await save({ content: { fileName: file.name, sha256, size: file.size } });
    say(`Uploaded ${file.name}.`);
  });
  const content = app.content as { fileName?: string; sha256?: string; size?: number } | undefined;
  return (
    <section class="panel" aria-labelledby="content-title">
      <h2 id="content-title">Content</h2>
      <p>
        {content?.fileName ? (
          <>
            Now: <strong>{content.fileName}</strong> ({Math.ceil((content.size ?? 0) / 1024)} KiB, SHA-256 <code>{content.sha256}</code>)
          </>
        ) : (
          'No content yet.'
        )}
      </p>
      <div class="inline-form">
        <div class="field">
          <label for="app-content">New content file</label>
          <input id="app-content" type="file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </div>
        <button type="button" disabled={!file || action.busy} onClick={() => void action.run()}>
          Upload
        </button>
      </div>
      <FormError error={action.error} />
      {notice}
    </section>
  );
}

/** Every payload's name by kind and id (for the assignments list). */
export async function payloadNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  await Promise.all(
    RESOURCE_KINDS.filter((k) => k.payloadKind).map(async (kind) => {
      for (const r of await getAll<Resource>(`/v1/${kind.path}`)) names.set(`${kind.payloadKind}:${r.id}`, r.displayName ?? r.id);
    }),
  );
  return names;
}
