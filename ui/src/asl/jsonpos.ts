// Where a path of a JSON document sits in its text, so that diagnostics
// (located by path) can be underlined in the editor. A small tolerant scanner:
// it records the span of every value and of every key on the way.

import type { Path } from './graph';

export interface Span {
  from: number;
  to: number;
}

/**
 * The span of the value at `path`; when it is missing, the key span of its
 * nearest ancestor that exists; null if the text is not JSON up to there.
 */
export function locate(text: string, path: Path): Span | null {
  return scan(text, path).span;
}

/** Where the text stops being JSON (-1 when it is JSON). */
export function syntaxErrorAt(text: string): number {
  return scan(text, []).errorAt;
}

function scan(text: string, path: Path): { span: Span | null; errorAt: number } {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = () => {
    throw new Error('json');
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    try {
      return JSON.parse(text.slice(start, i));
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  // Skips a value; when depth < path.length and the value is a container,
  // descends looking for path[depth]. Returns the found span or null.
  const value = (depth: number): Span | null => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      let found: Span | null = null;
      ws();
      if (text[i] === '}') {
        i++;
      } else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail();
          const keyStart = i;
          const key = str();
          const keyEnd = i;
          ws();
          if (text[i] !== ':') fail();
          i++;
          const wanted = depth < path.length && path[depth] === key;
          const inner = value(wanted ? depth + 1 : Number.POSITIVE_INFINITY);
          if (wanted && !found) found = inner ?? { from: keyStart, to: keyEnd };
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            break;
          }
          fail();
        }
      }
      if (depth === path.length) return { from: start, to: i };
      return found;
    }
    if (c === '[') {
      i++;
      let found: Span | null = null;
      ws();
      if (text[i] === ']') {
        i++;
      } else {
        for (let idx = 0; ; idx++) {
          const wanted = depth < path.length && path[depth] === idx;
          const inner = value(wanted ? depth + 1 : Number.POSITIVE_INFINITY);
          if (wanted && !found) found = inner;
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            break;
          }
          fail();
        }
      }
      if (depth === path.length) return { from: start, to: i };
      return found;
    }
    if (c === '"') {
      str();
    } else {
      while (i < text.length && !/[\s,}\]]/.test(text[i])) i++;
      if (!/^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(text.slice(start, i))) {
        i = start;
        fail();
      }
    }
    return depth === path.length ? { from: start, to: i } : null;
  };
  try {
    const span = value(0);
    ws();
    return { span, errorAt: i < text.length ? i : -1 };
  } catch {
    return { span: null, errorAt: Math.min(i, text.length) };
  }
}

/** The position of a JSON.parse error (V8: "at position N", or "line L column C"). */
export function parseErrorAt(text: string, message: string): number {
  const pos = /position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    const lines = text.split('\n');
    let off = 0;
    for (let l = 0; l < Number(lc[1]) - 1 && l < lines.length; l++) off += lines[l].length + 1;
    return off + Number(lc[2]) - 1;
  }
  const at = syntaxErrorAt(text);
  return at < 0 ? text.length : at;
}
