// One device: its registration, groups, profile and assigned user; the live timeline of both
// flows (GET /v1/reports/{serial}, read again on each of its events from the stream); the plan
// for the next flow; diagnostics archives; and the actions its role allows.
import { useState } from 'preact/hooks';
import { can, idempotencyKey, ifMatch, request } from '../api';
import { navigate } from '../router';
import type { DeploymentEvent, Device, DiagnosticsArchive, Page, Plan, PlanPhase, Report, ReportSession } from '../types';
import {
  ConfirmButton,
  Facts,
  Field,
  FormError,
  formatDuration,
  LoadError,
  Loading,
  StateBadge,
  Table,
  Time,
  useAction,
  useGet,
  useNotice,
} from '../ui';
import { LiveState, useCoalesced, useLiveEvents } from '../live';

const RECENT_EVENTS = 30;

export function DeviceView({ id }: { id: string }) {
  const device = useGet<Device>(`/v1/autopilotDevices/${encodeURIComponent(id)}`);
  const d = device.data;
  return (
    <>
      <p class="crumbs">
        <a href="/devices">Devices</a> ›
      </p>
      <h1>{d ? `Device ${d.serialNumber}` : 'Device'}</h1>
      <LoadError error={device.error} what="the device" />
      {!d && !device.error && <Loading what="the device" />}
      {d && <DeviceDetail key={d.id} device={d} reload={device.reload} />}
    </>
  );
}

function DeviceDetail({ device, reload }: { device: Device; reload: () => void }) {
  const serial = encodeURIComponent(device.serialNumber);
  const plan = useGet<Plan>('/v1/plan', { serialNumber: device.serialNumber });
  const report = useGet<Report>(`/v1/reports/${serial}`);
  const diagnostics = useGet<Page<DiagnosticsArchive>>(`/v1/autopilotDevices/${encodeURIComponent(device.id)}/diagnostics`);
  const [events, setEvents] = useState<DeploymentEvent[]>([]);
  const refresh = useCoalesced(() => {
    report.reload();
    reload();
  }, 1000);
  const live = useLiveEvents<DeploymentEvent>(
    `/v1/deploymentEvents/stream?deviceId=${encodeURIComponent(device.id)}`,
    (event) => {
      setEvents((list) => [event, ...list].slice(0, RECENT_EVENTS));
      refresh();
    },
  );
  return (
    <>
      <section aria-labelledby="registration-title">
        <h2 id="registration-title">Registration</h2>
        <Facts
          items={[
            ['Serial number', device.serialNumber],
            ['Device name', device.deviceName ?? device.displayName],
            ['Assigned user', device.userPrincipalName],
            ['Group tag', device.groupTag],
            ['Deployment profile', device.deploymentProfile?.displayName ?? 'none'],
            ['Groups', plan.data ? plan.data.groups.join(', ') || 'none' : plan.error ? 'unknown (no plan)' : '…'],
            ['Enrollment', device.enrollmentState],
            ['Manufacturer / model', [device.manufacturer, device.model].filter(Boolean).join(' ')],
            ['Last contact', <Time value={device.lastContactedDateTime} />],
            ['Registered', <Time value={device.createdDateTime} />],
            ['Id (ZtdId)', <code>{device.id}</code>],
          ]}
        />
      </section>
      <DeviceActions device={device} reload={reload} />
      <section aria-labelledby="timeline-title">
        <div class="title-row">
          <h2 id="timeline-title">Timeline</h2>
          <LiveState state={live} />
        </div>
        <LoadError error={report.error} what="the deployment report" />
        {report.data && report.data.sessions.length === 0 && <p class="muted">No flow has run on this device yet.</p>}
        {report.data?.sessions
          .slice()
          .reverse()
          .map((session) => <SessionTimeline key={session.id} session={session} />)}
        <h3>Latest events</h3>
        {events.length === 0 ? (
          <p class="muted">Events appear here as the device reports them.</p>
        ) : (
          <ol class="events" aria-live="polite">
            {events.map((e) => (
              <li key={e.sequence}>
                <Time value={e.at} /> <strong>{e.flow}</strong> {e.kind} <EventDetail detail={e.detail} />
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="plan-title">
        <h2 id="plan-title">Plan for the next flow</h2>
        <LoadError error={plan.error} what="the plan" />
        {plan.data && <PlanView plan={plan.data} />}
      </section>
      <section aria-labelledby="diagnostics-title">
        <h2 id="diagnostics-title">Diagnostics archives</h2>
        <LoadError error={diagnostics.error} what="the diagnostics archives" />
        {diagnostics.data && (
          <Table
            caption="Diagnostics archives"
            rows={diagnostics.data.value}
            rowKey={(a) => a.id}
            empty="The device has uploaded no diagnostics archive."
            columns={[
              {
                label: 'File',
                render: (a) => (
                  <a href={`/v1/autopilotDevices/${encodeURIComponent(device.id)}/diagnostics/${encodeURIComponent(a.id)}`} download>
                    {a.fileName}
                  </a>
                ),
              },
              { label: 'Size', render: (a) => `${Math.ceil(a.sizeBytes / 1024)} KiB` },
              { label: 'Uploaded', render: (a) => <Time value={a.uploadedDateTime} /> },
              { label: 'Expires', render: (a) => <Time value={a.expiresDateTime} /> },
            ]}
          />
        )}
      </section>
    </>
  );
}

function EventDetail({ detail }: { detail: DeploymentEvent['detail'] }) {
  if (typeof detail === 'string') return <span class="muted">{detail}</span>;
  const parts = ['phase', 'displayName', 'id', 'attempt', 'code', 'message', 'deploymentState', 'state', 'screen', 'button']
    .filter((key) => detail[key] !== undefined)
    .map((key) => `${key}: ${String(detail[key])}`);
  return <span class="muted">{parts.join(' · ')}</span>;
}

function SessionTimeline({ session }: { session: ReportSession }) {
  return (
    <article class="session" aria-label={`${session.flow} flow started ${session.startedDateTime}`}>
      <h3>
        {session.flow === 'technician' ? 'Technician flow' : 'User flow'}
        {session.userPrincipalName ? ` (${session.userPrincipalName})` : ''} <StateBadge state={session.deploymentState} />
      </h3>
      <p class="muted">
        Started <Time value={session.startedDateTime} />, finished <Time value={session.finishedDateTime} />, took{' '}
        {formatDuration(session.durationSeconds)} · {session.eventCount} events
        {session.compliance?.after ? ` · compliance: ${session.compliance.after.state}` : ''}
      </p>
      {session.phases.map((phase) => (
        <div class="phase" key={phase.phase}>
          <h4>
            {phase.phase} <StateBadge state={phase.status} />{' '}
            <span class="muted">
              {formatDuration(phase.durationSeconds)}
              {phase.runs > 1 ? ` · ${phase.runs} runs` : ''}
              {phase.message ? ` · ${phase.code ?? ''} ${phase.message}` : ''}
            </span>
          </h4>
          <Table
            caption={`Items of ${phase.phase}`}
            rows={session.items.filter((i) => i.phase === phase.phase)}
            rowKey={(i) => i.id}
            empty="No item."
            columns={[
              { label: 'Item', render: (i) => i.displayName || i.id },
              { label: 'Status', render: (i) => <StateBadge state={i.status} /> },
              { label: 'Attempts', render: (i) => i.attempts },
              { label: 'Duration', render: (i) => formatDuration(i.durationSeconds) },
              { label: 'Error', render: (i) => (i.code || i.message ? `${i.code ?? ''} ${i.message ?? ''}`.trim() : '-') },
            ]}
          />
        </div>
      ))}
    </article>
  );
}

function PlanPhaseTable({ title, phase }: { title: string; phase: PlanPhase | undefined }) {
  if (!phase) return null;
  return (
    <>
      <h4>
        {title} <span class="muted">{phase.timeoutInMinutes ? `timeout ${phase.timeoutInMinutes} min` : ''}</span>
      </h4>
      <Table
        caption={title}
        rows={phase.items}
        rowKey={(i) => `${i.kind}-${i.id}`}
        empty="Nothing to do."
        columns={[
          { label: 'Item', render: (i) => i.displayName || i.id },
          { label: 'Kind', render: (i) => i.kind },
          { label: 'Version', render: (i) => i.version || '-' },
          { label: 'Action', render: (i) => i.action },
          { label: 'Blocking', render: (i) => (i.blocking ? 'yes' : i.deferred ? 'deferred' : 'no') },
          { label: 'Why', render: (i) => i.reason ?? '-' },
          { label: 'Problem', render: (i) => (i.planError ? <span class="bad-text">{i.planError}</span> : '-') },
        ]}
      />
    </>
  );
}

function PlanView({ plan }: { plan: Plan }) {
  return (
    <>
      <Facts
        items={[
          ['Deployment profile', plan.deploymentProfile?.displayName ?? 'none'],
          ['Device name', plan.deviceName],
          ['User', plan.userPrincipalName],
          ['User flow based on', plan.userFlowBasis],
        ]}
      />
      {plan.findings.length > 0 && (
        <ul class="findings">
          {plan.findings.map((f) => (
            <li key={f.code + f.message} class={f.severity === 'error' ? 'bad-text' : ''}>
              <strong>{f.severity}</strong> {f.code}: {f.message}
            </li>
          ))}
        </ul>
      )}
      {plan.technician && <PlanPhaseTable title="Technician flow: Device setup" phase={plan.technician.deviceSetup} />}
      {plan.user && (
        <>
          <PlanPhaseTable title="User flow: Device setup" phase={plan.user.deviceSetup} />
          <PlanPhaseTable title="User flow: Account setup" phase={plan.user.accountSetup} />
        </>
      )}
      {!plan.user && <p class="muted">No user flow planned: the device has no assigned user.</p>}
    </>
  );
}

function DeviceActions({ device, reload }: { device: Device; reload: () => void }) {
  const [notice, say] = useNotice();
  const path = `/v1/autopilotDevices/${encodeURIComponent(device.id)}`;
  if (!can('reprovision')) return null;
  return (
    <section aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {notice}
      {can('change') && (
        <div class="forms">
          <PatchForm
            label="Assigned user"
            field="userPrincipalName"
            initial={device.userPrincipalName ?? ''}
            hint="A user principal name of the tenant's domains; empty for none."
            submit="Assign user"
            save={async (value) => {
              await request('PATCH', path, { json: { userPrincipalName: value }, headers: ifMatch(device) });
              say(value ? `Assigned to ${value}.` : 'No user is assigned now.');
              reload();
            }}
          />
          <PatchForm
            label="Group tag"
            field="groupTag"
            initial={device.groupTag ?? ''}
            submit="Change group tag"
            save={async (value) => {
              await request('PATCH', path, { json: { groupTag: value }, headers: ifMatch(device) });
              say(`The group tag is ${value || 'empty'} now.`);
              reload();
            }}
          />
        </div>
      )}
      <div class="actions">
        <ConfirmButton
          label="Reprovision"
          title={`Reprovision ${device.serialNumber}?`}
          confirmLabel="Reprovision"
          onConfirm={async () => {
            await request('POST', `${path}/reprovision`, { headers: idempotencyKey() });
            say('The device may run the technician flow again.');
            reload();
          }}
        >
          <p>Its enrollment is cleared and its reported inventory forgotten: the next start runs the technician flow again.</p>
        </ConfirmButton>
        {can('change') && (
          <ConfirmButton
            label="Delete"
            danger
            title={`Delete ${device.serialNumber}?`}
            confirmLabel="Delete the device"
            onConfirm={async () => {
              await request('DELETE', path, { headers: ifMatch(device) });
              navigate('/devices');
            }}
          >
            <p>The registration, its trust and its inventory are deleted. Import its row again to register it anew.</p>
          </ConfirmButton>
        )}
      </div>
    </section>
  );
}

/** One field and a button that PATCHes it; the API's error shows under the field. */
export function PatchForm(props: {
  label: string;
  field: string;
  initial: string;
  submit: string;
  hint?: string;
  save: (value: string) => Promise<void>;
}) {
  const [value, setValue] = useState(props.initial);
  const action = useAction(props.save);
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(value.trim());
      }}
    >
      <Field label={props.label} field={props.field} value={value} onValue={setValue} error={action.error} hint={props.hint} />
      <FormError error={action.error} fields={[props.field]} />
      <button type="submit" disabled={action.busy}>
        {props.submit}
      </button>
    </form>
  );
}
