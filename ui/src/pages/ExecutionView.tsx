// One execution: the graph coloured by what happened, live while it runs; the
// event table (virtualised); the state inspector; Map iterations; Stop and
// Redrive.

import { useEffect, useMemo, useRef, useState } from 'react';
import FlowCanvas from '../components/FlowCanvas';
import JsonView from '../components/JsonView';
import VirtualList from '../components/VirtualList';
import { toGraph, type Json, getAt, isObject } from '../asl/graph';
import { analyse, detailsOf, type HistoryEvent, ms, type StateStatus } from '../exec/status';
import { ApiError, arnName, fmtDate, sfn } from '../api';
import { href, type Theme } from '../App';

const ROW = 30;
const POLL_MS = 1000;

function parse(s: unknown): unknown {
  if (typeof s !== 'string') return s;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** An event with the JSON held in its string fields (input, output, …) parsed, for reading. */
function readable(e: HistoryEvent): unknown {
  const d = detailsOf(e);
  if (!d) return e;
  const key = Object.keys(e).find((k) => e[k] === d)!;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) out[k] = ['input', 'output', 'parameters', 'cause', 'result'].includes(k) ? parse(v) : v;
  return { ...e, [key]: out };
}

async function historyAfter(arn: string, lastId: number): Promise<HistoryEvent[]> {
  // Newest first until we reach what we have: polling costs one small page.
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (;;) {
    const page: any = await sfn('GetExecutionHistory', { executionArn: arn, reverseOrder: true, maxResults: lastId === 0 ? 1000 : 100, ...(nextToken ? { nextToken } : {}) });
    for (const e of page.events as HistoryEvent[]) {
      if (e.id <= lastId) return fresh.reverse();
      fresh.push(e);
    }
    nextToken = page.nextToken;
    if (!nextToken) return fresh.reverse();
  }
}

export default function ExecutionView({ arn, theme }: { arn: string; theme: Theme }) {
  const [exec, setExec] = useState<any>();
  const [definition, setDefinition] = useState<Json>();
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [error, setError] = useState<string>();
  const [selectedState, setSelectedState] = useState<string>();
  const [selectedEvent, setSelectedEvent] = useState<number>();
  const [entryIndex, setEntryIndex] = useState(0);
  const [tab, setTab] = useState<'state' | 'io' | 'map'>('io');
  const [filter, setFilter] = useState('');
  const [iteration, setIteration] = useState<{ map: string; index: number }>();
  const [notice, setNotice] = useState<string>();
  const lastId = useRef(0);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const d = await sfn('DescribeExecution', { executionArn: arn });
        const fresh = await historyAfter(arn, lastId.current);
        if (!live) return;
        if (fresh.length) {
          lastId.current = fresh[fresh.length - 1].id;
          setEvents((old) => [...old, ...fresh]);
        }
        setExec(d);
        if (d.status === 'RUNNING') timer = setTimeout(tick, POLL_MS);
      } catch (e) {
        if (live) setError(`${(e as ApiError).code ?? ''} ${(e as Error).message}`);
      }
    };
    sfn('DescribeStateMachineForExecution', { executionArn: arn }).then(
      (m) => live && setDefinition(parse(m.definition) as Json),
      () => undefined,
    );
    tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [arn]);

  const analysis = useMemo(() => analyse(events, exec?.status), [events, exec?.status]);
  const graph = useMemo(() => toGraph(definition ?? {}), [definition]);
  const statuses = useMemo(() => {
    const m = new Map<string, StateStatus>();
    for (const [name, s] of analysis.states) m.set(name, s.status);
    return m;
  }, [analysis]);
  // Failures that ended the run: not those inside a Parallel or Map that recovered.
  const failing = useMemo(() => {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const recovered = (name: string) => {
      let n = byId.get(graph.byName.get(name) ?? '');
      while (n?.parent) {
        n = byId.get(n.parent);
        const st = n?.kind === 'state' && n.name ? analysis.states.get(n.name)?.status : undefined;
        if (st === 'caught' || st === 'succeeded' || st === 'retried') return true;
      }
      return false;
    };
    return [...analysis.states.values()].filter((s) => s.status === 'failed' && !recovered(s.name));
  }, [analysis, graph]);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    if (!f && !iteration) return events;
    return events.filter((e) => {
      if (iteration) {
        const it = analysis.iterationOfEvent.get(e.id);
        if (!it || it.map !== iteration.map || it.index !== iteration.index) return false;
      }
      return !f || e.type.toLowerCase().includes(f) || (analysis.stateOfEvent.get(e.id) ?? '').toLowerCase().includes(f);
    });
  }, [events, filter, analysis, iteration]);

  const start = events.length ? ms(events[0].timestamp) : 0;
  // A Fail state records no failure event: its Error and Cause come from the definition
  // (or, when computed by a path, from the execution's own failure).
  const failOf = (name: string): { error?: string; cause?: string } => {
    const node = graph.nodes.find((n) => n.name === name);
    const st = node?.container ? getAt(definition ?? {}, [...node.container, 'States', name]) : undefined;
    if (!isObject(st) || st.Type !== 'Fail') return {};
    return {
      error: typeof st.Error === 'string' ? st.Error : exec?.error,
      cause: typeof st.Cause === 'string' ? st.Cause : exec?.cause,
    };
  };
  const summary = selectedState ? analysis.states.get(selectedState) : undefined;
  const entry = summary?.entries[Math.min(entryIndex, summary.entries.length - 1)];
  const ev = selectedEvent !== undefined ? shown[selectedEvent] : undefined;

  const selectState = (name: string | undefined) => {
    setSelectedState(name);
    setEntryIndex(0);
    if (name) setTab(analysis.iterations.has(name) ? 'map' : 'state');
  };

  const stop = async () => {
    if (!window.confirm('Stop this execution?')) return;
    try {
      await sfn('StopExecution', { executionArn: arn, error: 'Stopped', cause: 'Stopped from the Stepwise UI' });
      setNotice('Stop requested');
      setExec(await sfn('DescribeExecution', { executionArn: arn }));
    } catch (e) {
      setNotice(`${(e as ApiError).code}: ${(e as Error).message}`);
    }
  };
  const redrive = async () => {
    try {
      await sfn('RedriveExecution', { executionArn: arn });
      setNotice('Redrive started');
      window.location.reload();
    } catch (e) {
      setNotice(`${(e as ApiError).code}: ${(e as Error).message}`);
    }
  };

  if (error && !exec) return <p className="sw-error sw-page" role="alert">{error}</p>;
  if (!exec) return <p className="sw-muted sw-page">Loading…</p>;
  const status: string = exec.status;
  return (
    <div className="sw-exec">
      <div className="sw-toolbar">
        <h1 className="sw-exec-title">
          {exec.name} <span className={`sw-status sw-status-${status.toLowerCase()}`} data-testid="execution-status">{status}</span>
        </h1>
        <span className="sw-muted sw-small">
          <a href={href('designer', exec.stateMachineArn)}>{arnName(exec.stateMachineArn)}</a>
          {exec.stateMachineAliasArn ? ` via alias ${exec.stateMachineAliasArn.split(':').pop()}` : exec.stateMachineVersionArn ? ` version ${exec.stateMachineVersionArn.split(':').pop()}` : ''} · started {fmtDate(exec.startDate)}
          {exec.stopDate ? ` · ended ${fmtDate(exec.stopDate)} (${((ms(exec.stopDate) - ms(exec.startDate)) / 1000).toFixed(3)} s)` : ''}
          {exec.redriveCount ? ` · redriven ${exec.redriveCount}×` : ''}
        </span>
        <span className="sw-spacer" />
        {status === 'RUNNING' ? (
          <button type="button" className="sw-button sw-danger" onClick={stop}>
            Stop
          </button>
        ) : null}
        {['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status) ? (
          <button type="button" className="sw-button" onClick={redrive}>
            Redrive
          </button>
        ) : null}
        <a className="sw-button" href={href('executions', undefined, { stateMachineArn: exec.stateMachineArn })}>
          All executions
        </a>
      </div>
      {notice ? <div className="sw-banner sw-ok" role="status">{notice}</div> : null}
      {exec.error || failing.length ? (
        <div className="sw-banner sw-error" role="alert" data-testid="failure">
          {failing.length ? (
            <>
              Failed in{' '}
              {failing.map((f) => (
                <button key={f.name} type="button" className="sw-link" onClick={() => selectState(f.name)}>
                  {f.name}
                </button>
              ))}
              {': '}
            </>
          ) : null}
          <strong>{exec.error}</strong> {exec.cause ? <span className="sw-small">{String(exec.cause).slice(0, 300)}</span> : null}
        </div>
      ) : null}
      <div className="sw-exec-body">
        <div className="sw-exec-graph">
          <FlowCanvas graph={graph} statuses={statuses} selected={selectedState ? graph.byName.get(selectedState) : undefined} onSelect={(id) => selectState(graph.nodes.find((n) => n.id === id)?.name)} colorMode={theme} />
          <Legend />
        </div>
        <aside className="sw-side sw-exec-side" aria-label="Details">
          <div className="sw-tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'io'} onClick={() => setTab('io')}>
              Execution input &amp; output
            </button>
            <button type="button" role="tab" aria-selected={tab === 'state'} onClick={() => setTab('state')}>
              State{selectedState ? `: ${selectedState}` : ''}
            </button>
            {analysis.iterations.size ? (
              <button type="button" role="tab" aria-selected={tab === 'map'} onClick={() => setTab('map')}>
                Map iterations
              </button>
            ) : null}
          </div>
          <div className="sw-side-scroll">
            {tab === 'io' ? (
              <div className="sw-pad">
                <JsonView label="Input" value={parse(exec.input)} />
                {exec.output !== undefined ? <JsonView label="Output" value={parse(exec.output)} /> : null}
                {exec.error ? <JsonView label="Error" value={{ error: exec.error, cause: parse(exec.cause) }} /> : null}
              </div>
            ) : tab === 'map' ? (
              <MapIterations
                analysis={analysis}
                selected={selectedState}
                onPick={selectState}
                current={iteration}
                onIteration={(it) => {
                  setIteration(it);
                  setSelectedEvent(undefined);
                }}
              />
            ) : summary && entry ? (
              <div className="sw-pad" data-testid="state-inspector">
                <h2>
                  {summary.name} <span className={`sw-status sw-status-${summary.status.toLowerCase()}`}>{summary.status}</span>
                </h2>
                {summary.entries.length > 1 ? (
                  <label className="sw-field">
                    <span>Entry ({summary.entries.length} times{summary.retries ? `, ${summary.retries} retries` : ''})</span>
                    <select value={Math.min(entryIndex, summary.entries.length - 1)} onChange={(e) => setEntryIndex(Number(e.target.value))}>
                      {summary.entries.map((en, i) => (
                        <option key={i} value={i}>
                          #{i + 1} — {en.outcome} at {fmtDate(en.enteredAt)}
                        </option>
                      ))}
                    </select>
                  </label>
                ) : null}
                <p className="sw-small">
                  {entry.outcome} · entered {fmtDate(entry.enteredAt)}
                  {entry.exitedAt ? ` · took ${entry.exitedAt - entry.enteredAt} ms` : ''}
                  {entry.resource ? ` · ${entry.resource}` : ''}
                </p>
                {(() => {
                  const f = entry.error ? { error: entry.error, cause: entry.cause } : entry.outcome === 'failed' ? failOf(summary.name) : {};
                  return f.error ? (
                    <div className="sw-error sw-box" data-testid="state-error">
                      <strong>{f.error}</strong>
                      {f.cause ? <JsonView value={parse(f.cause)} label="Cause" /> : null}
                    </div>
                  ) : null;
                })()}
                {entry.attempts.length > 1 || entry.attempts.some((a) => a.error) ? (
                  <table className="sw-table sw-small">
                    <caption>Attempts</caption>
                    <thead>
                      <tr>
                        <th>#</th>
                        <th>Scheduled</th>
                        <th>Result</th>
                      </tr>
                    </thead>
                    <tbody>
                      {entry.attempts.map((a, i) => (
                        <tr key={i}>
                          <td>{i + 1}</td>
                          <td>{fmtDate(a.scheduledAt)}</td>
                          <td>{a.error ? `${a.error}${a.cause ? `: ${a.cause.slice(0, 120)}` : ''}` : a.endedEventId ? 'succeeded' : 'running'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : null}
                <JsonView label="Input" value={entry.input} />
                {entry.parameters !== undefined ? <JsonView label="Parameters" value={entry.parameters} /> : null}
                {entry.output !== undefined ? <JsonView label="Output" value={entry.output} /> : null}
              </div>
            ) : (
              <p className="sw-muted sw-pad">{selectedState ? `${selectedState} was not reached.` : 'Select a state in the graph or an event below.'}</p>
            )}
          </div>
        </aside>
      </div>
      <section className="sw-events" aria-label="Events">
        <div className="sw-events-head">
          <strong>Events ({events.length.toLocaleString()})</strong>
          <input type="search" placeholder="Filter by type or state" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter events" />
          {iteration ? (
            <span className="sw-chip" data-testid="iteration-filter">
              {iteration.map} iteration #{iteration.index}
              <button type="button" className="sw-link" aria-label="Show all events" onClick={() => setIteration(undefined)}>
                ✕
              </button>
            </span>
          ) : null}
          {status === 'RUNNING' ? <span className="sw-muted sw-small">live</span> : null}
        </div>
        <div className="sw-events-body">
          <VirtualList
            items={shown}
            rowHeight={ROW}
            height="100%"
            label="Event history"
            selected={selectedEvent}
            onSelect={(i) => {
              setSelectedEvent(i);
              const name = analysis.stateOfEvent.get(shown[i].id);
              if (name && name !== selectedState) {
                setSelectedState(name);
                setEntryIndex(0);
              }
            }}
            header={
              <div className="sw-erow sw-erow-head" role="row">
                <span>ID</span>
                <span>Type</span>
                <span>State</span>
                <span>Elapsed</span>
                <span>Timestamp</span>
              </div>
            }
            row={(e) => (
              <div className={`sw-erow ${/Failed|TimedOut|Aborted/.test(e.type) ? 'sw-erow-bad' : /Succeeded|Exited/.test(e.type) ? 'sw-erow-good' : ''}`} data-event-type={e.type}>
                <span>{e.id}</span>
                <span>{e.type}</span>
                <span>{analysis.stateOfEvent.get(e.id) ?? ''}</span>
                <span>{(ms(e.timestamp) - start).toLocaleString()} ms</span>
                <span>{fmtDate(e.timestamp)}</span>
              </div>
            )}
          />
          <div className="sw-event-details" aria-label="Event details">
            {ev ? <JsonView label={`Event ${ev.id}: ${ev.type}`} value={readable(ev)} open={3} /> : <p className="sw-muted sw-pad">Select an event (arrow keys move) to see its details.</p>}
          </div>
        </div>
      </section>
    </div>
  );
}

function Legend() {
  const items: [StateStatus, string][] = [
    ['succeeded', 'Succeeded'],
    ['retried', 'Retried'],
    ['caught', 'Caught'],
    ['failed', 'Failed'],
    ['running', 'Running'],
    ['aborted', 'Aborted'],
    ['notReached', 'Not reached'],
  ];
  return (
    <ul className="sw-legend" aria-label="Legend">
      {items.map(([k, l]) => (
        <li key={k}>
          <span className={`sw-swatch sw-st-${k}`} /> {l}
        </li>
      ))}
    </ul>
  );
}

function MapIterations({
  analysis,
  selected,
  onPick,
  current,
  onIteration,
}: {
  analysis: ReturnType<typeof analyse>;
  selected?: string;
  onPick: (n: string) => void;
  current?: { map: string; index: number };
  onIteration: (it: { map: string; index: number }) => void;
}) {
  const names = [...analysis.iterations.keys()];
  const name = selected && analysis.iterations.has(selected) ? selected : names[0];
  const list = analysis.iterations.get(name) ?? [];
  const counts = list.reduce<Record<string, number>>((m, i) => ({ ...m, [i.status]: (m[i.status] ?? 0) + 1 }), {});
  return (
    <div className="sw-pad" data-testid="map-iterations">
      {names.length > 1 ? (
        <label className="sw-field">
          <span>Map state</span>
          <select value={name} onChange={(e) => onPick(e.target.value)}>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      ) : (
        <h2>{name}</h2>
      )}
      <p className="sw-small">
        {list.length} iterations:{' '}
        {Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}
      </p>
      <div className="sw-iterations">
        {list.slice(0, 5000).map((it) => (
          <button
            type="button"
            key={it.index}
            className={`sw-iter sw-st-${it.status}${current?.map === name && current.index === it.index ? ' sw-iter-current' : ''}`}
            title={`#${it.index}: ${it.status} — show its events`}
            aria-label={`iteration ${it.index} ${it.status}`}
            onClick={() => onIteration({ map: name, index: it.index })}
          />
        ))}
      </div>
      {list.length > 5000 ? <p className="sw-muted sw-small">First 5,000 shown.</p> : null}
    </div>
  );
}
