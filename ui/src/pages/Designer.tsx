// The designer: palette, canvas, side panel, JSON editor, kept in sync through
// one definition value; diagnostics from the server's validator.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Connection } from '@xyflow/react';
import FlowCanvas from '../components/FlowCanvas';
import CodeEditor, { type EditorDiagnostic } from '../components/CodeEditor';
import Inspector from './Inspector';
import { type Json, type JsonObject, type Path, getAt, isObject, parseLocation, processorKey, stateAt, toGraph, START_ID } from '../asl/graph';
import { PALETTE, addBranch, addState, blankDefinition, connect, deleteState, isJsonata, removeEdge, renameState, replaceState, allNames, retarget } from '../asl/edit';
import { locate, parseErrorAt } from '../asl/jsonpos';
import { all, ApiError, arnName, fmtDate, sfn } from '../api';
import { go, href, type Theme } from '../App';

const ROLE = 'arn:aws:iam::123456789012:role/stepwise';

interface ServerDiagnostic {
  code: string;
  message: string;
  location?: string;
}

const pretty = (d: Json) => JSON.stringify(d, null, 2);
const samePath = (a: Path | undefined, b: Path | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export default function Designer({ arn, theme }: { arn?: string; theme: Theme }) {
  const [def, setDef] = useState<Json>(blankDefinition);
  const [text, setText] = useState(() => pretty(blankDefinition()));
  const [past, setPast] = useState<string[]>([]);
  const [future, setFuture] = useState<string[]>([]);
  const [selected, setSelected] = useState<string>();
  const [parseError, setParseError] = useState<EditorDiagnostic>();
  const [diagnostics, setDiagnostics] = useState<ServerDiagnostic[]>([]);
  const [validating, setValidating] = useState(false);
  const [name, setName] = useState('MyStateMachine');
  const [type, setType] = useState('STANDARD');
  const [machine, setMachine] = useState<any>();
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [tab, setTab] = useState<'state' | 'versions'>('state');
  const [starting, setStarting] = useState(false);
  const lastEditorEdit = useRef(0);

  // Load an existing machine.
  useEffect(() => {
    if (!arn) return;
    sfn('DescribeStateMachine', { stateMachineArn: arn }).then(
      (m) => {
        setMachine(m);
        setName(m.name);
        setType(m.type);
        let d: Json;
        try {
          d = JSON.parse(m.definition);
        } catch {
          d = {};
        }
        setDef(d);
        setText(pretty(d));
      },
      (e) => setMessage({ kind: 'error', text: String(e.message) }),
    );
  }, [arn]);

  /** Every change to the definition from the graph or the form. */
  const apply = useCallback(
    (next: Json) => {
      if (next === def) return;
      setPast((p) => [...p.slice(-199), text]);
      setFuture([]);
      setDef(next);
      setText(pretty(next));
      setParseError(undefined);
    },
    [def, text],
  );

  const onEditorChange = (t: string) => {
    const now = Date.now();
    // Typing bursts make one undo step.
    if (now - lastEditorEdit.current > 1000) {
      setPast((p) => [...p.slice(-199), text]);
      setFuture([]);
    }
    lastEditorEdit.current = now;
    setText(t);
    try {
      setDef(JSON.parse(t));
      setParseError(undefined);
    } catch (e) {
      const at = parseErrorAt(t, (e as Error).message);
      setParseError({ from: at, to: at + 1, message: `Invalid JSON: ${(e as Error).message}`, severity: 'error' });
    }
  };

  const restore = (t: string) => {
    setText(t);
    try {
      setDef(JSON.parse(t));
      setParseError(undefined);
    } catch {
      /* the editor shows the error on the next change */
    }
  };
  const undo = () => {
    if (!past.length) return;
    setFuture((f) => [text, ...f]);
    restore(past[past.length - 1]);
    setPast((p) => p.slice(0, -1));
  };
  const redo = () => {
    if (!future.length) return;
    setPast((p) => [...p, text]);
    restore(future[0]);
    setFuture((f) => f.slice(1));
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest('.cm-editor, input, textarea, select')) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // Validate with the server (the same validator as `stepwise validate`).
  useEffect(() => {
    if (parseError) return;
    const t = setTimeout(() => {
      setValidating(true);
      sfn('ValidateStateMachineDefinition', { definition: text, type, maxResults: 100 }).then(
        (r) => {
          setDiagnostics(r.diagnostics ?? []);
          setValidating(false);
        },
        (e) => {
          setDiagnostics([{ code: (e as ApiError).code ?? 'Error', message: String(e.message) }]);
          setValidating(false);
        },
      );
    }, 350);
    return () => clearTimeout(t);
  }, [text, type, parseError]);

  const graph = useMemo(() => toGraph(def), [def]);
  const nodeById = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);

  const editorDiagnostics = useMemo(() => {
    const out: EditorDiagnostic[] = [];
    if (parseError) out.push(parseError);
    else
      for (const d of diagnostics) {
        const span = locate(text, parseLocation(d.location ?? '/')) ?? { from: 0, to: 1 };
        out.push({ from: span.from, to: Math.min(span.to, span.from + 400), message: `${d.code}: ${d.message}`, severity: 'error' });
      }
    return out;
  }, [parseError, diagnostics, text]);

  const problems = useMemo(() => {
    const m = new Map<string, number>();
    for (const d of diagnostics) {
      const s = stateAt(parseLocation(d.location ?? '/'));
      if (s) m.set(s, (m.get(s) ?? 0) + 1);
    }
    return m;
  }, [diagnostics]);

  // Graph gestures.
  const containerFor = (parentId: string | undefined): Path => {
    const p = parentId ? nodeById.get(parentId) : undefined;
    if (!p) return [];
    if (p.kind === 'branch') return p.branchPath!;
    const state = getAt(def, [...p.container!, 'States', p.name!]);
    const key = isObject(state) ? processorKey(state) : undefined;
    return key ? [...p.container!, 'States', p.name!, key] : [];
  };
  const addItem = (item: string, parentId?: string) => {
    const r = addState(def, containerFor(parentId), item);
    if (!r.name) return;
    apply(r.def);
    setSelected(r.name);
    setTab('state');
  };
  const onConnect = (c: Connection) => {
    const s = nodeById.get(c.source);
    const t = nodeById.get(c.target);
    if (!s || !t || t.kind !== 'state') return;
    if (s.id === START_ID) {
      if (t.container && t.container.length === 0) apply(connect(def, [], null, t.name!, 'next'));
      return;
    }
    if (s.kind !== 'state' || !samePath(s.container, t.container)) {
      setMessage({ kind: 'error', text: 'States can only connect to states of the same branch or processor.' });
      return;
    }
    const kind = c.sourceHandle === 'catch' ? 'catch' : c.sourceHandle === 'default' ? 'default' : c.sourceHandle === 'choice' ? 'choice' : 'next';
    apply(connect(def, s.container!, s.name!, t.name!, kind));
  };
  const onDeleteNodes = (ids: string[]) => {
    let d = def;
    for (const id of ids) {
      const n = nodeById.get(id);
      if (n?.kind === 'state') d = deleteState(d, n.container!, n.name!);
    }
    apply(d);
    setSelected(undefined);
  };
  const onDeleteEdges = (ids: string[]) => {
    let d = def;
    // Later entries first so list indexes stay valid.
    const paths = ids
      .map((id) => graph.edges.find((e) => e.id === id)?.path)
      .filter((p): p is Path => !!p)
      .sort((a, b) => JSON.stringify(b).localeCompare(JSON.stringify(a)));
    for (const p of paths) d = removeEdge(d, p);
    apply(d);
  };

  // Dragging an edge's arrow end to another state of the same container.
  const onReconnect = (edgeId: string, c: Connection) => {
    const e = graph.edges.find((x) => x.id === edgeId);
    const t = nodeById.get(c.target);
    const s = nodeById.get(e?.source ?? '');
    if (!e?.path || !t || t.kind !== 'state' || !s || !samePath(s.container, t.container)) return;
    apply(retarget(def, e.path, t.name!));
  };

  const sel = selected ? nodeById.get(selected) : undefined;
  const selState = sel?.kind === 'state' ? getAt(def, [...sel.container!, 'States', sel.name!]) : undefined;
  const siblings = sel?.kind === 'state' ? Object.keys((getAt(def, [...sel.container!, 'States']) as JsonObject) ?? {}) : [];

  // Saving, versions, aliases.
  const save = async () => {
    setMessage(undefined);
    try {
      if (!machine) {
        const r = await sfn('CreateStateMachine', { name, definition: text, roleArn: ROLE, type });
        setMessage({ kind: 'ok', text: `Created ${name}` });
        go('designer', r.stateMachineArn);
      } else {
        await sfn('UpdateStateMachine', { stateMachineArn: machine.stateMachineArn, definition: text });
        setMachine(await sfn('DescribeStateMachine', { stateMachineArn: machine.stateMachineArn }));
        setMessage({ kind: 'ok', text: `Saved ${name}` });
      }
    } catch (e) {
      setMessage({ kind: 'error', text: `${(e as ApiError).code}: ${(e as Error).message}` });
    }
  };
  const saveAsNew = async () => {
    const newName = window.prompt('Name of the new state machine', `${name}-copy`);
    if (!newName) return;
    try {
      const r = await sfn('CreateStateMachine', { name: newName, definition: text, roleArn: ROLE, type });
      go('designer', r.stateMachineArn);
    } catch (e) {
      setMessage({ kind: 'error', text: `${(e as ApiError).code}: ${(e as Error).message}` });
    }
  };

  const errorCount = parseError ? 1 : diagnostics.length;
  // Unsaved: the text differs from what the server holds (or nothing saved yet).
  const savedText = useMemo(() => {
    if (!machine) return pretty(blankDefinition());
    try {
      return pretty(JSON.parse(machine.definition));
    } catch {
      return machine.definition;
    }
  }, [machine]);
  const dirty = text !== savedText;
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  return (
    <div className="sw-designer">
      <div className="sw-toolbar" role="toolbar" aria-label="Designer">
        <label className="sw-inline">
          Name{' '}
          <input value={name} onChange={(e) => setName(e.target.value)} disabled={!!machine} aria-label="State machine name" />
        </label>
        <label className="sw-inline">
          Type{' '}
          <select value={type} onChange={(e) => setType(e.target.value)} disabled={!!machine} aria-label="State machine type">
            <option>STANDARD</option>
            <option>EXPRESS</option>
          </select>
        </label>
        <button type="button" className="sw-button" onClick={undo} disabled={!past.length} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" className="sw-button" onClick={redo} disabled={!future.length} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <span className={`sw-badge ${errorCount ? 'sw-badge-error' : 'sw-badge-ok'}`} data-testid="validation" aria-live="polite">
          {validating ? 'validating…' : errorCount ? `${errorCount} problem${errorCount > 1 ? 's' : ''}` : 'valid'}
        </span>
        {dirty && machine ? (
          <span className="sw-badge sw-badge-error" data-testid="unsaved">
            unsaved changes
          </span>
        ) : null}
        <span className="sw-spacer" />
        <button type="button" className="sw-button sw-primary" onClick={save} disabled={!!parseError}>
          {machine ? 'Save' : 'Create'}
        </button>
        {machine ? (
          <>
            <button type="button" className="sw-button" onClick={saveAsNew} disabled={!!parseError}>
              Save as new
            </button>
            <button type="button" className="sw-button" onClick={() => setStarting(true)}>
              Start execution
            </button>
            <a className="sw-button" href={href('executions', undefined, { stateMachineArn: machine.stateMachineArn })}>
              Executions
            </a>
          </>
        ) : null}
      </div>
      {message ? (
        <div className={message.kind === 'error' ? 'sw-error sw-banner' : 'sw-ok sw-banner'} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
          <button type="button" className="sw-link" onClick={() => setMessage(undefined)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      ) : null}
      <div className="sw-designer-body">
        <aside className="sw-palette" aria-label="Palette">
          <h2>States</h2>
          {PALETTE.filter((p) => p.group === 'flow').map((p) => (
            <PaletteButton key={p.key} item={p.key} label={p.label} onAdd={() => addItem(p.key, sel?.group ? sel.id : sel?.parent)} />
          ))}
          <h2>Integrations</h2>
          {PALETTE.filter((p) => p.group === 'integration').map((p) => (
            <PaletteButton key={p.key} item={p.key} label={p.label} onAdd={() => addItem(p.key, sel?.group ? sel.id : sel?.parent)} />
          ))}
          <p className="sw-muted sw-small">Drag onto the canvas (into a branch or Map to nest), or press Enter to add. Connect from a state's bottom handle; Choice: left = new rule, right = Default; right handle = Catch. Delete removes the selection.</p>
        </aside>
        <FlowCanvas
          graph={graph}
          problems={problems}
          selected={selected}
          onSelect={(id) => {
            setSelected(id);
            if (id) setTab('state');
          }}
          editable
          onConnect={onConnect}
          onDeleteNodes={onDeleteNodes}
          onDeleteEdges={onDeleteEdges}
          onReconnect={onReconnect}
          onDropItem={addItem}
          colorMode={theme}
        />
        <aside className="sw-side" aria-label="Details">
          <div className="sw-tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'state'} onClick={() => setTab('state')}>
              State
            </button>
            <button type="button" role="tab" aria-selected={tab === 'versions'} onClick={() => setTab('versions')} disabled={!machine}>
              Versions &amp; aliases
            </button>
          </div>
          <div className="sw-side-top">
            {tab === 'versions' && machine ? (
              <Versions machineArn={machine.stateMachineArn} onMessage={setMessage} />
            ) : sel && sel.kind === 'state' && isObject(selState) ? (
              <Inspector
                key={sel.id}
                name={sel.name!}
                state={selState}
                siblings={siblings}
                jsonata={isJsonata(def)}
                onChange={(s) => apply(replaceState(def, sel.container!, sel.name!, s))}
                onRename={(to) => {
                  if (!to) return 'A name is required';
                  if (allNames(def).has(to)) return `A state named "${to}" exists`;
                  apply(renameState(def, sel.container!, sel.name!, to));
                  setSelected(to);
                  return undefined;
                }}
                onAddBranch={() => apply(addBranch(def, sel.container!, sel.name!))}
                onDelete={() => onDeleteNodes([sel.id])}
              />
            ) : (
              <div className="sw-muted sw-pad">
                <p>Select a state to edit its fields.</p>
                <label className="sw-field">
                  <span>Machine query language</span>
                  <select
                    value={isJsonata(def) ? 'JSONata' : 'JSONPath'}
                    onChange={(e) => {
                      if (!isObject(def)) return;
                      const d: JsonObject = { ...def };
                      if (e.target.value === 'JSONata') d.QueryLanguage = 'JSONata';
                      else delete d.QueryLanguage;
                      apply(d);
                    }}
                  >
                    <option>JSONPath</option>
                    <option>JSONata</option>
                  </select>
                </label>
              </div>
            )}
          </div>
          <div className="sw-side-code">
            <div className="sw-side-code-head">
              <strong>Definition (ASL JSON)</strong>
            </div>
            <CodeEditor value={text} onChange={onEditorChange} diagnostics={editorDiagnostics} dark={theme === 'dark'} label="Definition" />
            {editorDiagnostics.length ? (
              <ul className="sw-diagnostics" aria-label="Problems" data-testid="problems">
                {parseError ? <li>{parseError.message}</li> : null}
                {!parseError
                  ? diagnostics.map((d, i) => {
                      const s = stateAt(parseLocation(d.location ?? '/'));
                      return (
                        <li key={i}>
                          <button type="button" className="sw-link" onClick={() => s && setSelected(graph.byName.get(s))}>
                            {d.location ?? '/'}
                          </button>{' '}
                          <code>{d.code}</code> {d.message}
                        </li>
                      );
                    })
                  : null}
              </ul>
            ) : null}
          </div>
        </aside>
      </div>
      {starting && machine ? <StartDialog machineArn={machine.stateMachineArn} theme={theme} unsaved={dirty} onClose={() => setStarting(false)} /> : null}
    </div>
  );
}

function PaletteButton({ item, label, onAdd }: { item: string; label: string; onAdd: () => void }) {
  return (
    <button
      type="button"
      className={`sw-palette-item sw-type-${item.toLowerCase()}`}
      draggable
      data-item={item}
      onDragStart={(e) => {
        e.dataTransfer.setData('application/x-stepwise-state', item);
        e.dataTransfer.effectAllowed = 'copy';
      }}
      onClick={onAdd}
      title={`Add ${label}`}
    >
      {label}
    </button>
  );
}

function Versions({ machineArn, onMessage }: { machineArn: string; onMessage: (m: { kind: 'ok' | 'error'; text: string }) => void }) {
  const [versions, setVersions] = useState<any[]>([]);
  const [aliases, setAliases] = useState<any[]>([]);
  const [details, setDetails] = useState<Record<string, any>>({});
  const [description, setDescription] = useState('');
  const [alias, setAlias] = useState({ name: '', version: '', second: '', weight: 100 });
  const load = useCallback(async () => {
    const v = await all<any>('ListStateMachineVersions', { stateMachineArn: machineArn }, 'stateMachineVersions');
    const a = await all<any>('ListStateMachineAliases', { stateMachineArn: machineArn }, 'stateMachineAliases');
    setVersions(v);
    setAliases(a);
    const d: Record<string, any> = {};
    for (const x of a) d[x.stateMachineAliasArn] = await sfn('DescribeStateMachineAlias', { stateMachineAliasArn: x.stateMachineAliasArn });
    setDetails(d);
  }, [machineArn]);
  useEffect(() => {
    load().catch((e) => onMessage({ kind: 'error', text: String(e.message) }));
  }, [load, onMessage]);
  const run = async (f: () => Promise<unknown>, ok: string) => {
    try {
      await f();
      onMessage({ kind: 'ok', text: ok });
      await load();
    } catch (e) {
      onMessage({ kind: 'error', text: `${(e as ApiError).code}: ${(e as Error).message}` });
    }
  };
  return (
    <div className="sw-pad">
      <h3>Versions</h3>
      <div className="sw-inline-form">
        <input placeholder="Description (optional)" value={description} onChange={(e) => setDescription(e.target.value)} aria-label="Version description" />
        <button type="button" className="sw-button" onClick={() => run(() => sfn('PublishStateMachineVersion', { stateMachineArn: machineArn, ...(description ? { description } : {}) }), 'Published a version')}>
          Publish version
        </button>
      </div>
      <ul className="sw-plain">
        {versions.map((v) => (
          <li key={v.stateMachineVersionArn}>
            <strong>v{v.stateMachineVersionArn.split(':').pop()}</strong> <span className="sw-muted">{fmtDate(v.creationDate)}</span>{' '}
            <a href={href('executions', undefined, { versionArn: v.stateMachineVersionArn })}>executions</a>
          </li>
        ))}
        {versions.length === 0 ? <li className="sw-muted">No versions published.</li> : null}
      </ul>
      <h3>Aliases</h3>
      <ul className="sw-plain">
        {aliases.map((a) => (
          <li key={a.stateMachineAliasArn}>
            <strong>{arnName(a.stateMachineAliasArn).split(':').pop()}</strong>{' '}
            <span className="sw-muted">
              {(details[a.stateMachineAliasArn]?.routingConfiguration ?? []).map((r: any) => `v${r.stateMachineVersionArn.split(':').pop()} ${r.weight}%`).join(', ')}
            </span>{' '}
            <a href={href('executions', undefined, { aliasArn: a.stateMachineAliasArn })}>executions</a>{' '}
            <button type="button" className="sw-link" onClick={() => run(() => sfn('DeleteStateMachineAlias', { stateMachineAliasArn: a.stateMachineAliasArn }), 'Deleted the alias')}>
              delete
            </button>
          </li>
        ))}
        {aliases.length === 0 ? <li className="sw-muted">No aliases.</li> : null}
      </ul>
      <fieldset>
        <legend>Create or update an alias</legend>
        <label className="sw-field">
          <span>Alias name</span>
          <input value={alias.name} onChange={(e) => setAlias({ ...alias, name: e.target.value })} />
        </label>
        <div className="sw-row3">
          <label className="sw-field">
            <span>Version</span>
            <select value={alias.version} onChange={(e) => setAlias({ ...alias, version: e.target.value })}>
              <option value="">choose…</option>
              {versions.map((v) => (
                <option key={v.stateMachineVersionArn} value={v.stateMachineVersionArn}>
                  v{v.stateMachineVersionArn.split(':').pop()}
                </option>
              ))}
            </select>
          </label>
          <label className="sw-field">
            <span>Weight %</span>
            <input type="number" min={0} max={100} value={alias.weight} onChange={(e) => setAlias({ ...alias, weight: Number(e.target.value) })} />
          </label>
          <label className="sw-field">
            <span>Rest to</span>
            <select value={alias.second} onChange={(e) => setAlias({ ...alias, second: e.target.value })}>
              <option value="">(none)</option>
              {versions.map((v) => (
                <option key={v.stateMachineVersionArn} value={v.stateMachineVersionArn}>
                  v{v.stateMachineVersionArn.split(':').pop()}
                </option>
              ))}
            </select>
          </label>
        </div>
        <button
          type="button"
          className="sw-button"
          disabled={!alias.name || !alias.version}
          onClick={() => {
            const routingConfiguration = [{ stateMachineVersionArn: alias.version, weight: alias.second ? alias.weight : 100 }];
            if (alias.second) routingConfiguration.push({ stateMachineVersionArn: alias.second, weight: 100 - alias.weight });
            const existing = aliases.find((a) => a.stateMachineAliasArn.endsWith(`:${alias.name}`));
            run(
              () =>
                existing
                  ? sfn('UpdateStateMachineAlias', { stateMachineAliasArn: existing.stateMachineAliasArn, routingConfiguration })
                  : sfn('CreateStateMachineAlias', { name: alias.name, routingConfiguration }),
              existing ? 'Updated the alias' : 'Created the alias',
            );
          }}
        >
          Save alias
        </button>
      </fieldset>
    </div>
  );
}

export function StartDialog({ machineArn, theme, unsaved, onClose }: { machineArn: string; theme: Theme; unsaved?: boolean; onClose: () => void }) {
  const [input, setInput] = useState('{\n  "go": true\n}');
  const [execName, setExecName] = useState('');
  const [target, setTarget] = useState(machineArn);
  const [targets, setTargets] = useState<{ arn: string; label: string }[]>([]);
  const [error, setError] = useState<string>();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
    (async () => {
      const v = await all<any>('ListStateMachineVersions', { stateMachineArn: machineArn }, 'stateMachineVersions');
      const a = await all<any>('ListStateMachineAliases', { stateMachineArn: machineArn }, 'stateMachineAliases');
      setTargets([
        ...a.map((x) => ({ arn: x.stateMachineAliasArn, label: `alias ${x.stateMachineAliasArn.split(':').pop()}` })),
        ...v.map((x) => ({ arn: x.stateMachineVersionArn, label: `version ${x.stateMachineVersionArn.split(':').pop()}` })),
      ]);
    })().catch(() => undefined);
  }, [machineArn]);
  let invalid: string | undefined;
  try {
    JSON.parse(input);
  } catch (e) {
    invalid = (e as Error).message;
  }
  const start = async () => {
    try {
      const r = await sfn('StartExecution', { stateMachineArn: target, input, ...(execName ? { name: execName } : {}) });
      onClose();
      go('execution', r.executionArn);
    } catch (e) {
      setError(`${(e as ApiError).code}: ${(e as Error).message}`);
    }
  };
  return (
    <dialog ref={dialog} className="sw-dialog" onClose={onClose} aria-label="Start execution">
      <h2>Start execution</h2>
      {unsaved ? <p className="sw-error sw-small">The designer has unsaved changes: the execution runs the saved definition.</p> : null}
      <label className="sw-field">
        <span>Run</span>
        <select value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value={machineArn}>latest revision</option>
          {targets.map((t) => (
            <option key={t.arn} value={t.arn}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <label className="sw-field">
        <span>Name (optional)</span>
        <input value={execName} onChange={(e) => setExecName(e.target.value)} aria-label="Execution name" />
      </label>
      <div className="sw-field">
        <span>Input</span>
        <CodeEditor value={input} onChange={setInput} dark={theme === 'dark'} label="Execution input" minHeight="160px" diagnostics={invalid ? [{ from: 0, to: input.length, message: invalid, severity: 'error' }] : []} />
      </div>
      {error ? <p className="sw-error" role="alert">{error}</p> : null}
      <div className="sw-dialog-buttons">
        <button type="button" className="sw-button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="sw-button sw-primary" onClick={start} disabled={!!invalid}>
          Start
        </button>
      </div>
    </dialog>
  );
}
