// Sign in: name, password and the 6-digit code of the admin's authenticator (POST /v1/session).
import { useState } from 'preact/hooks';
import { signIn } from '../api';
import { navigate, useLocation } from '../router';
import { Field, FormError, useAction } from '../ui';

export function SignInView() {
  const loc = useLocation();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const action = useAction(async () => {
    await signIn(name.trim(), password, code.trim());
    const next = loc.query.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  });
  return (
    <main class="signin">
      <form
        class="panel"
        aria-labelledby="signin-title"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run();
        }}
      >
        <h1 id="signin-title">Sign in to groundcrew</h1>
        <p class="muted">The admin console. Use your admin name, password and authenticator code.</p>
        <Field label="Name" field="name" value={name} onValue={setName} error={action.error} autoComplete="username" required autoFocus />
        <Field
          label="Password"
          field="password"
          type="password"
          value={password}
          onValue={setPassword}
          error={action.error}
          autoComplete="current-password"
          required
        />
        <Field
          label="Code"
          field="code"
          value={code}
          onValue={setCode}
          error={action.error}
          autoComplete="one-time-code"
          inputMode="numeric"
          pattern="[0-9]{6}"
          maxLength={6}
          hint="The 6 digits your authenticator app shows now."
          required
        />
        <FormError error={action.error} fields={['name', 'password', 'code']} />
        <div class="actions">
          <button type="submit" class="primary" disabled={action.busy}>
            {action.busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
