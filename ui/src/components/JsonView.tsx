// Big JSON made readable: a collapsible tree (children rendered only when
// opened, long arrays shown in slices of 100, long strings cut with a toggle),
// plus a copy-as-text button.

import { useState } from 'react';

const SLICE = 100;
const LONG = 300;

export default function JsonView({ value, label, open = 2 }: { value: unknown; label?: string; open?: number }) {
  const [raw, setRaw] = useState(false);
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <div className="sw-json" aria-label={label}>
      <div className="sw-json-bar">
        {label ? <strong>{label}</strong> : null}
        <button type="button" className="sw-link" onClick={() => setRaw(!raw)}>
          {raw ? 'tree' : 'text'}
        </button>
        <button type="button" className="sw-link" onClick={() => navigator.clipboard?.writeText(text ?? '')}>
          copy
        </button>
        <span className="sw-muted">{text ? `${text.length.toLocaleString()} chars` : ''}</span>
      </div>
      {raw ? <pre className="sw-json-raw">{text}</pre> : <Tree value={value} depth={0} open={open} />}
    </div>
  );
}

function Scalar({ v }: { v: unknown }) {
  const [full, setFull] = useState(false);
  if (typeof v === 'string') {
    const cut = !full && v.length > LONG;
    return (
      <span className="sw-j-str">
        "{cut ? v.slice(0, LONG) : v}"
        {v.length > LONG ? (
          <button type="button" className="sw-link" onClick={() => setFull(!full)}>
            {full ? 'less' : `… ${(v.length - LONG).toLocaleString()} more`}
          </button>
        ) : null}
      </span>
    );
  }
  return <span className={`sw-j-${v === null ? 'null' : typeof v}`}>{String(v)}</span>;
}

function Tree({ value, depth, open, name }: { value: unknown; depth: number; open: number; name?: string }) {
  const [expanded, setExpanded] = useState(depth < open);
  const [shown, setShown] = useState(SLICE);
  const key = name !== undefined ? <span className="sw-j-key">{name}: </span> : null;
  if (value === null || typeof value !== 'object') {
    return (
      <div className="sw-j-row">
        {key}
        <Scalar v={value} />
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as object);
  const [o, c] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    return (
      <div className="sw-j-row">
        {key}
        {o}
        {c}
      </div>
    );
  }
  return (
    <div className="sw-j-row">
      <button type="button" className="sw-j-toggle" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        {expanded ? '▾' : '▸'}
      </button>
      {key}
      {o}
      {!expanded ? (
        <span className="sw-muted">
          {' '}
          {entries.length} {Array.isArray(value) ? 'items' : 'keys'} {c}
        </span>
      ) : (
        <>
          <div className="sw-j-children">
            {entries.slice(0, shown).map(([k, v]) => (
              <Tree key={k} name={k} value={v} depth={depth + 1} open={open} />
            ))}
            {entries.length > shown ? (
              <button type="button" className="sw-link" onClick={() => setShown(shown + SLICE * 10)}>
                show more ({(entries.length - shown).toLocaleString()} left)
              </button>
            ) : null}
          </div>
          {c}
        </>
      )}
    </div>
  );
}
