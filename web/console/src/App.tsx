// The console's frame: the session, the routes, the header and the left navigation.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { can, currentSession, errorText, goToSignIn, loadSession, onSessionChange, signOut, type Session } from './api';
import { matchPath, onLinkClick, useLocation } from './router';
import { AdminsView } from './views/Admins';
import { AssignmentsView } from './views/Assignments';
import { AuditView } from './views/Audit';
import { DashboardView } from './views/Dashboard';
import { DeviceView } from './views/Device';
import { DevicesView } from './views/Devices';
import { GroupView, GroupsView } from './views/Groups';
import { ImportView } from './views/Import';
import { RESOURCE_KINDS, ResourceListView, ResourceView } from './views/Resources';
import { SignInView } from './views/SignIn';
import { UserView, UsersView } from './views/Users';

interface Route {
  pattern: string;
  render: (params: Record<string, string>) => ComponentChildren;
  /** Who sees it; every signed-in role when absent. */
  allowed?: () => boolean;
}

const routes: Route[] = [
  { pattern: '/', render: () => <DashboardView /> },
  { pattern: '/devices', render: () => <DevicesView /> },
  { pattern: '/devices/:id', render: (p) => <DeviceView id={p.id} /> },
  { pattern: '/import', render: () => <ImportView />, allowed: () => can('change') },
  { pattern: '/groups', render: () => <GroupsView />, allowed: () => can('catalog') },
  { pattern: '/groups/:id', render: (p) => <GroupView id={p.id} />, allowed: () => can('catalog') },
  ...RESOURCE_KINDS.flatMap((kind): Route[] => [
    { pattern: `/${kind.path}`, render: () => <ResourceListView kind={kind} />, allowed: () => can('catalog') },
    {
      pattern: `/${kind.path}/:id`,
      render: (p) => <ResourceView kind={kind} id={p.id} />,
      allowed: () => can('catalog'),
    },
  ]),
  { pattern: '/assignments', render: () => <AssignmentsView />, allowed: () => can('catalog') },
  { pattern: '/users', render: () => <UsersView />, allowed: () => can('catalog') },
  { pattern: '/users/:id', render: (p) => <UserView id={p.id} />, allowed: () => can('catalog') },
  { pattern: '/audit', render: () => <AuditView />, allowed: () => can('catalog') },
  { pattern: '/admins', render: () => <AdminsView />, allowed: () => can('manageAdmins') },
];

const navigation: { href: string; label: string; allowed?: () => boolean }[] = [
  { href: '/', label: 'Dashboard' },
  { href: '/devices', label: 'Devices' },
  { href: '/import', label: 'Import devices', allowed: () => can('change') },
  { href: '/groups', label: 'Groups', allowed: () => can('catalog') },
  ...RESOURCE_KINDS.map((kind) => ({ href: `/${kind.path}`, label: kind.plural, allowed: () => can('catalog') })),
  { href: '/assignments', label: 'Assignments', allowed: () => can('catalog') },
  { href: '/users', label: 'Users', allowed: () => can('catalog') },
  { href: '/audit', label: 'Audit log', allowed: () => can('catalog') },
  { href: '/admins', label: 'Admins', allowed: () => can('manageAdmins') },
];

export function App() {
  const loc = useLocation();
  const [session, setSession] = useState<Session | null>(currentSession());
  const [state, setState] = useState<'loading' | 'ready' | { error: unknown }>('loading');

  useEffect(() => onSessionChange(() => setSession(currentSession())), []);
  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    loadSession().then(
      () => setState('ready'),
      (error) => setState({ error }),
    );
    return () => document.removeEventListener('click', onLinkClick);
  }, []);
  useEffect(() => {
    if (state === 'ready' && !session && loc.path !== '/signin') goToSignIn();
  }, [state, session, loc.path]);
  // A new page puts the focus on the page (a screen reader reads it; Tab goes on from its top),
  // not on the link that was left behind. Not on the first page, not when only the query changes.
  const firstPath = useRef(loc.path);
  useEffect(() => {
    if (loc.path === firstPath.current) return;
    firstPath.current = '';
    document.getElementById('main')?.focus();
  }, [loc.path]);

  if (state === 'loading') return <p class="boot">Loading the console…</p>;
  if (typeof state === 'object') {
    return (
      <main class="boot" role="alert">
        <h1>groundcrew</h1>
        <p>Cannot reach groundcrewd: {errorText(state.error)}</p>
      </main>
    );
  }
  if (loc.path === '/signin' || !session) return <SignInView />;

  let page: ComponentChildren = null;
  for (const route of routes) {
    const params = matchPath(route.pattern, loc.path);
    if (!params) continue;
    page =
      route.allowed && !route.allowed() ? (
        <Missing title="Not available" text={`Your role (${session.role}) cannot open this page.`} />
      ) : (
        route.render(params)
      );
    break;
  }
  page ??= <Missing title="Not found" text={`There is no page at ${loc.path}.`} />;

  return (
    <div class="frame">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          groundcrew
        </a>
        <span class="muted">admin console</span>
        <span class="spacer" />
        <span>
          Signed in as <strong>{session.name}</strong> <span class="badge neutral">{session.role}</span>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav class="side" aria-label="Console">
        <ul>
          {navigation
            .filter((item) => !item.allowed || item.allowed())
            .map((item) => {
              const current = item.href === '/' ? loc.path === '/' : loc.path === item.href || loc.path.startsWith(`${item.href}/`);
              return (
                <li key={item.href}>
                  <a href={item.href} aria-current={current ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              );
            })}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

function Missing({ title, text }: { title: string; text: string }) {
  return (
    <>
      <h1>{title}</h1>
      <p>{text}</p>
      <p>
        <a href="/">Go to the dashboard</a>
      </p>
    </>
  );
}
