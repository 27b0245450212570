// Admin accounts (role admin only): list, add (the authenticator's secret is shown once), remove,
// reset MFA, unlock (/v1/admins).
import { useState } from 'preact/hooks';
import { Qr } from '../../../shared/Qr';
import { currentSession, request } from '../api';
import type { Admin, AdminSecret, Page } from '../types';
import { ConfirmButton, Field, FormError, LoadError, Loading, Select, Table, Time, useAction, useGet, useNotice } from '../ui';

export function AdminsView() {
  const admins = useGet<Page<Admin>>('/v1/admins');
  const [secret, setSecret] = useState<AdminSecret | null>(null);
  const [notice, say] = useNotice();
  const path = (name: string) => `/v1/admins/${encodeURIComponent(name)}`;
  return (
    <>
      <h1>Admins</h1>
      <LoadError error={admins.error} what="the admins" />
      {!admins.data && !admins.error && <Loading what="the admins" />}
      {notice}
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      {admins.data && (
        <Table
          caption="Admins"
          rows={admins.data.value}
          rowKey={(a) => a.name}
          columns={[
            { label: 'Name', render: (a) => a.name },
            { label: 'Role', render: (a) => a.role },
            { label: 'Created', render: (a) => <Time value={a.createdDateTime} /> },
            { label: 'Last sign-in', render: (a) => <Time value={a.lastSignInDateTime} /> },
            { label: 'Locked until', render: (a) => (a.lockedUntilDateTime ? <Time value={a.lockedUntilDateTime} /> : 'not locked') },
            {
              label: 'Actions',
              render: (a) => (
                <div class="actions compact">
                  <ConfirmButton
                    label={`Reset MFA of ${a.name}`}
                    title={`Reset the MFA of ${a.name}?`}
                    confirmLabel="Reset MFA"
                    onConfirm={async () => {
                      setSecret(await request<AdminSecret>('POST', `${path(a.name)}/mfa`));
                      admins.reload();
                    }}
                  >
                    <p>A new authenticator secret is made and shown once; {a.name}'s sessions end.</p>
                  </ConfirmButton>
                  {a.lockedUntilDateTime && (
                    <ConfirmButton
                      label={`Unlock ${a.name}`}
                      title={`Unlock ${a.name}?`}
                      confirmLabel="Unlock"
                      onConfirm={async () => {
                        await request('POST', `${path(a.name)}/unlock`);
                        say(`${a.name} is unlocked.`);
                        admins.reload();
                      }}
                    >
                      <p>Clears the failed sign-ins of {a.name}.</p>
                    </ConfirmButton>
                  )}
                  {a.name !== currentSession()?.name && (
                    <ConfirmButton
                      label={`Remove ${a.name}`}
                      danger
                      title={`Remove ${a.name}?`}
                      confirmLabel="Remove"
                      onConfirm={async () => {
                        await request('DELETE', path(a.name));
                        say(`${a.name} is removed.`);
                        admins.reload();
                      }}
                    >
                      <p>The account is deleted and its sessions end.</p>
                    </ConfirmButton>
                  )}
                </div>
              ),
            },
          ]}
        />
      )}
      <AddAdmin
        added={(created) => {
          setSecret(created);
          admins.reload();
        }}
      />
    </>
  );
}

function AddAdmin({ added }: { added: (secret: AdminSecret) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('reader');
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    added(await request<AdminSecret>('POST', '/v1/admins', { json: { name, role, password } }));
    setName('');
    setPassword('');
  });
  return (
    <form
      class="panel"
      aria-labelledby="add-admin-title"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <h2 id="add-admin-title">Add an admin</h2>
      <Field label="Name" field="name" value={name} onValue={setName} error={action.error} hint="1 to 64 of a-z, 0-9, '.', '_', '-'." required />
      <Select
        label="Role"
        field="role"
        value={role}
        onValue={setRole}
        error={action.error}
        options={[
          { value: 'reader', label: 'reader: reads everything, changes nothing' },
          { value: 'technician', label: 'technician: devices, plans, reports, reprovision' },
          { value: 'admin', label: 'admin: everything' },
        ]}
      />
      <Field label="Password" field="password" type="password" autoComplete="new-password" value={password} onValue={setPassword} error={action.error} required />
      <FormError error={action.error} fields={['name', 'role', 'password']} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Add admin
        </button>
      </div>
    </form>
  );
}

/** The authenticator's secret, shown this once (the API never shows it again). */
function SecretOnce({ secret, onDone }: { secret: AdminSecret; onDone: () => void }) {
  return (
    <section class="panel secret" aria-labelledby="secret-title" role="alert">
      <h2 id="secret-title">Authenticator for {secret.name}</h2>
      <p>Shown only now: give it to {secret.name} to add to an authenticator app (scan the code or type the secret).</p>
      <Qr text={secret.otpauthUri} label={`QR code of ${secret.name}'s authenticator`} />
      <p>
        Secret: <code>{secret.totpSecret}</code>
      </p>
      <p>
        URI: <code class="json">{secret.otpauthUri}</code>
      </p>
      <button type="button" onClick={onDone}>
        Done: hide the secret
      </button>
    </section>
  );
}
