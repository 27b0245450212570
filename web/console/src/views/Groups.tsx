// Groups: the list, one group's members and fields, and the rule editor with Validate rules
// (POST /v1/groups/validateRule: why each chosen device or user matches, or where the syntax
// error is).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, can, errorText, get, ifMatch, request } from '../api';
import type { Device, Group, GroupMember, Page, RuleResult, User } from '../types';
import { Facts, Field, FormError, LoadError, Loading, Table, useAction, useGet, useNotice } from '../ui';

export function GroupsView() {
  const groups = useGet<Page<Group>>('/v1/groups', { limit: 1000 });
  return (
    <>
      <h1>Groups</h1>
      <LoadError error={groups.error} what="the groups" />
      {!groups.data && !groups.error && <Loading what="the groups" />}
      {groups.data && (
        <Table
          caption="Groups"
          rows={groups.data.value}
          rowKey={(g) => g.id}
          columns={[
            { label: 'Name', render: (g) => <a href={`/groups/${encodeURIComponent(g.id)}`}>{g.displayName}</a> },
            { label: 'Membership', render: (g) => g.membershipKind ?? 'assigned' },
            { label: 'Rule', render: (g) => (g.membershipRule ? <code>{g.membershipRule}</code> : '-') },
            { label: 'Description', render: (g) => g.description || '-' },
          ]}
        />
      )}
    </>
  );
}

export function GroupView({ id }: { id: string }) {
  const path = `/v1/groups/${encodeURIComponent(id)}`;
  const group = useGet<Group>(path);
  const members = useGet<{ value: GroupMember[] }>(`${path}/members`);
  const g = group.data;
  return (
    <>
      <p class="crumbs">
        <a href="/groups">Groups</a> ›
      </p>
      <h1>{g?.displayName ?? 'Group'}</h1>
      <LoadError error={group.error} what="the group" />
      {g && (
        <>
          <Facts
            items={[
              ['Membership', g.membershipKind ?? 'assigned'],
              ['Description', g.description],
              ['Id', <code>{g.id}</code>],
            ]}
          />
          {can('change') && (
            <GroupForm
              key={`${g.id}:${g.version}`}
              group={g}
              save={async (changes) => {
                await request('PATCH', path, { json: changes, headers: ifMatch(g) });
                group.reload();
                members.reload();
              }}
            />
          )}
          {g.membershipKind === 'dynamic' && <RuleValidator key={g.id} initialRule={g.membershipRule ?? ''} />}
        </>
      )}
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members{members.data ? ` (${members.data.value.length})` : ''}</h2>
        <LoadError error={members.error} what="the members" />
        {members.data && (
          <Table
            caption="Members"
            rows={members.data.value}
            rowKey={(m) => m.id}
            empty="No member."
            columns={[
              { label: 'Kind', render: (m) => (m['@odata.type'].endsWith('user') ? 'user' : 'device') },
              {
                label: 'Member',
                render: (m) =>
                  m.userPrincipalName ? (
                    <a href={`/users/${encodeURIComponent(m.id)}`}>{m.userPrincipalName}</a>
                  ) : (
                    <a href={`/devices/${encodeURIComponent(m.id)}`}>{m.serialNumber ?? m.id}</a>
                  ),
              },
            ]}
          />
        )}
      </section>
    </>
  );
}

function GroupForm({ group, save }: { group: Group; save: (changes: Partial<Group>) => Promise<void> }) {
  const [displayName, setDisplayName] = useState(group.displayName ?? '');
  const [description, setDescription] = useState(group.description ?? '');
  const [rule, setRule] = useState(group.membershipRule ?? '');
  const [notice, say] = useNotice();
  const dynamic = group.membershipKind === 'dynamic';
  const action = useAction(async () => {
    await save({ displayName, description, ...(dynamic ? { membershipRule: rule } : {}) });
    say('Saved.');
  });
  return (
    <form
      class="panel"
      aria-labelledby="group-edit-title"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <h2 id="group-edit-title">Edit</h2>
      <Field label="Name" field="displayName" value={displayName} onValue={setDisplayName} error={action.error} required />
      <Field label="Description" field="description" value={description} onValue={setDescription} error={action.error} />
      {dynamic && (
        <Field label="Membership rule" field="membershipRule" value={rule} onValue={setRule} error={action.error} multiline />
      )}
      <FormError error={action.error} fields={['displayName', 'description', 'membershipRule']} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Save
        </button>
        {notice}
      </div>
    </form>
  );
}

const MAX_VALIDATE = 20;

/** Validate rules, as Entra's: a rule, up to 20 devices or users, and why each matches. */
function RuleValidator({ initialRule }: { initialRule: string }) {
  const [rule, setRule] = useState(initialRule);
  const [subject, setSubject] = useState<'devices' | 'users'>('devices');
  const [filter, setFilter] = useState('');
  const [chosen, setChosen] = useState<Map<string, string>>(new Map());
  const [candidates, setCandidates] = useState<{ id: string; label: string }[]>([]);
  const [candidateError, setCandidateError] = useState<unknown>(undefined);
  const [results, setResults] = useState<RuleResult[] | null>(null);
  const ruleBox = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const timer = setTimeout(() => {
      const load =
        subject === 'devices'
          ? get<Page<Device>>('/v1/autopilotDevices', { search: filter || undefined, top: 20 }).then((p) =>
              p.value.map((d) => ({ id: d.id, label: `${d.serialNumber}${d.deviceName ? ` (${d.deviceName})` : ''}` })),
            )
          : get<Page<User>>('/v1/users', { limit: 200 }).then((p) =>
              p.value
                .filter((u) => u.userPrincipalName.toLowerCase().includes(filter.toLowerCase()))
                .slice(0, 20)
                .map((u) => ({ id: u.id, label: u.userPrincipalName })),
            );
      load.then(
        (list) => {
          setCandidates(list);
          setCandidateError(undefined);
        },
        setCandidateError,
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [subject, filter]);

  const validate = useAction(async () => {
    setResults(null);
    const ids = [...chosen.keys()];
    const answer = await request<{ results: RuleResult[] }>('POST', '/v1/groups/validateRule', {
      json: subject === 'devices' ? { membershipRule: rule, deviceIds: ids } : { membershipRule: rule, userIds: ids },
    });
    setResults(answer.results);
  });
  const error = validate.error instanceof ApiError ? validate.error : undefined;
  const position = error?.field === 'membershipRule' ? error.position : undefined;

  // Puts the caret on the syntax error so the admin can fix it at once.
  useEffect(() => {
    if (position === undefined || !ruleBox.current) return;
    ruleBox.current.focus();
    ruleBox.current.setSelectionRange(position - 1, position);
  }, [position, validate.error]);

  const toggle = (id: string, label: string) => {
    const next = new Map(chosen);
    if (next.has(id)) next.delete(id);
    else if (next.size < MAX_VALIDATE) next.set(id, label);
    setChosen(next);
  };

  return (
    <section class="panel" aria-labelledby="validate-title">
      <h2 id="validate-title">Validate rules</h2>
      <p class="muted">Test a rule against up to {MAX_VALIDATE} devices or users; nothing is saved.</p>
      <div class={`field${error?.field === 'membershipRule' ? ' invalid' : ''}`}>
        <label for="validate-rule">Rule</label>
        <textarea
          id="validate-rule"
          ref={ruleBox}
          rows={3}
          spellcheck={false}
          value={rule}
          aria-invalid={error?.field === 'membershipRule' ? true : undefined}
          aria-describedby={error?.field === 'membershipRule' ? 'validate-rule-error' : undefined}
          onInput={(e) => setRule(e.currentTarget.value)}
        />
        {error?.field === 'membershipRule' && (
          <div id="validate-rule-error" class="field-error" role="alert">
            <p>
              {error.message}
              {position !== undefined && !error.message.includes(String(position)) ? ` (character ${position})` : ''}
            </p>
            {position !== undefined && (
              <pre class="rule-marked" aria-hidden="true">
                {rule.slice(0, position - 1)}
                <mark>{rule.slice(position - 1, position) || ' '}</mark>
                {rule.slice(position)}
              </pre>
            )}
          </div>
        )}
      </div>
      <fieldset>
        <legend>Test against</legend>
        <label class="inline">
          <input
            type="radio"
            name="validate-subject"
            checked={subject === 'devices'}
            onChange={() => {
              setSubject('devices');
              setChosen(new Map());
            }}
          />{' '}
          Devices
        </label>
        <label class="inline">
          <input
            type="radio"
            name="validate-subject"
            checked={subject === 'users'}
            onChange={() => {
              setSubject('users');
              setChosen(new Map());
            }}
          />{' '}
          Users
        </label>
      </fieldset>
      <div class="field">
        <label for="validate-filter">Find {subject}</label>
        <input id="validate-filter" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </div>
      {candidateError ? <p class="error">{errorText(candidateError)}</p> : null}
      <fieldset class="choices">
        <legend>
          Chosen: {chosen.size} of at most {MAX_VALIDATE}
        </legend>
        {[...new Map([...chosen, ...candidates.map((c) => [c.id, c.label] as [string, string])])].map(([id, label]) => (
          <label class="inline" key={id}>
            <input type="checkbox" checked={chosen.has(id)} onChange={() => toggle(id, label)} /> {label}
          </label>
        ))}
      </fieldset>
      <FormError error={validate.error} fields={['membershipRule']} />
      <div class="actions">
        <button type="button" class="primary" disabled={validate.busy} onClick={() => void validate.run()}>
          Validate
        </button>
      </div>
      {results && (
        <Table
          caption="Validation results"
          rows={results}
          rowKey={(r) => r.id}
          empty="Choose devices or users to see whether they match."
          columns={[
            { label: 'Name', render: (r) => r.displayName || chosen.get(r.id) || r.id },
            { label: 'Matches', render: (r) => <span class={r.matches ? 'ok-text' : 'bad-text'}>{r.matches ? 'Yes' : 'No'}</span> },
            {
              label: 'Why',
              render: (r) => (
                <ul class="clauses">
                  {r.clauses.map((c, i) => (
                    <li key={i}>
                      <span class={c.matches ? 'ok-text' : 'bad-text'}>{c.matches ? '✓' : '✗'}</span> <code>{c.expression}</code>
                      {c.values && c.values.length > 0 && <span class="muted"> values: {c.values.join(', ')}</span>}
                    </li>
                  ))}
                </ul>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}
