// The designer's side panel: a form for the selected state's fields. Every
// change goes through `onChange(newState)` (or rename/addBranch), so the graph
// and the JSON editor follow.

import { useEffect, useState } from 'react';
import { type Json, type JsonObject, describeRule, isObject } from '../asl/graph';

export interface InspectorProps {
  name: string;
  state: JsonObject;
  /** Names of the states this one can go to (same container). */
  siblings: string[];
  jsonata: boolean;
  onChange: (state: JsonObject) => void;
  onRename: (to: string) => string | undefined;
  onAddBranch: () => void;
  onDelete: () => void;
}

const OPERATORS = [
  'StringEquals', 'StringEqualsPath', 'StringLessThan', 'StringGreaterThan', 'StringMatches',
  'NumericEquals', 'NumericEqualsPath', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'BooleanEquals', 'BooleanEqualsPath', 'TimestampEquals', 'TimestampLessThan', 'TimestampGreaterThan',
  'IsPresent', 'IsNull', 'IsString', 'IsNumeric', 'IsBoolean', 'IsTimestamp',
];

function without(o: JsonObject, key: string): JsonObject {
  const out = { ...o };
  delete out[key];
  return out;
}

function set(o: JsonObject, key: string, v: Json | undefined): JsonObject {
  if (v === undefined || v === '') return without(o, key);
  return { ...o, [key]: v };
}

/** A text/number input that commits on blur or Enter. */
function Field({ label, value, onCommit, type = 'text', placeholder }: { label: string; value: Json | undefined; onCommit: (v: string) => void; type?: 'text' | 'number'; placeholder?: string }) {
  const shown = value === undefined || value === null ? '' : String(value);
  const [v, setV] = useState(shown);
  useEffect(() => setV(shown), [shown]);
  return (
    <label className="sw-field">
      <span>{label}</span>
      <input
        type={type}
        value={v}
        placeholder={placeholder}
        onChange={(e) => setV(e.target.value)}
        onBlur={() => v !== shown && onCommit(v)}
        onKeyDown={(e) => e.key === 'Enter' && v !== shown && onCommit(v)}
      />
    </label>
  );
}

/** A JSON value edited as text; invalid JSON is shown and not applied. */
function JsonField({ label, value, onCommit }: { label: string; value: Json | undefined; onCommit: (v: Json | undefined) => void }) {
  const shown = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [v, setV] = useState(shown);
  const [err, setErr] = useState<string>();
  useEffect(() => {
    setV(shown);
    setErr(undefined);
  }, [shown]);
  const commit = () => {
    if (v === shown) return;
    if (v.trim() === '') return onCommit(undefined);
    try {
      onCommit(JSON.parse(v));
      setErr(undefined);
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return (
    <label className="sw-field">
      <span>{label}</span>
      <textarea rows={Math.min(8, Math.max(2, v.split('\n').length))} value={v} onChange={(e) => setV(e.target.value)} onBlur={commit} spellCheck={false} aria-invalid={!!err} />
      {err ? <small className="sw-error">{err}</small> : null}
    </label>
  );
}

function NextSelect({ label, value, siblings, onChange, allowNone = true }: { label: string; value: Json | undefined; siblings: string[]; onChange: (v: string | undefined) => void; allowNone?: boolean }) {
  return (
    <label className="sw-field">
      <span>{label}</span>
      <select value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)}>
        {allowNone ? <option value="">(none)</option> : null}
        {siblings.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </label>
  );
}

const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

export default function Inspector({ name, state, siblings, jsonata, onChange, onRename, onAddBranch, onDelete }: InspectorProps) {
  const type = String(state.Type ?? '');
  const [renameError, setRenameError] = useState<string>();
  const up = (key: string, v: Json | undefined) => onChange(set(state, key, v));
  const canNext = !['Choice', 'Succeed', 'Fail'].includes(type);
  const canRetry = ['Task', 'Parallel', 'Map'].includes(type);
  const stateJsonata = state.QueryLanguage ? state.QueryLanguage === 'JSONata' : jsonata;

  return (
    <div className="sw-inspector" aria-label={`State ${name}`}>
      <div className="sw-inspector-head">
        <h2>
          {type} <span className="sw-muted">state</span>
        </h2>
        <button type="button" className="sw-button sw-danger" onClick={onDelete}>
          Delete state
        </button>
      </div>
      <Field
        label="Name"
        value={name}
        onCommit={(v) => {
          setRenameError(onRename(v.trim()));
        }}
      />
      {renameError ? <small className="sw-error">{renameError}</small> : null}
      <Field label="Comment" value={state.Comment} onCommit={(v) => up('Comment', v)} />
      <label className="sw-field">
        <span>Query language</span>
        <select value={typeof state.QueryLanguage === 'string' ? state.QueryLanguage : ''} onChange={(e) => up('QueryLanguage', e.target.value || undefined)}>
          <option value="">(machine default: {jsonata ? 'JSONata' : 'JSONPath'})</option>
          <option value="JSONPath">JSONPath</option>
          <option value="JSONata">JSONata</option>
        </select>
      </label>
      {canNext ? (
        <NextSelect
          label="Next"
          value={state.Next}
          siblings={siblings.filter((s) => s !== name)}
          onChange={(v) => onChange(v ? set(without(state, 'End'), 'Next', v) : set(without(state, 'Next'), 'End', true))}
        />
      ) : null}

      {type === 'Task' ? (
        <fieldset>
          <legend>Task</legend>
          <Field label="Resource" value={state.Resource} onCommit={(v) => up('Resource', v)} />
          <Field label="TimeoutSeconds" type="number" value={state.TimeoutSeconds} onCommit={(v) => up('TimeoutSeconds', num(v))} />
          <Field label="HeartbeatSeconds" type="number" value={state.HeartbeatSeconds} onCommit={(v) => up('HeartbeatSeconds', num(v))} />
        </fieldset>
      ) : null}
      {type === 'Wait' ? (
        <fieldset>
          <legend>Wait</legend>
          {['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'].map((k) => (
            <Field key={k} label={k} type={k === 'Seconds' && typeof state.Seconds === 'number' ? 'number' : 'text'} value={state[k]} onCommit={(v) => up(k, k === 'Seconds' && /^\d+$/.test(v) ? Number(v) : v)} />
          ))}
        </fieldset>
      ) : null}
      {type === 'Fail' ? (
        <fieldset>
          <legend>Failure</legend>
          <Field label="Error" value={state.Error} onCommit={(v) => up('Error', v)} />
          <Field label="Cause" value={state.Cause} onCommit={(v) => up('Cause', v)} />
        </fieldset>
      ) : null}
      {type === 'Pass' ? <JsonField label="Result" value={state.Result} onCommit={(v) => up('Result', v)} /> : null}
      {type === 'Map' ? (
        <fieldset>
          <legend>Map</legend>
          <Field label="MaxConcurrency" type="number" value={state.MaxConcurrency} onCommit={(v) => up('MaxConcurrency', num(v))} />
          {stateJsonata ? <JsonField label="Items" value={state.Items} onCommit={(v) => up('Items', v)} /> : <Field label="ItemsPath" value={state.ItemsPath} onCommit={(v) => up('ItemsPath', v)} />}
          <JsonField label="ItemSelector" value={state.ItemSelector} onCommit={(v) => up('ItemSelector', v)} />
          <Field label="ToleratedFailurePercentage" type="number" value={state.ToleratedFailurePercentage} onCommit={(v) => up('ToleratedFailurePercentage', num(v))} />
        </fieldset>
      ) : null}
      {type === 'Parallel' ? (
        <p>
          {Array.isArray(state.Branches) ? state.Branches.length : 0} branches.{' '}
          <button type="button" className="sw-button" onClick={onAddBranch}>
            Add branch
          </button>
        </p>
      ) : null}

      {type === 'Choice' ? <ChoiceRules state={state} siblings={siblings.filter((s) => s !== name)} jsonata={stateJsonata} onChange={onChange} /> : null}

      {(
        <fieldset>
          <legend>Data flow ({stateJsonata ? 'JSONata' : 'JSONPath'})</legend>
          {stateJsonata ? (
            <>
              {type === 'Task' || type === 'Parallel' || type === 'Map' ? <JsonField label="Arguments" value={state.Arguments} onCommit={(v) => up('Arguments', v)} /> : null}
              {type !== 'Fail' ? <JsonField label="Output" value={state.Output} onCommit={(v) => up('Output', v)} /> : null}
            </>
          ) : (
            <>
              {type !== 'Fail' ? <Field label="InputPath" value={state.InputPath} onCommit={(v) => up('InputPath', v)} placeholder="$" /> : null}
              {['Task', 'Parallel', 'Map', 'Pass'].includes(type) ? <JsonField label={type === 'Map' ? 'Parameters (ItemSelector in new machines)' : 'Parameters'} value={state.Parameters} onCommit={(v) => up('Parameters', v)} /> : null}
              {['Task', 'Parallel', 'Map'].includes(type) ? <JsonField label="ResultSelector" value={state.ResultSelector} onCommit={(v) => up('ResultSelector', v)} /> : null}
              {['Task', 'Parallel', 'Map', 'Pass'].includes(type) ? <Field label="ResultPath" value={state.ResultPath} onCommit={(v) => up('ResultPath', v === 'null' ? null : v)} placeholder="$" /> : null}
              {type !== 'Fail' ? <Field label="OutputPath" value={state.OutputPath} onCommit={(v) => up('OutputPath', v)} placeholder="$" /> : null}
            </>
          )}
          {type !== 'Fail' && type !== 'Succeed' ? <JsonField label="Assign (variables)" value={state.Assign} onCommit={(v) => up('Assign', v)} /> : null}
        </fieldset>
      )}

      {canRetry ? (
        <>
          <Rules
            title="Retry"
            rules={Array.isArray(state.Retry) ? state.Retry : []}
            blank={{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }}
            onChange={(r) => up('Retry', r.length ? r : undefined)}
            render={(r, put) => (
              <>
                <Field label="ErrorEquals (comma-separated)" value={Array.isArray(r.ErrorEquals) ? r.ErrorEquals.join(', ') : ''} onCommit={(v) => put({ ...r, ErrorEquals: list(v) })} />
                <div className="sw-row3">
                  <Field label="Interval s" type="number" value={r.IntervalSeconds} onCommit={(v) => put(set(r, 'IntervalSeconds', num(v)))} />
                  <Field label="Max attempts" type="number" value={r.MaxAttempts} onCommit={(v) => put(set(r, 'MaxAttempts', num(v)))} />
                  <Field label="Backoff" type="number" value={r.BackoffRate} onCommit={(v) => put(set(r, 'BackoffRate', num(v)))} />
                </div>
                <div className="sw-row3">
                  <Field label="Max delay s" type="number" value={r.MaxDelaySeconds} onCommit={(v) => put(set(r, 'MaxDelaySeconds', num(v)))} />
                  <label className="sw-field">
                    <span>Jitter</span>
                    <select value={String(r.JitterStrategy ?? '')} onChange={(e) => put(set(r, 'JitterStrategy', e.target.value || undefined))}>
                      <option value="">NONE</option>
                      <option value="FULL">FULL</option>
                    </select>
                  </label>
                </div>
              </>
            )}
          />
          <Rules
            title="Catch"
            rules={Array.isArray(state.Catch) ? state.Catch : []}
            blank={{ ErrorEquals: ['States.ALL'], Next: siblings.find((s) => s !== name) ?? '' }}
            onChange={(r) => up('Catch', r.length ? r : undefined)}
            render={(r, put) => (
              <>
                <Field label="ErrorEquals (comma-separated)" value={Array.isArray(r.ErrorEquals) ? r.ErrorEquals.join(', ') : ''} onCommit={(v) => put({ ...r, ErrorEquals: list(v) })} />
                <NextSelect label="Next" value={r.Next} siblings={siblings.filter((s) => s !== name)} onChange={(v) => put(set(r, 'Next', v))} allowNone={false} />
                {stateJsonata ? null : <Field label="ResultPath" value={r.ResultPath} onCommit={(v) => put(set(r, 'ResultPath', v))} placeholder="$" />}
              </>
            )}
          />
        </>
      ) : null}
    </div>
  );
}

function Rules({ title, rules, blank, onChange, render }: { title: string; rules: Json[]; blank: JsonObject; onChange: (r: Json[]) => void; render: (rule: JsonObject, put: (r: JsonObject) => void) => React.ReactNode }) {
  return (
    <fieldset>
      <legend>{title}</legend>
      {rules.map((r, i) => (
        <div key={i} className="sw-rule">
          <div className="sw-rule-head">
            <strong>
              {title} #{i + 1}
            </strong>
            <button type="button" className="sw-link" aria-label={`Remove ${title} rule ${i + 1}`} onClick={() => onChange(rules.filter((_, j) => j !== i))}>
              remove
            </button>
          </div>
          {render(isObject(r) ? r : {}, (nr) => onChange(rules.map((x, j) => (j === i ? nr : x))))}
        </div>
      ))}
      <button type="button" className="sw-button" onClick={() => onChange([...rules, blank])}>
        Add {title.toLowerCase()} rule
      </button>
    </fieldset>
  );
}

function ChoiceRules({ state, siblings, jsonata, onChange }: { state: JsonObject; siblings: string[]; jsonata: boolean; onChange: (s: JsonObject) => void }) {
  const rules = Array.isArray(state.Choices) ? state.Choices : [];
  const put = (r: Json[]) => onChange({ ...state, Choices: r });
  return (
    <fieldset>
      <legend>Choice rules</legend>
      {rules.map((raw, i) => {
        const r = isObject(raw) ? raw : {};
        const op = Object.keys(r).find((k) => OPERATORS.includes(k));
        const simple = typeof r.Condition === 'string' || (typeof r.Variable === 'string' && op !== undefined);
        const change = (nr: JsonObject) => put(rules.map((x, j) => (j === i ? nr : x)));
        return (
          <div key={i} className="sw-rule" data-rule={i}>
            <div className="sw-rule-head">
              <strong>Rule #{i + 1}</strong>
              <span className="sw-muted sw-small">{describeRule(r)}</span>
              <button type="button" className="sw-link" aria-label={`Remove rule ${i + 1}`} onClick={() => put(rules.filter((_, j) => j !== i))}>
                remove
              </button>
            </div>
            {typeof r.Condition === 'string' || (jsonata && !r.Variable) ? (
              <Field label="Condition (JSONata)" value={r.Condition} onCommit={(v) => change({ ...r, Condition: v })} />
            ) : simple && op ? (
              <div className="sw-row3">
                <Field label="Variable" value={r.Variable} onCommit={(v) => change({ ...r, Variable: v })} />
                <label className="sw-field">
                  <span>Operator</span>
                  <select
                    value={op}
                    onChange={(e) => {
                      const nr = without(r, op);
                      const k = e.target.value;
                      nr[k] = k.startsWith('Is') || k.startsWith('Boolean') ? true : k.startsWith('Numeric') && !k.endsWith('Path') ? 0 : '';
                      change(nr);
                    }}
                  >
                    {OPERATORS.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                </label>
                <Field
                  label="Value"
                  value={typeof r[op] === 'string' ? r[op] : JSON.stringify(r[op])}
                  onCommit={(v) => {
                    let val: Json = v;
                    if (!op.startsWith('String') && !op.startsWith('Timestamp') && !op.endsWith('Path')) {
                      try {
                        val = JSON.parse(v);
                      } catch {
                        val = v;
                      }
                    }
                    change({ ...r, [op]: val });
                  }}
                />
              </div>
            ) : (
              <JsonField label="Rule (And / Or / Not as JSON)" value={without(r, 'Next')} onCommit={(v) => isObject(v) && change({ ...v, Next: r.Next ?? '' })} />
            )}
            <NextSelect label="Next" value={r.Next} siblings={siblings} onChange={(v) => change(set(r, 'Next', v))} allowNone={false} />
          </div>
        );
      })}
      <button
        type="button"
        className="sw-button"
        onClick={() => put([...rules, jsonata ? { Condition: '{% true %}', Next: siblings[0] ?? '' } : { Variable: '$.value', StringEquals: '', Next: siblings[0] ?? '' }])}
      >
        Add rule
      </button>
      <NextSelect label="Default" value={state.Default} siblings={siblings} onChange={(v) => onChange(set(state, 'Default', v))} />
    </fieldset>
  );
}
