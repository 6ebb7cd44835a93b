// CodeMirror 6 holding JSON; diagnostics (JSON syntax errors, the server's
// validation results) shown inline at their location.

import { useEffect, useRef } from 'react';
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { EditorState, Compartment } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, foldGutter, syntaxHighlighting, defaultHighlightStyle, foldKeymap } from '@codemirror/language';
import { type Diagnostic, setDiagnostics, lintGutter } from '@codemirror/lint';

export interface EditorDiagnostic {
  from: number;
  to: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface CodeEditorProps {
  value: string;
  onChange?: (text: string) => void;
  diagnostics?: EditorDiagnostic[];
  readOnly?: boolean;
  dark: boolean;
  label: string;
  minHeight?: string;
}

export default function CodeEditor({ value, onChange, diagnostics, readOnly = false, dark, label, minHeight }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const change = useRef(onChange);
  change.current = onChange;
  const theme = useRef(new Compartment());

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          foldGutter(),
          lintGutter(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          json(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, ...foldKeymap, indentWithTab]),
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          theme.current.of(EditorView.theme({}, { dark })),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && u.transactions.some((t) => t.isUserEvent('input') || t.isUserEvent('delete') || t.isUserEvent('undo') || t.isUserEvent('redo') || t.isUserEvent('move'))) {
              change.current?.(u.state.doc.toString());
            }
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Follow outside changes (graph edits) without disturbing the user's own typing.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const cur = v.state.doc.toString();
    if (cur !== value) v.dispatch({ changes: { from: 0, to: cur.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: theme.current.reconfigure(EditorView.theme({}, { dark })) });
  }, [dark]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const len = v.state.doc.length;
    const ds: Diagnostic[] = (diagnostics ?? []).map((d) => ({
      from: Math.min(d.from, len),
      to: Math.min(Math.max(d.to, d.from), len),
      message: d.message,
      severity: d.severity,
    }));
    v.dispatch(setDiagnostics(v.state, ds));
  }, [diagnostics, value]);

  return <div className="sw-code" ref={host} style={{ minHeight }} data-testid={`editor-${label.replace(/\s+/g, '-').toLowerCase()}`} />;
}

/** The editor's text, for tests and automation (the view is on the host's child). */
export function editorText(el: Element): string {
  return EditorView.findFromDOM(el as HTMLElement)?.state.doc.toString() ?? '';
}
