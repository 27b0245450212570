// The audit log (GET /v1/audit): time, actor, action, resource; filtered by actor and kind, paged
// with the `after` cursors in the URL.
import { useEffect, useState } from 'preact/hooks';
import { navigate, useLocation, withQuery } from '../router';
import type { AuditEntry, Page } from '../types';
import { LoadError, Loading, Pager, Select, Table, Time, useGet } from '../ui';
import { RESOURCE_KINDS } from './Resources';

const KINDS = ['autopilotDevices', 'users', 'groups', ...RESOURCE_KINDS.map((k) => k.path), 'assignments', 'tenant', 'credentials', 'admins'];

export function AuditView() {
  const loc = useLocation();
  const cursors = loc.query.getAll('after');
  const [actor, setActor] = useState(loc.query.get('actor') ?? '');
  useEffect(() => {
    if (actor === (loc.query.get('actor') ?? '')) return;
    const timer = setTimeout(() => navigate(withQuery(loc, { actor, after: null }), { replace: true }), 300);
    return () => clearTimeout(timer);
  }, [actor]);
  const audit = useGet<Page<AuditEntry>>('/v1/audit', {
    actor: loc.query.get('actor'),
    resourceKind: loc.query.get('kind'),
    limit: 100,
    after: cursors[cursors.length - 1],
  });
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="audit-actor">Actor</label>
          <input id="audit-actor" type="search" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </div>
        <Select
          label="Resource kind"
          field="resourceKind"
          value={loc.query.get('kind') ?? ''}
          onValue={(kind) => navigate(withQuery(loc, { kind, after: null }))}
          options={[{ value: '', label: 'Any' }, ...KINDS.map((k) => ({ value: k, label: k }))]}
          error={audit.error}
        />
      </form>
      <LoadError error={audit.error} what="the audit log" />
      {!audit.data && !audit.error && <Loading what="the audit log" />}
      {audit.data && (
        <>
          <Table
            caption="Audit log"
            rows={audit.data.value}
            rowKey={(e) => String(e.sequence)}
            empty="No entry."
            columns={[
              { label: 'Time', render: (e) => <Time value={e.at} /> },
              { label: 'Actor', render: (e) => e.actor },
              { label: 'Action', render: (e) => e.action },
              { label: 'Kind', render: (e) => e.resourceKind },
              { label: 'Resource', render: (e) => e.resourceName || e.resourceId || '-' },
            ]}
          />
          <Pager cursors={cursors} nextAfter={audit.data.nextAfter} onPage={(next) => navigate(withQuery(loc, { after: next }))} />
        </>
      )}
    </>
  );
}
