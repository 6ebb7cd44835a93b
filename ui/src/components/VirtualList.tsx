// A fixed-row-height virtual list: only the rows in view (plus a margin) are in
// the DOM, so a 25,000-event history scrolls smoothly. Arrow keys move the
// selection; the list is one tab stop.

import { type ReactNode, useEffect, useRef, useState } from 'react';

export interface VirtualListProps<T> {
  items: T[];
  rowHeight: number;
  height: number | string;
  row: (item: T, index: number, selected: boolean) => ReactNode;
  header?: ReactNode;
  selected?: number;
  onSelect?: (index: number) => void;
  label: string;
}

export default function VirtualList<T>({ items, rowHeight, height, row, header, selected, onSelect, label }: VirtualListProps<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [view, setView] = useState(600);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setView(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el || selected === undefined || selected < 0) return;
    const top = selected * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight - rowHeight) el.scrollTop = top - el.clientHeight + rowHeight * 2;
  }, [selected, rowHeight]);
  const first = Math.max(0, Math.floor(scroll / rowHeight) - 10);
  const last = Math.min(items.length, Math.ceil((scroll + view) / rowHeight) + 10);
  const onKey = (e: React.KeyboardEvent) => {
    if (!onSelect || items.length === 0) return;
    const cur = selected ?? -1;
    const page = Math.max(1, Math.floor(view / rowHeight) - 1);
    const to = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + page, PageUp: cur - page, Home: 0, End: items.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    onSelect(Math.max(0, Math.min(items.length - 1, to)));
  };
  return (
    <div className="sw-vlist" role="grid" aria-label={label} aria-rowcount={items.length} tabIndex={0} onKeyDown={onKey}>
      {header}
      <div className="sw-vlist-body" ref={box} style={{ height }} onScroll={(e) => setScroll(e.currentTarget.scrollTop)}>
        <div style={{ height: items.length * rowHeight, position: 'relative' }}>
          {items.slice(first, last).map((it, k) => {
            const i = first + k;
            return (
              <div
                key={i}
                role="row"
                aria-rowindex={i + 1}
                aria-selected={i === selected}
                className={`sw-vrow${i === selected ? ' sw-vrow-selected' : ''}`}
                style={{ position: 'absolute', top: i * rowHeight, height: rowHeight, left: 0, right: 0 }}
                onClick={() => onSelect?.(i)}
              >
                {row(it, i, i === selected)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
