//! Parallel and Map states: start child frames (branches or iterations), collect
//! their results in order, honour MaxConcurrency and tolerated failures, and fold
//! the collected array back into the parent's data flow.

use std::sync::Arc;

use asl::{Dynamic, Map as MapState, Parallel, ProcessorMode, QueryLanguage, State, StateKind};
use serde_json::{Map, Value};

use crate::dataflow::{self, Env};
use crate::event::{EventDetails, Payload, payload_text};
use crate::execution::{Active, Command, Execution, Frame, FrameId, Step};
use crate::failure::{Failure, Origin};
use crate::item_reader::{self, Reader};
use crate::jsonata;
use crate::result_writer::{self, Writer};
use crate::variables::VarScope;

/// A Parallel or Map in progress.
#[derive(Debug)]
pub(crate) struct Fanout {
    pub active: Active,
    pub is_map: bool,
    /// Map only: iterations are child executions whose events stay out of this history.
    pub distributed: bool,
    /// Running child frames, by branch or item index.
    pub running: std::collections::BTreeMap<usize, FrameId>,
    pub results: Vec<Option<Value>>,
    pub done: usize,
    /// Map: the items, the template context, and what to start next.
    pub items: Vec<Value>,
    pub effective: Payload,
    pub next_index: usize,
    pub max_concurrency: usize,
    pub failures: usize,
    pub tolerated_count: Option<f64>,
    pub tolerated_percentage: Option<f64>,
    /// Map with `ItemReader`: the read in progress (no iteration starts before
    /// it ends), or why reading cannot begin.
    pub reader: Option<Result<Box<Reader>, String>>,
    /// Map with `ResultWriter`: where the results go instead of the output.
    pub writer: Option<Box<Writer>>,
}

/// A state that could not start gives its `Active` back with the failure.
type Started = Result<(), Box<(Active, Failure)>>;

pub(crate) fn start_parallel(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    parallel: &Parallel,
    active: Active,
) -> Started {
    let input = match branch_input(exec, frame, def, &active) {
        Ok(i) => i,
        Err(f) => return Err(Box::new((active, f))),
    };
    exec.emit(frame, EventDetails::ParallelStateStarted);
    let node = exec.frame(frame).node.clone();
    let branches = node.children.get(&active.name).cloned().unwrap_or_default();
    let count = parallel.branches.len();
    let mut fanout = Fanout {
        active,
        is_map: false,
        distributed: false,
        running: Default::default(),
        results: vec![None; count],
        done: 0,
        items: Vec::new(),
        effective: input.clone(),
        next_index: count,
        max_concurrency: 0,
        failures: 0,
        tolerated_count: None,
        tolerated_percentage: None,
        reader: None,
        writer: None,
    };
    let cursor = exec.frame(frame).cursor;
    let vars = exec.frame(frame).vars.clone();
    for (index, branch) in branches.into_iter().enumerate() {
        let start = branch.graph.start_at.clone();
        let scope = if branch.assigns {
            VarScope::child(&vars)
        } else {
            vars.clone()
        };
        let child = exec.spawn_frame(Frame {
            node: branch,
            parent: Some((frame, index)),
            cursor,
            vars: scope,
            record: exec.frame(frame).record,
            step: Step::Enter {
                state: start,
                input: input.clone(),
            },
        });
        fanout.running.insert(index, child);
    }
    if count == 0 {
        exec.frame_mut(frame).step = Step::Fanout(Box::new(fanout));
        all_done(exec, frame);
        return Ok(());
    }
    exec.frame_mut(frame).step = Step::Fanout(Box::new(fanout));
    Ok(())
}

/// The input each branch gets: InputPath then Parameters (JSONPath) or Arguments.
fn branch_input(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    active: &Active,
) -> Result<Payload, Failure> {
    let env = Env::new(exec, frame, def, active);
    match env.language {
        QueryLanguage::JsonPath => {
            let effective = dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?;
            match &def.parameters {
                Some(t) => Ok(Arc::new(dataflow::template(exec, &env, t, &effective)?)),
                None => Ok(effective),
            }
        }
        QueryLanguage::Jsonata => match &def.arguments {
            Some(t) => Ok(Arc::new(jsonata::evaluate_template(
                exec,
                &env,
                t,
                &active.input,
                "Arguments",
            )?)),
            None => Ok(active.input.clone()),
        },
    }
}

fn integer_path(env: &Env, field: &str, text: &str, input: &Value) -> Result<f64, Failure> {
    let path = dataflow::parse_path(env, text)?;
    let v = path
        .evaluate(input, &env.scope())
        .map_err(|e| env.runtime(&format!("Invalid path '{text}' : {}", e.message)))?;
    let number = match &v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let float = field == "ToleratedFailurePercentagePath";
    match number {
        Some(n) if float || n.fract() == 0.0 => Ok(n),
        _ => Err(env.runtime(&format!(
            "The {field} field refers to value \"{}\" which is not a valid {}: {text}",
            crate::event::display_text(&v),
            if float { "float" } else { "integer" }
        ))),
    }
}

fn number_field(
    exec: &mut Execution,
    env: &Env,
    field: &Option<Dynamic<f64>>,
    name: &str,
    input: &Value,
) -> Result<Option<f64>, Failure> {
    Ok(match field {
        None => None,
        Some(Dynamic::Literal(n)) => Some(*n),
        Some(Dynamic::Path(text)) => Some(integer_path(env, &format!("{name}Path"), text, input)?),
        Some(Dynamic::Jsonata(text)) => {
            let v = jsonata::evaluate(exec, env, text, input, name)?;
            Some(v.as_f64().ok_or_else(|| {
                jsonata::query_error_at(
                    env,
                    name,
                    &format!(
                        "The JSONata expression '{}' specified for the field '{name}' returned an unexpected result type. Expected 'number', but was '{}' for value: {}",
                        jsonata::strip(text),
                        jsonata::type_name(&v),
                        payload_text(&v)
                    ),
                )
            })?)
        }
    })
}

pub(crate) fn start_map(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    map: &MapState,
    active: Active,
) -> Started {
    match prepare_map(exec, frame, def, map, &active) {
        Ok(mut fanout) => {
            fanout.active = active;
            let reader = fanout.reader.take();
            exec.frame_mut(frame).step = Step::Fanout(fanout);
            match reader {
                None => launch(exec, frame),
                Some(Ok(reader)) => read(exec, frame, reader),
                Some(Err(cause)) => fanout_failed(
                    exec,
                    frame,
                    Failure::new(item_reader::READER_FAILED, cause, Origin::State),
                ),
            }
            Ok(())
        }
        Err(f) => Err(Box::new((active, f))),
    }
}

fn prepare_map(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    map: &MapState,
    active: &Active,
) -> Result<Box<Fanout>, Failure> {
    let env = Env::new(exec, frame, def, active);
    let (effective, items) = match env.language {
        // With an ItemReader, the items come from it (ItemsPath is not used).
        QueryLanguage::JsonPath if map.item_reader.is_some() => (
            dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?,
            Value::Array(Vec::new()),
        ),
        QueryLanguage::Jsonata if map.item_reader.is_some() => {
            (active.input.clone(), Value::Array(Vec::new()))
        }
        QueryLanguage::JsonPath => {
            let effective = dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?;
            let items = match &map.items_path {
                None => (*effective).clone(),
                Some(text) => {
                    let path = dataflow::parse_path(&env, text)?;
                    path.evaluate(&effective, &env.scope()).map_err(|e| {
                        env.runtime(&format!("Invalid path '{text}' : {}", e.message))
                    })?
                }
            };
            (effective, items)
        }
        QueryLanguage::Jsonata => {
            let items = match &map.items {
                None => (*active.input).clone(),
                Some(Value::String(text)) if jsonata::is_expression(text) => {
                    let v = jsonata::evaluate(exec, &env, text, &active.input, "Items")?;
                    if !v.is_array() {
                        return Err(jsonata::query_error_at(
                            &env,
                            "Items",
                            &format!(
                                "The JSONata expression '{}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                                jsonata::strip(text),
                                jsonata::type_name(&v),
                                payload_text(&v)
                            ),
                        ));
                    }
                    v
                }
                Some(other) => {
                    jsonata::evaluate_template(exec, &env, other, &active.input, "Items")?
                }
            };
            (active.input.clone(), items)
        }
    };
    let Value::Array(mut items) = items else {
        let shown = payload_text(&items);
        let f = env.runtime(&format!(
            "Map state input must be an array but was: {shown}"
        ));
        return Err(match env.language {
            QueryLanguage::Jsonata => Failure {
                error: Some("States.QueryEvaluationError".into()),
                evaluation: Some(None),
                ..f
            },
            QueryLanguage::JsonPath => f,
        });
    };
    let max_concurrency = match &map.max_concurrency {
        None => 0,
        Some(Dynamic::Literal(n)) => *n as usize,
        Some(Dynamic::Path(text)) => {
            integer_path(&env, "MaxConcurrencyPath", text, &effective)?.max(0.0) as usize
        }
        Some(Dynamic::Jsonata(text)) => {
            let v = jsonata::evaluate(exec, &env, text, &active.input, "MaxConcurrency")?;
            v.as_u64().unwrap_or(0) as usize
        }
    };
    if let Some(batcher) = &map.item_batcher {
        items = batch(batcher, items);
    }
    let distributed = map.processor_config.mode == ProcessorMode::Distributed;
    exec.emit(
        frame,
        EventDetails::MapStateStarted {
            length: items.len(),
        },
    );
    let tolerated_count = number_field(
        exec,
        &env,
        &map.tolerated_failure_count,
        "ToleratedFailureCount",
        &effective,
    )?;
    if tolerated_count.is_some_and(|c| c < 0.0) {
        return Err(env.runtime("ToleratedFailureCount cannot be negative."));
    }
    let tolerated_percentage = number_field(
        exec,
        &env,
        &map.tolerated_failure_percentage,
        "ToleratedFailurePercentage",
        &effective,
    )?;
    if tolerated_percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
        return Err(env.runtime("ToleratedFailurePercentage must be between 0 and 100."));
    }
    let mut writer = None;
    if distributed {
        let label = map.label.clone().unwrap_or_else(|| exec.entropy().uuid());
        let run = exec.entropy().uuid();
        let arn = format!(
            "arn:aws:states:{}:{}:mapRun:{}/{}:{}",
            exec.info.region, exec.info.account, exec.info.state_machine_name, label, run
        );
        if let Some(def) = &map.result_writer {
            let parameters = match env.language {
                QueryLanguage::JsonPath => match def.get("Parameters") {
                    Some(t) => dataflow::template(exec, &env, t, &effective)?,
                    None => Value::Object(Map::new()),
                },
                QueryLanguage::Jsonata => match def.get("Arguments") {
                    Some(t) => {
                        jsonata::evaluate_template(exec, &env, t, &active.input, "Arguments")?
                    }
                    None => Value::Object(Map::new()),
                },
            };
            let machine = exec.info.state_machine_arn.clone();
            let resource = def.get("Resource").and_then(Value::as_str);
            let w = Writer::new(resource, &parameters, &arn, &machine, &label, items.len())
                .map_err(|cause| {
                    Failure::new(result_writer::WRITER_FAILED, cause, Origin::State)
                })?;
            writer = Some(Box::new(w));
        }
        exec.emit(frame, EventDetails::MapRunStarted { map_run_arn: arn });
    }
    let reader = match &map.item_reader {
        None => None,
        Some(def) => Some(reader(exec, &env, def, &effective, &active.input)?),
    };
    let count = items.len();
    Ok(Box::new(Fanout {
        active: Active {
            name: String::new(),
            input: active.input.clone(),
            entered_id: 0,
            entered_prev: 0,
            entered_time: 0,
            retries: Vec::new(),
        },
        is_map: true,
        distributed,
        running: Default::default(),
        results: vec![None; count],
        done: 0,
        items,
        effective,
        next_index: 0,
        max_concurrency,
        failures: 0,
        tolerated_count,
        tolerated_percentage,
        reader,
        writer,
    }))
}

/// Prepares an `ItemReader`: its parameters (`Parameters` against the
/// effective input, or JSONata `Arguments`) and `MaxItems`. A resource or
/// `ReaderConfig` it cannot read is the inner error, raised once the map run
/// has started, as AWS raises it.
fn reader(
    exec: &mut Execution,
    env: &Env,
    def: &Value,
    effective: &Value,
    input: &Value,
) -> Result<Result<Box<Reader>, String>, Failure> {
    let parameters = match env.language {
        QueryLanguage::JsonPath => match def.get("Parameters") {
            Some(t) => dataflow::template(exec, env, t, effective)?,
            None => Value::Object(Map::new()),
        },
        QueryLanguage::Jsonata => match def.get("Arguments") {
            Some(t) => jsonata::evaluate_template(exec, env, t, input, "Arguments")?,
            None => Value::Object(Map::new()),
        },
    };
    let config = def.get("ReaderConfig");
    let max_items = match (
        config.and_then(|c| c.get("MaxItems")),
        config
            .and_then(|c| c.get("MaxItemsPath"))
            .and_then(Value::as_str),
    ) {
        (Some(Value::String(text)), _) if jsonata::is_expression(text) => {
            let v = jsonata::evaluate(exec, env, text, input, "MaxItems")?;
            v.as_f64().unwrap_or(0.0)
        }
        (Some(v), _) => v.as_f64().unwrap_or(0.0),
        (None, Some(path)) => integer_path(env, "MaxItemsPath", path, effective)?,
        (None, None) => 0.0,
    };
    let max_items = if max_items > 0.0 {
        max_items as usize
    } else {
        0
    };
    Ok(item_reader::plan(def).map(|plan| {
        let number = exec.next_timer_id;
        exec.next_timer_id += 1;
        Box::new(Reader::new(plan, parameters, max_items, number))
    }))
}

/// Asks for the reader's next read; the Map waits for it.
fn read(exec: &mut Execution, frame: FrameId, reader: Box<Reader>) {
    let (resource, parameters) = reader.request();
    let task = reader.task;
    let state_name = match &mut exec.frame_mut(frame).step {
        Step::Fanout(f) => {
            f.reader = Some(Ok(reader));
            f.active.name.clone()
        }
        _ => return,
    };
    exec.tasks.insert(task, frame);
    exec.out
        .commands
        .push(Command::InvokeTask(crate::execution::TaskRequest {
            task,
            state_name,
            resource: resource.to_string(),
            parameters,
            timeout_seconds: None,
            heartbeat_seconds: None,
            task_token: None,
            caller: Some(Arc::clone(&exec.caller)),
        }));
}

/// A read or write of the Map's (its `ItemReader`'s, its `ResultWriter`'s) ended.
pub(crate) fn task_ended(
    exec: &mut Execution,
    frame: FrameId,
    task: u64,
    outcome: crate::task::Outcome,
) {
    let writing = match &mut exec.frame_mut(frame).step {
        Step::Fanout(f) => f.writer.as_mut().filter(|w| w.pending.contains(&task)),
        _ => None,
    };
    let Some(writer) = writing else {
        return items_read(exec, frame, task, outcome);
    };
    writer.pending.retain(|t| *t != task);
    match outcome {
        crate::task::Outcome::Succeeded(_) => {
            if writer.pending.is_empty() {
                writer.written = true;
                all_done(exec, frame);
            }
        }
        crate::task::Outcome::Failed { error, cause } => {
            let cause = failure_text(error, cause, "The results could not be written.");
            abandon_writes(exec, frame);
            fanout_failed(
                exec,
                frame,
                Failure::new(result_writer::WRITER_FAILED, cause, Origin::State),
            );
        }
        crate::task::Outcome::TimedOut(error) => {
            abandon_writes(exec, frame);
            fanout_failed(
                exec,
                frame,
                Failure::new(
                    result_writer::WRITER_FAILED,
                    format!("{error}: the write timed out."),
                    Origin::State,
                ),
            );
        }
    }
}

/// A failed S3 call as the cause of the Map's failure: `<error>: <cause>`.
fn failure_text(error: Option<String>, cause: Option<String>, otherwise: &str) -> String {
    match (error, cause) {
        (Some(error), Some(cause)) => format!("{error}: {cause}"),
        (error, cause) => cause.or(error).unwrap_or_else(|| otherwise.into()),
    }
}

/// Cancels the writes still pending (one failed: the state fails).
fn abandon_writes(exec: &mut Execution, frame: FrameId) {
    let pending = match &mut exec.frame_mut(frame).step {
        Step::Fanout(f) => f
            .writer
            .as_mut()
            .map(|w| std::mem::take(&mut w.pending))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for task in pending {
        exec.tasks.remove(&task);
        exec.out.commands.push(Command::CancelTask { task });
    }
}

/// A read of the Map's `ItemReader` ended: read on, start the iterations, or
/// fail with `States.ItemReaderFailed`.
fn items_read(exec: &mut Execution, frame: FrameId, task: u64, outcome: crate::task::Outcome) {
    let next = exec.next_timer_id;
    let Step::Fanout(f) = &mut exec.frame_mut(frame).step else {
        return;
    };
    let Some(Ok(mut reader)) = f.reader.take() else {
        return;
    };
    if reader.task != task {
        f.reader = Some(Ok(reader));
        return;
    }
    let absorbed = match outcome {
        crate::task::Outcome::Succeeded(output) => reader.absorb(&output, next),
        crate::task::Outcome::Failed { error, cause } => {
            Err(failure_text(error, cause, "The items could not be read."))
        }
        crate::task::Outcome::TimedOut(error) => Err(format!("{error}: the read timed out.")),
    };
    match absorbed {
        Ok(true) => {
            exec.next_timer_id += 1;
            read(exec, frame, reader);
        }
        Ok(false) => {
            let mut items = reader.into_items();
            let node = exec.frame(frame).node.clone();
            let Step::Fanout(f) = &mut exec.frame_mut(frame).step else {
                return;
            };
            if let Some(StateKind::Map(map)) = node.state(&f.active.name).map(|d| &d.kind)
                && let Some(batcher) = &map.item_batcher
            {
                items = batch(batcher, items);
            }
            f.results = vec![None; items.len()];
            if let Some(w) = &mut f.writer {
                w.resize(items.len());
            }
            f.items = items;
            launch(exec, frame);
        }
        Err(cause) => fanout_failed(
            exec,
            frame,
            Failure::new(item_reader::READER_FAILED, cause, Origin::State),
        ),
    }
}

/// `ItemBatcher`: groups items into `{"Items": [...]}` objects (plus `BatchInput`).
fn batch(batcher: &Value, items: Vec<Value>) -> Vec<Value> {
    let per_batch = batcher
        .get("MaxItemsPerBatch")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX)
        .max(1) as usize;
    let batch_input = batcher.get("BatchInput").cloned();
    items
        .chunks(per_batch)
        .map(|chunk| {
            let mut m = Map::new();
            if let Some(b) = &batch_input {
                m.insert("BatchInput".into(), b.clone());
            }
            m.insert("Items".into(), Value::Array(chunk.to_vec()));
            Value::Object(m)
        })
        .collect()
}

/// How many iterations may run at once. An inline Map with MaxConcurrency 0 runs
/// up to 40 at a time, as AWS's inline Map does; each waits its turn in order.
fn effective_concurrency(f: &Fanout) -> usize {
    match (f.max_concurrency, f.distributed) {
        (0, false) => 40,
        (0, true) => usize::MAX,
        (n, _) => n,
    }
}

/// Starts as many iterations as MaxConcurrency allows; finishes an empty Map.
fn launch(exec: &mut Execution, frame: FrameId) {
    loop {
        let Step::Fanout(f) = &exec.frame(frame).step else {
            return;
        };
        if f.next_index >= f.items.len() {
            if f.items.is_empty() {
                all_done(exec, frame);
            }
            return;
        }
        if f.running.len() >= effective_concurrency(f) {
            return;
        }
        let index = f.next_index;
        if let Err(failure) = start_iteration(exec, frame, index) {
            abort_children(exec, frame);
            fanout_failed(exec, frame, failure);
            return;
        }
    }
}

fn start_iteration(exec: &mut Execution, frame: FrameId, index: usize) -> Result<(), Failure> {
    let node = exec.frame(frame).node.clone();
    // Each item is read once: take it rather than copy it.
    let item = match &mut exec.frame_mut(frame).step {
        Step::Fanout(f) => f.items.get_mut(index).map(std::mem::take),
        _ => None,
    };
    let Some(item) = item else {
        return Ok(());
    };
    let Step::Fanout(f) = &exec.frame(frame).step else {
        return Ok(());
    };
    let Some(def) = node.state(&f.active.name) else {
        return Ok(());
    };
    let StateKind::Map(map) = &def.kind else {
        return Ok(());
    };
    let effective = f.effective.clone();
    let distributed = f.distributed;
    let template = map.item_selector.as_ref().or(def.parameters.as_ref());
    let input = match template {
        // Without a selector the item is the input: no environment to build.
        None => item,
        Some(t) => {
            let env = Env::with(exec, frame, def, &f.active, None, Some((index, &item)));
            match env.language {
                QueryLanguage::JsonPath => dataflow::template(exec, &env, t, &effective)?,
                QueryLanguage::Jsonata => {
                    jsonata::evaluate_template(exec, &env, t, &effective, "ItemSelector")?
                }
            }
        }
    };
    if let Step::Fanout(f) = &exec.frame(frame).step
        && f.writer.is_some()
    {
        let name = exec.entropy().uuid();
        let now = exec.now;
        if let Step::Fanout(f) = &mut exec.frame_mut(frame).step
            && let Some(w) = &mut f.writer
        {
            w.started(index, name, &input, now);
        }
    }
    let record = exec.frame(frame).record && !distributed;
    let started = if record {
        exec.record_with(exec.frame(frame).cursor, || {
            EventDetails::MapIterationStarted {
                name: def.name.clone(),
                index,
            }
        })
    } else {
        exec.frame(frame).cursor
    };
    let processor = node
        .children
        .get(&def.name)
        .and_then(|c| c.first())
        .cloned()
        .expect("map processor built with the graph");
    let start = processor.graph.start_at.clone();
    let parent_vars = &exec.frame(frame).vars;
    let vars = if processor.assigns {
        VarScope::child(parent_vars)
    } else {
        parent_vars.clone()
    };
    let child = exec.spawn_frame(Frame {
        node: processor,
        parent: Some((frame, index)),
        cursor: started,
        vars,
        record,
        step: Step::Enter {
            state: start,
            input: Arc::new(input),
        },
    });
    if let Step::Fanout(f) = &mut exec.frame_mut(frame).step {
        f.running.insert(index, child);
        f.next_index = index + 1;
    }
    Ok(())
}

/// A branch or iteration reached its end.
pub(crate) fn child_succeeded(
    exec: &mut Execution,
    parent: FrameId,
    index: usize,
    child: FrameId,
    output: Payload,
) {
    let child_cursor = exec.frame(child).cursor;
    exec.free_frame(child);
    let keep = exec.limits.keep_events;
    let now = exec.now;
    let (is_map, record, name, finished) = {
        let record = exec.frame(parent).record;
        let Step::Fanout(f) = &mut exec.frame_mut(parent).step else {
            return;
        };
        f.running.remove(&index);
        if let Some(w) = &mut f.writer {
            w.succeeded(index, &output, now);
        }
        f.results[index] = Some(Arc::unwrap_or_clone(output));
        f.done += 1;
        let total = f.results.len();
        let record = record && !f.distributed;
        (
            f.is_map,
            record,
            // Only a kept MapIterationSucceeded needs the name.
            if f.is_map && record && keep {
                f.active.name.clone()
            } else {
                String::new()
            },
            f.done == total,
        )
    };
    if is_map {
        let mut last = child_cursor;
        if record {
            let id = exec.record_with(child_cursor, || EventDetails::MapIterationSucceeded {
                name,
                index,
            });
            if finished {
                last = id;
            }
        }
        exec.frame_mut(parent).cursor = last;
        if finished {
            all_done(exec, parent);
        } else {
            launch(exec, parent);
        }
    } else {
        exec.frame_mut(parent).cursor = child_cursor;
        if finished {
            all_done(exec, parent);
        }
    }
}

/// A branch or iteration failed.
pub(crate) fn child_failed(
    exec: &mut Execution,
    parent: FrameId,
    index: usize,
    child: FrameId,
    failure: Failure,
) {
    let child_cursor = exec.frame(child).cursor;
    exec.free_frame(child);
    let record = exec.frame(parent).record;
    let now = exec.now;
    let Step::Fanout(f) = &mut exec.frame_mut(parent).step else {
        return;
    };
    f.running.remove(&index);
    if let Some(w) = &mut f.writer {
        w.failed(index, failure.error.clone(), failure.cause.clone(), now);
    }
    if !f.is_map {
        exec.frame_mut(parent).cursor = child_cursor;
        if record && failure.origin == Origin::Task {
            // The branch's Task state ends aborted, not exited (as AWS records it).
            exec.record(
                child_cursor,
                EventDetails::StateAborted { state_type: "Task" },
            );
        }
        abort_children(exec, parent);
        fanout_failed(exec, parent, failure);
        return;
    }
    f.failures += 1;
    f.done += 1;
    f.results[index] = Some(failure.error_output());
    let total = f.results.len();
    let tolerated = tolerates(f, total);
    let finished = f.done == total;
    let name = f.active.name.clone();
    let distributed = f.distributed;
    if record && !distributed {
        exec.record(
            child_cursor,
            EventDetails::MapIterationFailed { name, index },
        );
    }
    exec.frame_mut(parent).cursor = child_cursor;
    if failure.origin == Origin::Runtime || !tolerated {
        abort_children(exec, parent);
        let failure = if has_tolerance(exec, parent) && failure.origin != Origin::Runtime {
            Failure::new(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
                Origin::State,
            )
        } else {
            failure
        };
        fanout_failed(exec, parent, failure);
    } else if finished {
        all_done(exec, parent);
    } else {
        launch(exec, parent);
    }
}

fn has_tolerance(exec: &Execution, frame: FrameId) -> bool {
    match &exec.frame(frame).step {
        Step::Fanout(f) => f.tolerated_count.is_some() || f.tolerated_percentage.is_some(),
        _ => false,
    }
}

/// Whether the failures so far stay within ToleratedFailureCount/Percentage.
fn tolerates(f: &Fanout, total: usize) -> bool {
    let by_count = f.tolerated_count.is_some_and(|c| f.failures as f64 <= c);
    let by_percentage = f
        .tolerated_percentage
        .is_some_and(|p| total > 0 && (f.failures as f64 / total as f64) * 100.0 <= p);
    by_count || by_percentage
}

/// Stops every running child: their pending tasks and timers are cancelled.
fn abort_children(exec: &mut Execution, frame: FrameId) {
    let running = match &mut exec.frame_mut(frame).step {
        Step::Fanout(f) => std::mem::take(&mut f.running),
        _ => return,
    };
    for (_, child) in running {
        abort_frame(exec, child);
    }
}

fn abort_frame(exec: &mut Execution, id: FrameId) {
    let Some(frame) = exec.frames.get_mut(id).and_then(|f| f.as_mut()) else {
        return;
    };
    match std::mem::replace(&mut frame.step, Step::Done) {
        Step::Task(p) => {
            exec.tasks.remove(&p.task);
            exec.out.commands.push(Command::CancelTask { task: p.task });
            for t in p
                .timeout_timer
                .into_iter()
                .chain(p.heartbeat.map(|(_, t)| t))
            {
                exec.timers.remove(&t);
                exec.out.commands.push(Command::CancelTimer { timer: t });
            }
        }
        Step::Wait { timer, .. } | Step::Backoff { timer, .. } => {
            exec.timers.remove(&timer);
            exec.out.commands.push(Command::CancelTimer { timer });
        }
        Step::Fanout(f) => {
            for (_, child) in f.running {
                abort_frame(exec, child);
            }
            if let Some(Ok(reader)) = f.reader {
                exec.tasks.remove(&reader.task);
                exec.out
                    .commands
                    .push(Command::CancelTask { task: reader.task });
            }
            for task in f.writer.map(|w| w.pending).unwrap_or_default() {
                exec.tasks.remove(&task);
                exec.out.commands.push(Command::CancelTask { task });
            }
        }
        Step::Enter { .. } | Step::Done => {}
    }
    exec.free_frame(id);
}

/// The Parallel or Map failed as a whole: retry, catch, or fail the frame.
fn fanout_failed(exec: &mut Execution, frame: FrameId, failure: Failure) {
    let step = std::mem::replace(&mut exec.frame_mut(frame).step, Step::Done);
    let Step::Fanout(f) = step else {
        return;
    };
    let node = exec.frame(frame).node.clone();
    let Some(def) = node.state(&f.active.name) else {
        return;
    };
    let retrying = def
        .retry
        .iter()
        .enumerate()
        .find(|(_, r)| failure.matches(&r.error_equals))
        .is_some_and(|(i, r)| u64::from(f.active.retries[i]) < r.max_attempts);
    if !retrying {
        if f.distributed {
            exec.emit(frame, EventDetails::MapRunFailed(Default::default()));
        }
        exec.emit(
            frame,
            if f.is_map {
                EventDetails::MapStateFailed
            } else {
                EventDetails::ParallelStateFailed
            },
        );
    }
    let active = f.active;
    exec.state_failed(frame, def, active, failure);
    exec.ready.push_back(frame);
}

/// Every child finished: build the result array and complete the state.
fn all_done(exec: &mut Execution, frame: FrameId) {
    // With a ResultWriter the results are written first; the writes' answers
    // come back through `task_ended`, which calls this again.
    let first = exec.next_timer_id;
    let (writes, name) = match &mut exec.frame_mut(frame).step {
        Step::Fanout(f) => match &mut f.writer {
            Some(w) if !w.written => {
                if !w.pending.is_empty() {
                    return;
                }
                (w.writes(first), f.active.name.clone())
            }
            _ => (Vec::new(), String::new()),
        },
        _ => return,
    };
    if !writes.is_empty() {
        exec.next_timer_id += writes.len() as u64;
        for (task, resource, parameters) in writes {
            exec.tasks.insert(task, frame);
            exec.out
                .commands
                .push(Command::InvokeTask(crate::execution::TaskRequest {
                    task,
                    state_name: name.clone(),
                    resource: resource.to_string(),
                    parameters,
                    timeout_seconds: None,
                    heartbeat_seconds: None,
                    task_token: None,
                    caller: Some(Arc::clone(&exec.caller)),
                }));
        }
        return;
    }
    let step = std::mem::replace(&mut exec.frame_mut(frame).step, Step::Done);
    let Step::Fanout(f) = step else {
        return;
    };
    if f.distributed {
        exec.emit(frame, EventDetails::MapRunSucceeded);
    }
    exec.emit_side(
        frame,
        if f.is_map {
            EventDetails::MapStateSucceeded
        } else {
            EventDetails::ParallelStateSucceeded
        },
    );
    let node = exec.frame(frame).node.clone();
    let Some(def) = node.state(&f.active.name) else {
        return;
    };
    let result = Arc::new(match &f.writer {
        Some(w) => w.result(),
        None => Value::Array(
            f.results
                .into_iter()
                .map(|r| r.unwrap_or(Value::Null))
                .collect(),
        ),
    });
    let mut active = f.active;
    match crate::states::complete(exec, frame, def, &mut active, result) {
        Ok(()) => {}
        Err(failure) => exec.state_failed(frame, def, active, failure),
    }
    exec.ready.push_back(frame);
}
