import { describe, expect, it } from 'vitest';
import { analyse, type HistoryEvent } from './status';

// AWS-shaped histories: ids, previousEventId chains, details members.
let id = 0;
const ev = (type: string, prev: number | undefined, details?: object): HistoryEvent => {
  id++;
  const key = type.charAt(0).toLowerCase() + type.slice(1);
  const kind = type.endsWith('StateEntered') ? 'stateEnteredEventDetails' : type.endsWith('StateExited') ? 'stateExitedEventDetails' : `${key}EventDetails`;
  return { id, previousEventId: prev, type, timestamp: 1700000000 + id, ...(details ? { [kind]: details } : {}) };
};

describe('history → state statuses', () => {
  it('tells retried, caught, failed and not reached apart', () => {
    id = 0;
    const h = [
      ev('ExecutionStarted', 0, { input: '{}' }),
      ev('PassStateEntered', 1, { name: 'Start', input: '{}' }),
      ev('PassStateExited', 2, { name: 'Start', output: '{"a":1}' }),
      ev('TaskStateEntered', 3, { name: 'Flaky', input: '{"a":1}' }), // 4
      ev('TaskScheduled', 4, { resource: 'invoke', parameters: '{"x":1}' }), // 5
      ev('TaskFailed', 5, { error: 'Oops', cause: 'first' }), // 6
      ev('TaskScheduled', 6, { resource: 'invoke', parameters: '{"x":1}' }), // 7
      ev('TaskSucceeded', 7, { output: '{}' }), // 8
      ev('TaskStateExited', 8, { name: 'Flaky', output: '{}' }), // 9
      ev('TaskStateEntered', 9, { name: 'Broken', input: '{}' }), // 10
      ev('TaskScheduled', 10, { resource: 'invoke' }), // 11
      ev('TaskFailed', 11, { error: 'Boom', cause: 'caught' }), // 12
      ev('PassStateEntered', 12, { name: 'Handler', input: '{}' }), // 13
      ev('PassStateExited', 13, { name: 'Handler', output: '{}' }), // 14
      ev('TaskStateEntered', 14, { name: 'Last', input: '{}' }), // 15
      ev('TaskScheduled', 15, { resource: 'invoke' }), // 16
      ev('TaskFailed', 16, { error: 'Fatal', cause: 'the end' }), // 17
      ev('ExecutionFailed', 17, { error: 'Fatal', cause: 'the end' }),
    ];
    const a = analyse(h, 'FAILED');
    const st = (n: string) => a.states.get(n)?.status;
    expect(st('Start')).toBe('succeeded');
    expect(st('Flaky')).toBe('retried');
    expect(a.states.get('Flaky')!.entries[0].attempts.map((x) => x.error)).toEqual(['Oops', undefined]);
    expect(a.states.get('Flaky')!.entries[0].parameters).toEqual({ x: 1 });
    expect(st('Broken')).toBe('caught');
    expect(st('Handler')).toBe('succeeded');
    expect(st('Last')).toBe('failed');
    expect(a.states.get('Last')!.entries[0]).toMatchObject({ error: 'Fatal', cause: 'the end' });
    expect(st('Never')).toBeUndefined();
    expect(a.end?.type).toBe('ExecutionFailed');
    expect(a.stateOfEvent.get(16)).toBe('Last');
  });

  it('follows Map iterations and a running state', () => {
    id = 0;
    const h = [
      ev('ExecutionStarted', 0, {}),
      ev('MapStateEntered', 1, { name: 'Each', input: '[1,2]' }), // 2
      ev('MapStateStarted', 2, { length: 2 }), // 3
      ev('MapIterationStarted', 3, { name: 'Each', index: 0 }), // 4
      ev('MapIterationStarted', 3, { name: 'Each', index: 1 }), // 5
      ev('PassStateEntered', 4, { name: 'Item', input: '1' }), // 6
      ev('PassStateEntered', 5, { name: 'Item', input: '2' }), // 7
      ev('PassStateExited', 6, { name: 'Item', output: '1' }), // 8
      ev('MapIterationSucceeded', 8, { name: 'Each', index: 0 }), // 9
    ];
    const a = analyse(h, 'RUNNING');
    expect(a.states.get('Each')!.status).toBe('running');
    expect(a.states.get('Item')!.entries.map((e) => e.outcome)).toEqual(['succeeded', 'running']);
    expect(a.iterations.get('Each')!.map((i) => i.status)).toEqual(['succeeded', 'running']);
    expect(a.stateOfEvent.get(9)).toBe('Each');
  });
});

describe('a history recorded from stepwise serve', () => {
  // Parallel retried once then caught (the engine emits ParallelStateExited after a
  // caught failure, as AWS does), then a Map whose second item fails.
  const rows: [number, number, string, object?][] = [
    [1, 0, 'ExecutionStarted', { executionStartedEventDetails: { input: '{}' } }],
    [2, 0, 'PassStateEntered', { stateEnteredEventDetails: { name: 'Prepare', input: '{}' } }],
    [3, 2, 'PassStateExited', { stateExitedEventDetails: { name: 'Prepare', output: '{"items":[1,3]}' } }],
    [4, 3, 'ParallelStateEntered', { stateEnteredEventDetails: { name: 'Guarded', input: '{"items":[1,3]}' } }],
    [5, 4, 'ParallelStateStarted'],
    [6, 5, 'FailStateEntered', { stateEnteredEventDetails: { name: 'Explode', input: '{}' } }],
    [7, 6, 'ParallelStateStarted'],
    [8, 7, 'FailStateEntered', { stateEnteredEventDetails: { name: 'Explode', input: '{}' } }],
    [9, 8, 'ParallelStateFailed'],
    [10, 9, 'ParallelStateExited', { stateExitedEventDetails: { name: 'Guarded', output: '{"caught":{"Error":"Flaky"}}' } }],
    [11, 10, 'MapStateEntered', { stateEnteredEventDetails: { name: 'Each', input: '{}' } }],
    [12, 11, 'MapStateStarted', { mapStateStartedEventDetails: { length: 2 } }],
    [13, 12, 'MapIterationStarted', { mapIterationStartedEventDetails: { name: 'Each', index: 0 } }],
    [14, 12, 'MapIterationStarted', { mapIterationStartedEventDetails: { name: 'Each', index: 1 } }],
    [15, 13, 'ChoiceStateEntered', { stateEnteredEventDetails: { name: 'Check', input: '1' } }],
    [16, 15, 'ChoiceStateExited', { stateExitedEventDetails: { name: 'Check', output: '1' } }],
    [17, 16, 'PassStateEntered', { stateEnteredEventDetails: { name: 'Accept', input: '1' } }],
    [18, 17, 'PassStateExited', { stateExitedEventDetails: { name: 'Accept', output: '1' } }],
    [19, 18, 'MapIterationSucceeded', { mapIterationSucceededEventDetails: { name: 'Each', index: 0 } }],
    [20, 14, 'ChoiceStateEntered', { stateEnteredEventDetails: { name: 'Check', input: '3' } }],
    [21, 20, 'ChoiceStateExited', { stateExitedEventDetails: { name: 'Check', output: '3' } }],
    [22, 21, 'FailStateEntered', { stateEnteredEventDetails: { name: 'Reject', input: '3' } }],
    [23, 22, 'MapIterationFailed', { mapIterationFailedEventDetails: { name: 'Each', index: 1 } }],
    [24, 22, 'MapStateFailed'],
    [25, 24, 'ExecutionFailed', { executionFailedEventDetails: { error: 'ItemRejected', cause: 'item 3 is not allowed' } }],
  ];
  const events: HistoryEvent[] = rows.map(([id, previousEventId, type, d]) => ({ id, previousEventId, type, timestamp: 1700000000 + id / 1000, ...(d ?? {}) }));

  it('colours each state by what happened', () => {
    const a = analyse(events, 'FAILED');
    const st = Object.fromEntries([...a.states].map(([k, v]) => [k, v.status]));
    expect(st).toEqual({ Prepare: 'succeeded', Guarded: 'caught', Explode: 'failed', Each: 'failed', Check: 'succeeded', Accept: 'succeeded', Reject: 'failed' });
    expect(a.states.get('Guarded')!.retries).toBe(1);
    expect(a.states.get('Guarded')!.entries[0].attempts.length).toBe(2);
    expect(a.stateOfEvent.get(7)).toBe('Guarded'); // the retry's start, chained to the branch
    expect(a.stateOfEvent.get(24)).toBe('Each');
    expect(a.stateOfEvent.has(25)).toBe(false);
    expect(a.iterations.get('Each')!.map((i) => i.status)).toEqual(['succeeded', 'failed']);
    expect(a.states.get('Check')!.entries.map((e) => e.input)).toEqual([1, 3]);
    const inIteration = (i: number) => events.filter((e) => a.iterationOfEvent.get(e.id)?.index === i).map((e) => e.id);
    expect(inIteration(0)).toEqual([13, 15, 16, 17, 18, 19]);
    expect(inIteration(1)).toEqual([14, 20, 21, 22, 23]);
  });
});
