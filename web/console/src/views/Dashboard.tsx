// The dashboard (GET /v1/dashboard), read again whenever a deployment event arrives on the stream.
import { LiveState, useCoalesced, useLiveEvents } from '../live';
import type { Dashboard } from '../types';
import { formatDuration, LoadError, Loading, Table, Time, useGet } from '../ui';

export function DashboardView() {
  const dashboard = useGet<Dashboard>('/v1/dashboard');
  const reload = useCoalesced(dashboard.reload, 1000);
  const live = useLiveEvents('/v1/deploymentEvents/stream', reload);
  const data = dashboard.data;
  return (
    <>
      <div class="title-row">
        <h1>Dashboard</h1>
        <LiveState state={live} />
      </div>
      <LoadError error={dashboard.error} what="the dashboard" />
      {!data && !dashboard.error && <Loading what="the dashboard" />}
      {data && (
        <>
          <section aria-labelledby="flows-title">
            <h2 id="flows-title">Last 24 hours</h2>
            <div class="cards">
              {Object.entries(data.flows).map(([flow, f]) => (
                <div class="card" key={flow}>
                  <h3>{flow === 'technician' ? 'Technician flow' : flow === 'user' ? 'User flow' : flow}</h3>
                  <p class="figure">{f.successRate === null ? '-' : `${Math.round(f.successRate * 1000) / 10} %`}</p>
                  <p class="muted">
                    success rate · {f.succeeded} succeeded, {f.failed} failed · median{' '}
                    {formatDuration(f.medianDurationSeconds)}
                  </p>
                </div>
              ))}
              <div class="card">
                <h3>Waiting for the user flow</h3>
                <p class="figure">{data.waitingForUserFlow}</p>
                <p class="muted">devices resealed, not yet unboxed</p>
              </div>
            </div>
          </section>
          <section aria-labelledby="progress-title">
            <h2 id="progress-title">In progress ({data.inProgress.length})</h2>
            <Table
              caption="Deployments in progress"
              rows={data.inProgress}
              rowKey={(r) => `${r.deviceId}-${r.flow}`}
              empty="No deployment is running."
              columns={[
                { label: 'Serial number', render: (r) => <a href={`/devices/${encodeURIComponent(r.deviceId)}`}>{r.serialNumber}</a> },
                { label: 'Device name', render: (r) => r.deviceName || '-' },
                { label: 'Flow', render: (r) => r.flow },
                { label: 'Phase', render: (r) => r.phase || '-' },
                { label: 'Started', render: (r) => <Time value={r.startedDateTime} /> },
              ]}
            />
          </section>
          <section aria-labelledby="failed-title">
            <h2 id="failed-title">Failed in the last 24 hours ({data.failedLast24Hours.length})</h2>
            <Table
              caption="Deployments failed in the last 24 hours"
              rows={data.failedLast24Hours}
              rowKey={(r) => `${r.deviceId}-${r.flow}-${r.finishedDateTime}`}
              empty="No deployment failed."
              columns={[
                { label: 'Serial number', render: (r) => <a href={`/devices/${encodeURIComponent(r.deviceId)}`}>{r.serialNumber}</a> },
                { label: 'Device name', render: (r) => r.deviceName || '-' },
                { label: 'Flow', render: (r) => r.flow },
                { label: 'Finished', render: (r) => <Time value={r.finishedDateTime} /> },
                { label: 'Error', render: (r) => <span class="bad-text">{r.errorMessage || 'failure'}</span> },
              ]}
            />
          </section>
          <p class="muted">
            As of <Time value={data.generatedDateTime} />
          </p>
        </>
      )}
    </>
  );
}
