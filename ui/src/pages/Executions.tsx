// Executions across all state machines or one: filters, content search,
// pages loaded on demand (each request bounded on the server).

import { useEffect, useState } from 'react';
import { all, arnName, type ExecutionItem, type ExecutionQuery, fmtDate, listExecutions } from '../api';
import { go, href } from '../App';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

function toLocalInput(ms: string | null): string {
  if (!ms) return '';
  const d = new Date(Number(ms));
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

export default function Executions({ query }: { query: URLSearchParams }) {
  const [machines, setMachines] = useState<{ stateMachineArn: string; name: string }[]>([]);
  const [form, setForm] = useState({
    stateMachineArn: query.get('stateMachineArn') ?? '',
    versionArn: query.get('versionArn') ?? '',
    aliasArn: query.get('aliasArn') ?? '',
    status: query.get('status') ?? '',
    namePrefix: query.get('namePrefix') ?? '',
    search: query.get('search') ?? '',
    startedAfter: toLocalInput(query.get('startedAfter')),
    startedBefore: toLocalInput(query.get('startedBefore')),
  });
  const [rows, setRows] = useState<ExecutionItem[]>([]);
  const [next, setNext] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [scanned, setScanned] = useState(0);
  const [error, setError] = useState<string>();

  const base: ExecutionQuery = {
    stateMachineArn: query.get('stateMachineArn') ?? undefined,
    versionArn: query.get('versionArn') ?? undefined,
    aliasArn: query.get('aliasArn') ?? undefined,
    status: query.get('status') ?? undefined,
    namePrefix: query.get('namePrefix') ?? undefined,
    search: query.get('search') ?? undefined,
    startedAfter: query.get('startedAfter') ? Number(query.get('startedAfter')) : undefined,
    startedBefore: query.get('startedBefore') ? Number(query.get('startedBefore')) : undefined,
    maxResults: 50,
  };

  const load = async (token?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const r = await listExecutions({ ...base, nextToken: token });
      setRows((old) => (token ? [...old, ...r.executions] : r.executions));
      setNext(r.nextToken);
      setScanned((s) => (token ? s + r.scanned : r.scanned));
    } catch (e) {
      setError(String((e as Error).message));
    } finally {
      setLoading(false);
    }
  };

  // Versions and aliases of the chosen machine, for the two filters.
  const [targets, setTargets] = useState<{ versions: string[]; aliases: string[] }>({ versions: [], aliases: [] });
  useEffect(() => {
    if (!form.stateMachineArn) {
      setTargets({ versions: [], aliases: [] });
      return;
    }
    Promise.all([
      all<any>('ListStateMachineVersions', { stateMachineArn: form.stateMachineArn }, 'stateMachineVersions'),
      all<any>('ListStateMachineAliases', { stateMachineArn: form.stateMachineArn }, 'stateMachineAliases'),
    ]).then(
      ([v, a]) => setTargets({ versions: v.map((x) => x.stateMachineVersionArn), aliases: a.map((x) => x.stateMachineAliasArn) }),
      () => setTargets({ versions: [], aliases: [] }),
    );
  }, [form.stateMachineArn]);

  useEffect(() => {
    load();
    all<any>('ListStateMachines', { maxResults: 1000 }, 'stateMachines').then(setMachines, () => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const ms = (v: string) => (v ? String(new Date(v).getTime()) : undefined);
    go('executions', undefined, { ...form, startedAfter: ms(form.startedAfter), startedBefore: ms(form.startedBefore) });
  };
  const field = (key: keyof typeof form) => ({ value: form[key], onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [key]: e.target.value }) });
  const machineName = base.stateMachineArn ? arnName(base.stateMachineArn) : undefined;

  return (
    <section className="sw-page">
      <div className="sw-page-head">
        <h1>{machineName ? `Executions of ${machineName}` : 'Executions'}</h1>
        {base.stateMachineArn ? (
          <a className="sw-button" href={href('designer', base.stateMachineArn)}>
            Open in designer
          </a>
        ) : null}
      </div>
      <form className="sw-filters" onSubmit={submit} aria-label="Filters">
        <label className="sw-field">
          <span>State machine</span>
          <select {...field('stateMachineArn')} aria-label="State machine filter">
            <option value="">all</option>
            {machines.map((m) => (
              <option key={m.stateMachineArn} value={m.stateMachineArn}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label className="sw-field">
          <span>Status</span>
          <select {...field('status')} aria-label="Status filter">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="sw-field">
          <span>Name starts with</span>
          <input {...field('namePrefix')} aria-label="Name prefix" />
        </label>
        <label className="sw-field">
          <span>Input/output contains</span>
          <input {...field('search')} type="search" aria-label="Search input and output" />
        </label>
        <label className="sw-field">
          <span>Started after</span>
          <input {...field('startedAfter')} type="datetime-local" />
        </label>
        <label className="sw-field">
          <span>Started before</span>
          <input {...field('startedBefore')} type="datetime-local" />
        </label>
        <label className="sw-field">
          <span>Version</span>
          {form.stateMachineArn ? (
            <select {...field('versionArn')} aria-label="Version filter">
              <option value="">any</option>
              {targets.versions.map((v) => (
                <option key={v} value={v}>
                  v{v.split(':').pop()}
                </option>
              ))}
            </select>
          ) : (
            <input {...field('versionArn')} placeholder="version ARN (or pick a machine)" aria-label="Version filter" />
          )}
        </label>
        <label className="sw-field">
          <span>Alias</span>
          {form.stateMachineArn ? (
            <select {...field('aliasArn')} aria-label="Alias filter">
              <option value="">any</option>
              {targets.aliases.map((a) => (
                <option key={a} value={a}>
                  {a.split(':').pop()}
                </option>
              ))}
            </select>
          ) : (
            <input {...field('aliasArn')} placeholder="alias ARN (or pick a machine)" aria-label="Alias filter" />
          )}
        </label>
        <div className="sw-filter-buttons">
          <button type="submit" className="sw-button sw-primary">
            Apply
          </button>
          <a className="sw-button" href={href('executions')}>
            Clear
          </a>
        </div>
      </form>
      {error ? <p className="sw-error" role="alert">{error}</p> : null}
      <table className="sw-table" data-testid="executions">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>State machine</th>
            <th>Started</th>
            <th>Ended</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.executionArn} data-execution={r.name}>
              <td>
                <a href={href('execution', r.executionArn)}>{r.name}</a>
              </td>
              <td>
                <span className={`sw-status sw-status-${r.status.toLowerCase()}`}>{r.status}</span>
              </td>
              <td>
                {arnName(r.stateMachineArn)}
                {r.stateMachineAliasArn ? <span className="sw-muted sw-small"> via {r.stateMachineAliasArn.split(':').pop()}</span> : r.stateMachineVersionArn ? <span className="sw-muted sw-small"> v{r.stateMachineVersionArn.split(':').pop()}</span> : null}
              </td>
              <td>{fmtDate(r.startDate)}</td>
              <td>{fmtDate(r.stopDate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="sw-pager">
        <span className="sw-muted" aria-live="polite">
          {loading ? 'Loading…' : `${rows.length} shown${base.search || base.namePrefix || base.startedAfter ? `, ${scanned.toLocaleString()} examined` : ''}`}
        </span>
        {next ? (
          <button type="button" className="sw-button" onClick={() => load(next)} disabled={loading}>
            Load more
          </button>
        ) : !loading && rows.length === 0 ? (
          <span className="sw-muted">No executions match.</span>
        ) : null}
      </div>
    </section>
  );
}
