// Users and their sign-in credentials: set or reset the password, reset MFA, unlock; the
// failures and locks as GET /v1/users/{id}/signIn gives them.
import { useState } from 'preact/hooks';
import { can, request } from '../api';
import type { Page, User, UserSignIn } from '../types';
import { ConfirmButton, Facts, Field, FormError, LoadError, Loading, Table, Time, useAction, useGet, useNotice } from '../ui';

export function UsersView() {
  const users = useGet<Page<User>>('/v1/users', { limit: 1000 });
  return (
    <>
      <h1>Users</h1>
      <LoadError error={users.error} what="the users" />
      {!users.data && !users.error && <Loading what="the users" />}
      {users.data && (
        <Table
          caption="Users"
          rows={users.data.value}
          rowKey={(u) => u.id}
          columns={[
            { label: 'User principal name', render: (u) => <a href={`/users/${encodeURIComponent(u.id)}`}>{u.userPrincipalName}</a> },
            { label: 'Name', render: (u) => u.displayName || '-' },
            { label: 'Department', render: (u) => u.department || '-' },
            { label: 'Job title', render: (u) => u.jobTitle || '-' },
          ]}
        />
      )}
    </>
  );
}

export function UserView({ id }: { id: string }) {
  const path = `/v1/users/${encodeURIComponent(id)}`;
  const user = useGet<User>(path);
  const signIn = useGet<UserSignIn>(`${path}/signIn`);
  const [notice, say] = useNotice();
  const s = signIn.data;
  return (
    <>
      <p class="crumbs">
        <a href="/users">Users</a> ›
      </p>
      <h1>{user.data?.userPrincipalName ?? 'User'}</h1>
      <LoadError error={user.error} what="the user" />
      {user.data && (
        <Facts
          items={[
            ['Name', user.data.displayName],
            ['Department', user.data.department],
            ['Job title', user.data.jobTitle],
            ['Id', <code>{user.data.id}</code>],
          ]}
        />
      )}
      <section aria-labelledby="signin-state-title">
        <h2 id="signin-state-title">Sign-in</h2>
        <LoadError error={signIn.error} what="the sign-in state" />
        {s && (
          <>
            <Facts
              items={[
                ['Password', s.passwordSet ? 'set' : 'not set'],
                ['MFA', s.mfaEnrolled ? 'authenticator registered' : 'registers at the next sign-in'],
                ['Recent failures', String(s.recentFailures)],
                ['Locked until', s.lockedUntil ? <Time value={s.lockedUntil} /> : 'not locked'],
              ]}
            />
            {s.deviceLocks && s.deviceLocks.length > 0 && (
              <Table
                caption="Failures on devices"
                rows={s.deviceLocks}
                rowKey={(l) => l.deviceId}
                columns={[
                  { label: 'Device', render: (l) => <a href={`/devices/${encodeURIComponent(l.deviceId)}`}>{l.deviceId}</a> },
                  { label: 'Recent failures', render: (l) => l.recentFailures },
                  { label: 'Locked until', render: (l) => <Time value={l.lockedUntil} /> },
                ]}
              />
            )}
          </>
        )}
        {notice}
        {can('change') && (
          <>
            <PasswordForm
              path={path}
              done={() => {
                say('The password is set; the user\'s tokens are revoked.');
                signIn.reload();
              }}
            />
            <div class="actions">
              <ConfirmButton
                label="Reset MFA"
                title="Reset MFA?"
                confirmLabel="Reset MFA"
                onConfirm={async () => {
                  await request('DELETE', `${path}/mfa`);
                  say('MFA reset: the user registers a new authenticator at the next sign-in.');
                  signIn.reload();
                }}
              >
                <p>The user registers a new authenticator at the next sign-in that needs MFA; their tokens are revoked.</p>
              </ConfirmButton>
              <ConfirmButton
                label="Unlock"
                title="Unlock the account?"
                confirmLabel="Unlock"
                onConfirm={async () => {
                  await request('POST', `${path}/unlock`);
                  say('Unlocked: failures and locks are cleared on every device.');
                  signIn.reload();
                }}
              >
                <p>Clears the failures and locks of the account and of every device.</p>
              </ConfirmButton>
            </div>
          </>
        )}
      </section>
    </>
  );
}

function PasswordForm({ path, done }: { path: string; done: () => void }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const action = useAction(async () => {
    if (password !== again) throw new Error('The two passwords differ.');
    await request('PUT', `${path}/password`, { json: { password } });
    setPassword('');
    setAgain('');
    done();
  });
  return (
    <form
      class="panel"
      aria-labelledby="password-title"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <h3 id="password-title">Set or reset the password</h3>
      <Field
        label="New password"
        field="password"
        type="password"
        autoComplete="new-password"
        value={password}
        onValue={setPassword}
        error={action.error}
        hint="At least 12 characters, not the user's name, not a common password."
        required
      />
      <Field label="New password again" field="passwordAgain" type="password" autoComplete="new-password" value={again} onValue={setAgain} error={action.error} required />
      <FormError error={action.error} fields={['password']} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Set password
        </button>
      </div>
    </form>
  );
}
