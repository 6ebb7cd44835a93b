// Shell: hash routes, header navigation, light/dark theme.

import { useEffect, useState } from 'react';
import Machines from './pages/Machines';
import Designer from './pages/Designer';
import Executions from './pages/Executions';
import ExecutionView from './pages/ExecutionView';

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
        <button type="button" className="sw-theme" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main className="sw-main">{body}</main>
    </div>
  );
}
