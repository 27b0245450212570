// Devices: search, filters, sortable columns and keyset paging, all kept in the URL
// (GET /v1/autopilotDevices with search, deploymentState, deploymentProfileId, groupId, orderBy,
// top and after).
import { useEffect, useState } from 'preact/hooks';
import { can } from '../api';
import { navigate, useLocation, withQuery } from '../router';
import type { Device, Page, Resource } from '../types';
import { LoadError, Loading, Pager, Select, StateBadge, Table, Time, useGet } from '../ui';

export const DEPLOYMENT_STATES = [
  'notStarted',
  'inProgress',
  'success',
  'successOnRetry',
  'successWithTimeout',
  'failure',
  'notAttempted',
  'disabled',
  'unknown',
];

const PAGE_SIZE = 50;

export function DevicesView() {
  const loc = useLocation();
  const q = loc.query;
  const cursors = q.getAll('after');
  const orderBy = q.get('orderBy') ?? 'serialNumber';
  const desc = q.get('desc') === 'true';
  const [search, setSearch] = useState(q.get('search') ?? '');

  // The search box updates the URL a moment after typing stops (and starts at page 1).
  useEffect(() => {
    if (search === (q.get('search') ?? '')) return;
    const timer = setTimeout(() => navigate(withQuery(loc, { search, after: null }), { replace: true }), 300);
    return () => clearTimeout(timer);
  }, [search]);

  const devices = useGet<Page<Device>>('/v1/autopilotDevices', {
    search: q.get('search'),
    deploymentState: q.get('state'),
    deploymentProfileId: q.get('profile'),
    groupId: q.get('group'),
    orderBy: desc ? `${orderBy} desc` : orderBy,
    top: PAGE_SIZE,
    after: cursors[cursors.length - 1],
  });
  // A technician reads devices but not the catalog: no profile or group filter then.
  const profiles = useGet<Page<Resource>>(can('catalog') ? '/v1/deploymentProfiles' : null, { limit: 1000 });
  const groups = useGet<Page<Resource>>(can('catalog') ? '/v1/groups' : null, { limit: 1000 });
  const filter = (key: string) => (value: string) => navigate(withQuery(loc, { [key]: value, after: null }));

  return (
    <>
      <h1>Devices</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="device-search">Search</label>
          <input
            id="device-search"
            type="search"
            value={search}
            placeholder="Serial number, device name, user or group tag"
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
        <Select
          label="Deployment state"
          field="deploymentState"
          value={q.get('state') ?? ''}
          onValue={filter('state')}
          options={[{ value: '', label: 'Any' }, ...DEPLOYMENT_STATES.map((s) => ({ value: s, label: s }))]}
          error={devices.error}
        />
        {can('catalog') && (
          <>
            <Select
              label="Deployment profile"
              field="deploymentProfileId"
              value={q.get('profile') ?? ''}
              onValue={filter('profile')}
              options={[
                { value: '', label: 'Any' },
                ...(profiles.data?.value ?? []).map((p) => ({ value: p.id, label: p.displayName ?? p.id })),
              ]}
              error={devices.error}
            />
            <Select
              label="Group"
              field="groupId"
              value={q.get('group') ?? ''}
              onValue={filter('group')}
              options={[
                { value: '', label: 'Any' },
                ...(groups.data?.value ?? []).map((g) => ({ value: g.id, label: g.displayName ?? g.id })),
              ]}
              error={devices.error}
            />
          </>
        )}
      </form>
      <LoadError error={devices.error} what="the devices" />
      {!devices.data && !devices.error && <Loading what="the devices" />}
      {devices.data && (
        <>
          <Table
            caption="Devices"
            rows={devices.data.value}
            rowKey={(d) => d.id}
            empty="No device matches."
            sort={{
              key: orderBy,
              desc,
              onSort: (key, descending) =>
                navigate(withQuery(loc, { orderBy: key, desc: descending ? 'true' : null, after: null })),
            }}
            columns={[
              {
                label: 'Serial number',
                sortKey: 'serialNumber',
                render: (d) => <a href={`/devices/${encodeURIComponent(d.id)}`}>{d.serialNumber}</a>,
              },
              { label: 'Device name', sortKey: 'deviceName', render: (d) => d.deviceName ?? d.displayName ?? '-' },
              { label: 'User', render: (d) => d.userPrincipalName || '-' },
              { label: 'Group tag', render: (d) => d.groupTag || '-' },
              { label: 'Profile', render: (d) => d.deploymentProfile?.displayName ?? '-' },
              {
                label: 'Deployment',
                render: (d) => <StateBadge state={d.deploymentState ?? d.lastDeployment?.deploymentState ?? 'notStarted'} />,
              },
              {
                label: 'Last deployment',
                sortKey: 'lastDeploymentDateTime',
                render: (d) => <Time value={d.lastDeploymentDateTime ?? d.lastDeployment?.startedDateTime} />,
              },
              { label: 'Last flow', render: (d) => d.lastFlow ?? d.lastDeployment?.flow ?? '-' },
            ]}
          />
          <Pager
            cursors={cursors}
            nextAfter={devices.data.nextAfter}
            onPage={(next) => navigate(withQuery(loc, { after: next }))}
          />
        </>
      )}
    </>
  );
}
