// End-to-end tests of the web UI: Debian's chromium (driven by playwright-core)
// against a real `stepwise serve` started here on a free port with a fresh data
// directory. Screenshots of the main screens go to tests/ui/screenshots/.
//
//   node tests/ui/e2e.mjs --stepwise target/debug/stepwise [--chromium /usr/bin/chromium]
//
// Exit status 0 when every check passed.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const STEPWISE = args.stepwise ?? join(here, '../../target/debug/stepwise');
const CHROMIUM = args.chromium ?? '/usr/bin/chromium';
const SHOTS = args.screenshots ?? join(here, 'screenshots');
const ROLE = 'arn:aws:iam::123456789012:role/stepwise';
const ARN = 'arn:aws:states:us-east-1:123456789012';

mkdirSync(SHOTS, { recursive: true });

// ---- the server -----------------------------------------------------------
const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-ui-'));
const server = spawn(STEPWISE, ['serve', '--port', '0', '--data-dir', join(dataDir, 'data')], { stdio: ['ignore', 'pipe', 'inherit'] });
const endpoint = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`stepwise serve did not start: ${out}`)), 20000);
  server.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`stepwise serve exited with ${code}: ${out}`)));
});
console.log(`server: ${endpoint}`);

async function sfn(action, body) {
  const res = await fetch(endpoint + '/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${action}` },
    body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${action}: ${JSON.stringify(data)}`);
  return data;
}

async function waitFor(what, f, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the browser ------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
// Leaving a designer with unsaved changes asks first; the tests move on.
page.on('dialog', (d) => d.type() === 'beforeunload' && d.accept());
page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));

const results = [];
async function test(name, f) {
  const t0 = Date.now();
  try {
    await f();
    results.push([name, 'ok', Date.now() - t0]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push([name, 'FAILED', Date.now() - t0]);
    console.log(`FAIL ${name}\n${e.stack ?? e}`);
    await page.screenshot({ path: join(SHOTS, `failure-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
  }
}

/** The designer's JSON editor text, parsed. */
async function editorJson() {
  const text = await page.locator('[data-testid="editor-definition"] .cm-content').evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));
  return JSON.parse(text);
}

const node = (name) => page.locator(`.react-flow__node[data-id="${name}"]`);

/** Selects a state in the designer (clicked again if the canvas moved under the pointer). */
async function selectInDesigner(name) {
  for (let attempt = 1; ; attempt++) {
    await settled();
    await node(name).locator('.sw-node-name').first().click();
    try {
      await page.locator('.sw-inspector').getByLabel('Name').and(page.locator(`[value="${name}"]`)).waitFor({ timeout: 3000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`     (selecting ${name}: clicked again)`);
    }
  }
}

/** Waits until the canvas shows the current definition's layout. */
async function settled() {
  await page.locator('[data-testid="canvas"][data-layout="done"]').waitFor();
  // The view is fitted a frame after a layout that adds or removes states.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r)))));
  await page.waitForTimeout(100);
}

/**
 * Drags from a handle of `from` to `to` until `done()` holds (up to three
 * tries: a pointer gesture can start while the canvas is still moving).
 */
async function connectUntil(from, handle, to, what, done) {
  for (let attempt = 1; ; attempt++) {
    await dragConnect(from, handle, to);
    try {
      return await waitFor(what, done, 4000);
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`     (${what}: drag retried)`);
    }
  }
}

async function dragConnect(from, handle, to) {
  await settled();
  const src = node(from).locator(`.react-flow__handle[data-handleid="${handle}"]`);
  const dst = node(to).locator('.react-flow__handle[data-handleid="in"]');
  const a = await src.boundingBox();
  const b = await dst.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2 + 20, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

async function dropFromPalette(item) {
  const before = await page.locator('.react-flow__node').count();
  const canvas = page.locator('[data-testid="canvas"]');
  const box = await canvas.boundingBox();
  // An empty spot near the canvas's top-right corner (never inside a group).
  await page.locator(`.sw-palette-item[data-item="${item}"]`).dragTo(canvas, { targetPosition: { x: box.width - 60, y: 20 } });
  await waitFor(`${item} on the canvas`, async () => (await page.locator('.react-flow__node').count()) > before);
  await settled();
}

try {
  await test('home page is the embedded UI', async () => {
    const res = await fetch(endpoint + '/');
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.ok(!html.includes('stepwise-ui-placeholder'), 'the binary embeds the built UI, not the placeholder');
    await page.goto(endpoint + '/');
    await page.getByRole('heading', { name: 'State machines' }).waitFor();
    await page.getByText('No state machines yet').waitFor();
  });

  let machineArn;
  await test('designer: build Pass → Choice → two branches → Succeed by drag and drop', async () => {
    await page.goto(endpoint + '/#/designer');
    await page.locator('[data-testid="canvas"] .react-flow__renderer').waitFor();
    for (const item of ['Pass', 'Choice', 'Pass', 'Pass', 'Succeed']) await dropFromPalette(item);
    for (const n of ['Pass', 'Choice', 'Pass 2', 'Pass 3', 'Success']) await node(n).waitFor();
    let def = await editorJson();
    assert.deepEqual(Object.keys(def.States), ['Pass', 'Choice', 'Pass 2', 'Pass 3', 'Success']);
    assert.equal(def.StartAt, 'Pass');
    await page.getByTestId('validation').getByText(/problem/).waitFor();

    await connectUntil('Pass', 'next', 'Choice', 'Pass → Choice in the JSON', async () => (await editorJson()).States.Pass.Next === 'Choice');
    await connectUntil('Choice', 'choice', 'Pass 2', 'a Choice rule in the JSON', async () => (await editorJson()).States.Choice.Choices?.[0]?.Next === 'Pass 2');
    await connectUntil('Choice', 'default', 'Pass 3', 'Default in the JSON', async () => (await editorJson()).States.Choice.Default === 'Pass 3');
    await connectUntil('Pass 2', 'next', 'Success', 'Pass 2 → Success', async () => (await editorJson()).States['Pass 2'].Next === 'Success');
    await connectUntil('Pass 3', 'next', 'Success', 'Pass 3 → Success', async () => (await editorJson()).States['Pass 3'].Next === 'Success');
    def = await editorJson();
    assert.deepEqual(def.States.Choice.Choices, [{ Variable: '$.go', BooleanEquals: true, Next: 'Pass 2' }]);
    assert.equal(def.States.Pass.End, undefined);
    // Edges drawn with their labels; the server's validator is satisfied.
    await page.locator('.react-flow__edge.sw-edge-choice').waitFor();
    await page.locator('.react-flow__edge-text', { hasText: 'Default' }).waitFor();
    await page.getByTestId('validation').getByText('valid').waitFor();
    await page.screenshot({ path: join(SHOTS, 'designer.png') });
  });

  await test('designer: the JSON editor drives the graph, errors show inline', async () => {
    // Rename a state in the side panel; graph and JSON follow.
    await selectInDesigner('Pass 3');
    const nameField = page.locator('.sw-inspector').getByLabel('Name');
    await nameField.fill('Skip');
    await nameField.press('Enter');
    await node('Skip').waitFor();
    assert.equal((await editorJson()).States.Choice.Default, 'Skip');
    // Undo brings the old name back.
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.getByRole('button', { name: 'Undo' }).click();
    await node('Pass 3').waitFor();
    await page.getByRole('button', { name: 'Redo' }).click();
    await node('Skip').waitFor();
    // Type in the editor: a dangling Next is reported at its place by the server's validator.
    const line = page.locator('[data-testid="editor-definition"] .cm-line', { hasText: '"Next": "Choice"' });
    await line.click();
    await page.keyboard.press('End');
    for (let i = 0; i < '"Choice"'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('"Nowhere"');
    await page.getByTestId('problems').getByText('/States/Pass/Next').waitFor();
    await page.locator('.cm-lintRange-error').first().waitFor();
    await page.locator('.react-flow__node[data-id="Pass"] .sw-node-problems').waitFor();
    await page.screenshot({ path: join(SHOTS, 'designer-diagnostics.png') });
    // Invalid JSON: shown inline, the graph keeps the last good definition.
    await page.keyboard.type(',,');
    await page.getByTestId('problems').getByText(/Invalid JSON/).waitFor();
    await node('Choice').waitFor();
    for (let i = 0; i < 2 + '"Nowhere"'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('"Choice"');
    await page.getByTestId('validation').getByText('valid').waitFor();
    // Drag the Default arrow's end onto another state: only Default changes; Undo restores it.
    await settled();
    const end = await page.locator('.react-flow__edge.sw-edge-default .react-flow__edgeupdater-target').boundingBox();
    const to = await node('Pass 2').locator('.react-flow__handle[data-handleid="in"]').boundingBox();
    await page.mouse.move(end.x + end.width / 2, end.y + end.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + 30, to.y - 20, { steps: 5 });
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 5 });
    await page.mouse.up();
    await waitFor('Default moved', async () => (await editorJson()).States.Choice.Default === 'Pass 2');
    assert.equal((await editorJson()).States.Choice.Choices[0].Next, 'Pass 2');
    await page.getByRole('button', { name: 'Undo' }).click();
    await waitFor('Default back', async () => (await editorJson()).States.Choice.Default === 'Skip');
    await page.getByTestId('validation').getByText('valid').waitFor();
    await page.screenshot({ path: join(SHOTS, 'designer-editing.png') });
  });

  await test('designer: save, start an execution, watch the graph turn green', async () => {
    await page.getByLabel('State machine name').fill('e2e-flow');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/#\/designer\/arn/);
    machineArn = `${ARN}:stateMachine:e2e-flow`;
    const saved = await sfn('DescribeStateMachine', { stateMachineArn: machineArn });
    assert.equal(JSON.parse(saved.definition).States.Choice.Default, 'Skip');
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.getByLabel('Execution name').fill('first-run');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.waitForURL(/#\/execution\/arn/);
    await page.getByTestId('execution-status').getByText('SUCCEEDED').waitFor();
    for (const n of ['Pass', 'Choice', 'Pass 2', 'Success']) await page.locator(`.react-flow__node[data-id="${n}"] [data-status="succeeded"]`).waitFor();
    await page.locator('.react-flow__node[data-id="Skip"] [data-status="notReached"]').waitFor();
    await page.locator('[data-event-type="ExecutionSucceeded"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'execution-succeeded.png') });
  });

  await test('designer: publish a version and an alias, start through it', async () => {
    await page.goto(`${endpoint}/#/designer/${encodeURIComponent(machineArn)}`);
    await node('Choice').waitFor();
    assert.equal(await page.getByTestId('unsaved').count(), 0);
    // An edit marks the designer unsaved until Save.
    await selectInDesigner('Pass 2');
    const comment = page.locator('.sw-inspector').getByLabel('Comment');
    await comment.fill('the rule matched');
    await comment.press('Enter');
    await page.getByTestId('unsaved').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('unsaved').waitFor({ state: 'detached' });
    const saved = await sfn('DescribeStateMachine', { stateMachineArn: machineArn });
    assert.equal(JSON.parse(saved.definition).States['Pass 2'].Comment, 'the rule matched');
    await page.getByRole('tab', { name: /Versions/ }).click();
    await page.getByRole('button', { name: 'Publish version' }).click();
    await page.locator('.sw-plain li strong', { hasText: 'v1' }).waitFor();
    await page.locator('fieldset', { hasText: 'Create or update an alias' }).getByLabel('Alias name').fill('live');
    await page.locator('fieldset', { hasText: 'Create or update an alias' }).getByLabel('Version').selectOption({ label: 'v1' });
    await page.getByRole('button', { name: 'Save alias' }).click();
    await page.locator('.sw-plain li', { hasText: 'live' }).getByText('v1 100%').waitFor();
    const aliases = await sfn('ListStateMachineAliases', { stateMachineArn: machineArn });
    assert.equal(aliases.stateMachineAliases.length, 1);
  });

  await test('designer: nested states in Parallel branches and Map, delete with the keyboard', async () => {
    await page.goto(endpoint + '/#/designer');
    await page.locator('[data-testid="canvas"] .react-flow__renderer').waitFor();
    await dropFromPalette('Parallel');
    await node('Branch Pass').waitFor();
    // Drop onto the branch: the new state lands in Branches[0].
    const dropInto = async (item, target, attempt = 1) => {
      await settled();
      const before = await page.locator('.react-flow__node').count();
      const box = await page.locator(`.react-flow__node[data-id="${target}"]`).boundingBox();
      await page.locator(`.sw-palette-item[data-item="${item}"]`).dragTo(page.locator('[data-testid="canvas"]'), {
        targetPosition: await page.locator('[data-testid="canvas"]').boundingBox().then((c) => ({ x: box.x - c.x + box.width - 8, y: box.y - c.y + box.height - 6 })),
      });
      try {
        await waitFor(`${item} in ${target}`, async () => (await page.locator('.react-flow__node').count()) > before, 4000);
      } catch (e) {
        if (attempt === 3) throw e;
        console.log(`     (${item} in ${target}: drop retried)`);
        await dropInto(item, target, attempt + 1);
      }
    };
    await dropInto('Wait', 'Parallel#branch1');
    let def = await editorJson();
    assert.deepEqual(Object.keys(def.States.Parallel.Branches[0].States), ['Branch Pass', 'Wait']);
    await selectInDesigner('Parallel');
    await page.getByRole('button', { name: 'Add branch' }).click();
    await node('Parallel#branch2').waitFor();
    await dropFromPalette('Map');
    await node('Iteration Pass').waitFor();
    await dropInto('Lambda', 'Map');
    def = await editorJson();
    assert.equal(def.States.Parallel.Branches.length, 2);
    assert.deepEqual(Object.keys(def.States.Map.ItemProcessor.States), ['Iteration Pass', 'Lambda Invoke']);
    assert.equal(def.States.Map.ItemProcessor.States['Lambda Invoke'].Resource, 'arn:aws:states:::lambda:invoke');
    // Select a nested state and press Delete.
    await selectInDesigner('Wait');
    await page.keyboard.press('Delete');
    await waitFor('Wait deleted', async () => !('Wait' in (await editorJson()).States.Parallel.Branches[0].States));
    await node('Wait').waitFor({ state: 'detached' });
    await page.screenshot({ path: join(SHOTS, 'designer-nested.png') });
  });

  // A machine that fails: a retried-then-caught Parallel, then a Map whose third item is rejected.
  const failing = {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Result: { items: [1, 2, 3, 4] }, Next: 'Guarded' },
      Guarded: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'Explode', States: { Explode: { Type: 'Fail', Error: 'Flaky', Cause: 'branch failed' } } }],
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Each' }],
        Next: 'Each',
      },
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: {
          StartAt: 'Check',
          States: {
            Check: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 3, Next: 'Reject' }], Default: 'Accept' },
            Accept: { Type: 'Pass', End: true },
            Reject: { Type: 'Fail', Error: 'ItemRejected', Cause: 'item 3 is not allowed' },
          },
        },
        End: true,
      },
    },
  };

  await test('a failed execution: find the failing state and its error', async () => {
    await sfn('CreateStateMachine', { name: 'e2e-failing', definition: JSON.stringify(failing), roleArn: ROLE });
    const { executionArn } = await sfn('StartExecution', { stateMachineArn: `${ARN}:stateMachine:e2e-failing`, name: 'broken-order', input: '{"order":"needle-42"}' });
    await waitFor('the failure', async () => (await sfn('DescribeExecution', { executionArn })).status === 'FAILED');
    await page.goto(`${endpoint}/#/executions?status=FAILED`);
    await page.locator('tr[data-execution="broken-order"]').getByRole('link').click();
    await page.getByTestId('execution-status').getByText('FAILED').waitFor();
    const banner = page.getByTestId("failure");
    await banner.getByText('ItemRejected').waitFor();
    await page.locator('.react-flow__node[data-id="Reject"] [data-status="failed"]').waitFor();
    await page.locator('.react-flow__node[data-id="Guarded"] [data-status="caught"]').first().waitFor();
    await page.locator('.react-flow__node[data-id="Prepare"] [data-status="succeeded"]').waitFor();
    await page.locator('.react-flow__node[data-id="Accept"] [data-status="succeeded"]').waitFor();
    // The banner names the failing states (not the one inside the caught Parallel);
    // picking one opens its error.
    await banner.getByRole('button', { name: 'Each' }).waitFor();
    assert.equal(await banner.getByRole('button', { name: 'Explode' }).count(), 0);
    await banner.getByRole('button', { name: 'Reject' }).click();
    const inspector = page.getByTestId('state-inspector');
    await inspector.getByTestId('state-error').getByText('ItemRejected').waitFor();
    await inspector.getByText('item 3 is not allowed').waitFor();
    await page.screenshot({ path: join(SHOTS, 'execution-failed.png') });
    // The Parallel's attempts: one retry, then caught.
    await node('Guarded').locator('.sw-node-name').click();
    await inspector.getByText('caught', { exact: true }).first().waitFor();
    assert.equal(await inspector.getByRole('table').locator('tbody tr').count(), 2);
    await inspector.getByRole('cell', { name: 'failed', exact: true }).waitFor();
    await inspector.getByText('"Flaky"').waitFor();
    // Map iterations: three succeeded, one failed.
    await node('Each').locator('.sw-node-name').first().click();
    await page.getByTestId('map-iterations').getByText(/4 iterations/).waitFor();
    // As many coloured squares as the history has iteration outcomes.
    const { events } = await sfn('GetExecutionHistory', { executionArn, maxResults: 1000 });
    const count = (t) => events.filter((e) => e.type === t).length;
    assert.equal(await page.locator('.sw-iter.sw-st-failed').count(), 1);
    assert.equal(await page.locator('.sw-iter.sw-st-succeeded').count(), count('MapIterationSucceeded'));
    assert.ok(count('MapIterationSucceeded') >= 2);
    assert.equal(await page.locator('.sw-iter').count(), count('MapIterationStarted'));
    // One iteration's events: the failed one reaches Reject, not Accept.
    await page.locator('.sw-iter.sw-st-failed').click();
    await page.getByTestId('iteration-filter').waitFor();
    await page.locator('[data-event-type="MapIterationFailed"]').waitFor();
    const types = await page.locator('.sw-vrow [data-event-type]').evaluateAll((rows) => rows.map((r) => r.dataset.eventType));
    assert.deepEqual(types, ['MapIterationStarted', 'ChoiceStateEntered', 'ChoiceStateExited', 'FailStateEntered', 'MapIterationFailed']);
    await page.getByRole('button', { name: 'Show all events' }).click();
    // The event table: the failure event and its details.
    await page.getByLabel('Filter events').fill('ExecutionFailed');
    await page.locator('[data-event-type="ExecutionFailed"]').click();
    await page.locator('.sw-event-details').getByText('ItemRejected').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'execution-map-iterations.png') });
  });

  await test('executions list: filters and search', async () => {
    for (const [name, input] of [
      ['order-alpha', '{"go": true, "customer": "ada"}'],
      ['order-beta', '{"go": false, "customer": "grace"}'],
      ['refund-gamma', '{"go": true, "customer": "grace"}'],
    ]) {
      await sfn('StartExecution', { stateMachineArn: machineArn, name, input });
    }
    await waitFor('all done', async () => (await sfn('ListExecutions', { stateMachineArn: machineArn, statusFilter: 'RUNNING' })).executions.length === 0);
    const rows = async () => page.locator('[data-testid="executions"] tbody tr').evaluateAll((trs) => trs.map((t) => t.dataset.execution));
    await page.goto(`${endpoint}/#/executions`);
    await waitFor('five executions', async () => (await rows()).length === 5);
    assert.deepEqual(await rows(), ['refund-gamma', 'order-beta', 'order-alpha', 'broken-order', 'first-run']);
    // Status.
    await page.getByLabel('Status filter').selectOption('FAILED');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('failed only', async () => JSON.stringify(await rows()) === '["broken-order"]');
    // State machine + name prefix.
    await page.getByLabel('Status filter').selectOption('');
    await page.getByLabel('State machine filter').selectOption({ label: 'e2e-flow' });
    await page.getByLabel('Name prefix').fill('order-');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('prefix', async () => JSON.stringify(await rows()) === '["order-beta","order-alpha"]');
    // Search in inputs and outputs, across machines.
    await page.getByRole('link', { name: 'Clear' }).click();
    await waitFor('cleared', async () => (await rows()).length === 5);
    await page.getByLabel('Search input and output').fill('grace');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('search', async () => JSON.stringify(await rows()) === '["refund-gamma","order-beta"]');
    await page.screenshot({ path: join(SHOTS, 'executions-search.png') });
    // Through the alias published earlier: only executions started through it.
    const { executionArn: viaAlias } = await sfn('StartExecution', { stateMachineArn: `${machineArn}:live`, name: 'via-alias', input: '{"go": true}' });
    await waitFor('alias run', async () => (await sfn('DescribeExecution', { executionArn: viaAlias })).status === 'SUCCEEDED');
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('State machine filter').selectOption({ label: 'e2e-flow' });
    await page.getByLabel('Alias filter').selectOption({ label: 'live' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('alias filter', async () => JSON.stringify(await rows()) === '["via-alias"]');
    await page.getByLabel('Alias filter').selectOption('');
    await page.getByLabel('Version filter').selectOption({ label: 'v1' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('version filter', async () => JSON.stringify(await rows()) === '["via-alias"]');
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('Search input and output').fill('needle-42');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('search 2', async () => JSON.stringify(await rows()) === '["broken-order"]');
  });

  await test('keyboard: tab to the event table and move with arrows; dark theme', async () => {
    await page.goto(`${endpoint}/#/executions`);
    await page.locator('tr[data-execution="first-run"]').getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('execution-status').getByText('SUCCEEDED').waitFor();
    await page.getByRole('grid', { name: 'Event history' }).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.locator('.sw-vrow-selected[aria-rowindex="2"]').waitFor();
    await page.locator('.sw-event-details').getByText(/Event 2:/).waitFor();
    // States in the graph are reachable with Tab; Enter selects one.
    await page.locator('.react-flow__node[data-id="Choice"]').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('tab', { name: 'State: Choice' }).waitFor();
    await page.getByRole('button', { name: /Switch to dark theme/ }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.screenshot({ path: join(SHOTS, 'execution-dark.png') });
    await page.getByRole('button', { name: /Switch to light theme/ }).click();
  });

  await test('a laptop screen (1280×720): nothing overflows sideways', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    try {
      for (const [hash, shot] of [
        [`#/designer/${encodeURIComponent(machineArn)}`, 'laptop-designer.png'],
        [`#/executions`, 'laptop-executions.png'],
      ]) {
        await page.goto(`${endpoint}/${hash}`);
        await page.waitForLoadState('networkidle');
        const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
        assert.ok(scroll <= width, `${hash}: page is ${scroll}px wide in a ${width}px window`);
        await page.screenshot({ path: join(SHOTS, shot) });
      }
      await page.locator('tr[data-execution="broken-order"]').getByRole('link').click();
      await page.getByTestId('execution-status').waitFor();
      const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
      assert.ok(scroll <= width, `execution view is ${scroll}px wide`);
      await page.screenshot({ path: join(SHOTS, 'laptop-execution.png') });
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  await test('a live execution: the graph follows while it runs; Stop', async () => {
    const waiting = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 2, Next: 'Long' }, Long: { Type: 'Wait', Seconds: 600, Next: 'Done' }, Done: { Type: 'Succeed' } } };
    await sfn('CreateStateMachine', { name: 'e2e-waiting', definition: JSON.stringify(waiting), roleArn: ROLE });
    const { executionArn } = await sfn('StartExecution', { stateMachineArn: `${ARN}:stateMachine:e2e-waiting`, name: 'slow' });
    await page.goto(`${endpoint}/#/execution/${encodeURIComponent(executionArn)}`);
    await page.locator('.react-flow__node[data-id="Hold"] [data-status="running"]').waitFor();
    // Polling picks up the move to the next state.
    await page.locator('.react-flow__node[data-id="Long"] [data-status="running"]').waitFor({ timeout: 10000 });
    await page.locator('.react-flow__node[data-id="Hold"] [data-status="succeeded"]').waitFor();
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByTestId('execution-status').getByText('ABORTED').waitFor();
    await page.getByRole('button', { name: 'Redrive' }).waitFor();
  });

  await test('a 25,000-event history stays usable (virtualised table)', async () => {
    const items = Array.from({ length: 6300 }, (_, i) => i);
    const big = { StartAt: 'Fan', States: { Fan: { Type: 'Map', ItemProcessor: { StartAt: 'One', States: { One: { Type: 'Pass', End: true } } }, End: true } } };
    await sfn('CreateStateMachine', { name: 'e2e-big', definition: JSON.stringify(big), roleArn: ROLE });
    const { executionArn } = await sfn('StartExecution', { stateMachineArn: `${ARN}:stateMachine:e2e-big`, name: 'big', input: JSON.stringify(items) });
    await waitFor('the big run', async () => (await sfn('DescribeExecution', { executionArn })).status !== 'RUNNING', 120000);
    const t0 = Date.now();
    await page.goto(`${endpoint}/#/execution/${encodeURIComponent(executionArn)}`);
    await page.getByTestId('execution-status').getByText('SUCCEEDED').waitFor({ timeout: 60000 });
    await page.locator('[data-event-type="ExecutionSucceeded"]').count();
    const header = await page.locator('.sw-events-head strong').textContent();
    const count = Number(header.replace(/\D/g, ''));
    assert.ok(count >= 25000, `expected at least 25,000 events, got ${header}`);
    const loaded = Date.now() - t0;
    const rendered = await page.locator('.sw-vrow').count();
    assert.ok(rendered < 200, `only visible rows are in the DOM (${rendered})`);
    const grid = page.getByRole('grid', { name: 'Event history' });
    await grid.focus();
    const t1 = Date.now();
    await page.keyboard.press('End');
    await page.locator(`.sw-vrow[aria-rowindex="${count}"]`).waitFor();
    console.log(`     ${count} events: page loaded in ${loaded} ms, jump to the last row in ${Date.now() - t1} ms, ${rendered} rows in the DOM`);
    await page.getByTestId('map-iterations').waitFor({ state: 'detached' }).catch(() => {});
  });

  await test('a 500-state definition opens in the designer', async () => {
    const states = {};
    for (let i = 0; i < 500; i++) states[`S${i}`] = i === 499 ? { Type: 'Succeed' } : i % 50 === 0 ? { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: i, Next: `S${i + 2}` }], Default: `S${i + 1}` } : { Type: 'Pass', Next: `S${i + 1}` };
    const created = await sfn('CreateStateMachine', { name: 'e2e-500', definition: JSON.stringify({ StartAt: 'S0', States: states }), roleArn: ROLE });
    const t0 = Date.now();
    await page.goto(`${endpoint}/#/designer/${encodeURIComponent(created.stateMachineArn)}`);
    await page.locator('.react-flow__node[data-id="S0"]').waitFor({ timeout: 60000 });
    const shown = Date.now() - t0;
    await page.getByTestId('validation').getByText('valid').waitFor({ timeout: 60000 });
    console.log(`     500 states: laid out and drawn in ${shown} ms, validated in ${Date.now() - t0} ms`);
    const t1 = Date.now();
    await page.locator('.react-flow__node[data-id="S0"] .sw-node-name').click();
    const nameField = page.locator('.sw-inspector').getByLabel('Name');
    await nameField.fill('First');
    await nameField.press('Enter');
    await page.locator('.react-flow__node[data-id="First"]').waitFor({ timeout: 60000 });
    console.log(`     500 states: a rename redrawn in ${Date.now() - t1} ms`);
  });

  await test('a server with credentials: the UI asks for a key and signs its requests', async () => {
    const authDir = mkdtempSync(join(tmpdir(), 'stepwise-ui-auth-'));
    const env = { ...process.env, STEPWISE_ACCESS_KEY_ID: 'AKIDUITEST', STEPWISE_SECRET_ACCESS_KEY: 'ui-secret' };
    const authServer = spawn(STEPWISE, ['serve', '--port', '0', '--data-dir', join(authDir, 'data')], { stdio: ['ignore', 'pipe', 'inherit'], env });
    try {
      const authEndpoint = await new Promise((resolve, reject) => {
        let out = '';
        authServer.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
          if (m) resolve(m[1]);
        });
        authServer.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await ctx.newPage();
      await p.goto(authEndpoint + '/');
      const dialog = p.getByRole('dialog', { name: 'Credentials' });
      await dialog.waitFor();
      // A wrong secret is refused by the server: the dialog comes back.
      await dialog.getByLabel('Access key ID').fill('AKIDUITEST');
      await dialog.getByLabel('Secret access key').fill('wrong');
      await dialog.getByRole('button', { name: 'Use these credentials' }).click();
      await p.getByRole('dialog', { name: 'Credentials' }).waitFor();
      await p.getByRole('dialog', { name: 'Credentials' }).getByLabel('Secret access key').fill('ui-secret');
      await p.getByRole('dialog', { name: 'Credentials' }).getByRole('button', { name: 'Use these credentials' }).click();
      await p.getByText('No state machines yet').waitFor();
      await p.getByRole('button', { name: 'Key AKIDUITEST' }).waitFor();
      // Signed writes and the signed /ui-api listing.
      await p.goto(authEndpoint + '/#/designer');
      await p.locator('.sw-palette-item[data-item="Pass"]').click();
      await p.getByTestId('validation').getByText('valid').waitFor();
      await p.getByLabel('State machine name').fill('signed');
      await p.getByRole('button', { name: 'Create' }).click();
      await p.waitForURL(/#\/designer\/arn/);
      await p.getByRole('button', { name: 'Start execution' }).click();
      await p.getByRole('button', { name: 'Start', exact: true }).click();
      await p.getByTestId('execution-status').getByText('SUCCEEDED').waitFor();
      await p.goto(authEndpoint + '/#/executions?search=go');
      await p.locator('[data-testid="executions"] tbody tr').first().waitFor();
      assert.equal(await p.getByRole('dialog', { name: 'Credentials' }).count(), 0);
      await ctx.close();
    } finally {
      authServer.kill('SIGTERM');
      rmSync(authDir, { recursive: true, force: true });
    }
  });

  await test('no errors in the page console', async () => {
    assert.deepEqual(pageErrors, []);
  });
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}

const failed = results.filter((r) => r[1] !== 'ok');
console.log(`\n${results.length - failed.length} of ${results.length} UI tests passed; screenshots in ${SHOTS}`);
process.exit(failed.length ? 1 : 0);
