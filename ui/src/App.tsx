// Shell: hash routes, header navigation, light/dark theme.

import { useEffect, useRef, useState } from 'react';
import Machines from './pages/Machines';
import Designer from './pages/Designer';
import Executions from './pages/Executions';
import ExecutionView from './pages/ExecutionView';
import { credentials, onAuthNeeded, setCredentials } from './api';

export type Theme = 'light' | 'dark';

export interface Route {
  page: string;
  arg?: string;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [path, q = ''] = h.split('?');
  const [page, ...rest] = path.split('/');
  return { page: page || 'machines', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined, query: new URLSearchParams(q) };
}

export function href(page: string, arg?: string, query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const qs = q.toString();
  return `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${qs ? `?${qs}` : ''}`;
}

export function go(page: string, arg?: string, query?: Record<string, string | undefined>) {
  window.location.hash = href(page, arg, query);
}

function initialTheme(): Theme {
  const saved = localStorage.getItem('stepwise-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export default function App() {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [askCredentials, setAskCredentials] = useState(false);
  useEffect(() => onAuthNeeded(() => setAskCredentials(true)), []);
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('stepwise-theme', theme);
  }, [theme]);
  const nav = (page: string, label: string, target = href(page)) => (
    <a href={target} aria-current={route.page === page ? 'page' : undefined}>
      {label}
    </a>
  );
  let body;
  switch (route.page) {
    case 'designer':
      body = <Designer key={route.arg ?? 'new'} arn={route.arg} theme={theme} />;
      break;
    case 'executions':
      body = <Executions key={route.query.toString()} query={route.query} />;
      break;
    case 'execution':
      body = <ExecutionView key={route.arg} arn={route.arg ?? ''} theme={theme} />;
      break;
    default:
      body = <Machines />;
  }
  return (
    <div className="sw-app">
      <header className="sw-header">
        <a className="sw-brand" href="#/">
          Stepwise
        </a>
        <nav aria-label="Main">
          {nav('machines', 'State machines', '#/')}
          {nav('executions', 'Executions')}
          {nav('designer', 'New state machine')}
        </nav>
        <button type="button" className="sw-theme" onClick={() => setAskCredentials(true)}>
          {credentials() ? `Key ${credentials()!.accessKeyId}` : 'Credentials'}
        </button>
        <button type="button" className="sw-theme" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main className="sw-main">{body}</main>
      {askCredentials ? <CredentialsDialog onClose={() => setAskCredentials(false)} /> : null}
    </div>
  );
}

function CredentialsDialog({ onClose }: { onClose: () => void }) {
  const old = credentials();
  const [c, setC] = useState({ accessKeyId: old?.accessKeyId ?? '', secretAccessKey: '', sessionToken: old?.sessionToken ?? '', region: old?.region ?? 'us-east-1' });
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => ref.current?.showModal(), []);
  const save = (e: React.FormEvent) => {
    e.preventDefault();
    setCredentials({ accessKeyId: c.accessKeyId.trim(), secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken.trim() || undefined, region: c.region.trim() || 'us-east-1' });
    window.location.reload();
  };
  const field = (k: keyof typeof c, label: string, type = 'text') => (
    <label className="sw-field">
      <span>{label}</span>
      <input type={type} value={c[k]} onChange={(e) => setC({ ...c, [k]: e.target.value })} autoComplete="off" />
    </label>
  );
  return (
    <dialog ref={ref} className="sw-dialog" onClose={onClose} aria-label="Credentials">
      <form onSubmit={save}>
        <h2>Credentials</h2>
        <p className="sw-small sw-muted">
          This server verifies AWS Signature Version 4. The key stays in this browser tab (session storage) and signs each request; it is never sent.
        </p>
        {field('accessKeyId', 'Access key ID')}
        {field('secretAccessKey', 'Secret access key', 'password')}
        {field('sessionToken', 'Session token (optional)')}
        {field('region', 'Region')}
        <div className="sw-dialog-buttons">
          {old ? (
            <button type="button" className="sw-button" onClick={() => { setCredentials(undefined); window.location.reload(); }}>
              Forget
            </button>
          ) : null}
          <button type="button" className="sw-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="sw-button sw-primary" disabled={!c.accessKeyId || !c.secretAccessKey}>
            Use these credentials
          </button>
        </div>
      </form>
    </dialog>
  );
}
